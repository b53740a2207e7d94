-- Sales per seller and product in the latest run, and what the trader paid out for them.
SELECT seller_id, product, count(*) AS trades, sum(quantity) AS sold,
       sum(price_cents - commission_cents) / 100.0 AS paid_out
FROM trades WHERE run_id = (SELECT max(run_id) FROM runs)
GROUP BY seller_id, product ORDER BY seller_id, product;
