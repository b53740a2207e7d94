-- Goods conservation per seller and product in the latest run: deposited - sold = stock
-- (every row should say conserved = 1).
SELECT i.seller_id, i.product, i.deposited, i.stock,
       coalesce(s.sold, 0) AS sold,
       CASE WHEN i.deposited - i.stock = coalesce(s.sold, 0) AND i.stock >= 0 THEN 1 ELSE 0 END AS conserved
FROM inventory i
LEFT JOIN (SELECT run_id, seller_id, product, sum(quantity) AS sold FROM trades
           GROUP BY run_id, seller_id, product) s
       ON s.run_id = i.run_id AND s.seller_id = i.seller_id AND s.product = i.product
WHERE i.run_id = (SELECT max(run_id) FROM runs)
ORDER BY i.seller_id, i.product;
