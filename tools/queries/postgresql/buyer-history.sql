-- buyer-history.sql for PostgreSQL: the same rows, the times read as PostgreSQL reads them
-- (the history's text cast to timestamptz, exact to the microsecond). The buyer is :buyer
-- (default: the lowest buyer id), e.g.
--   psql -v buyer=3 URL -f tools/queries/postgresql/buyer-history.sql
\if :{?buyer}
\else
\set buyer NULL
\endif
SELECT q.request_id, q.lamport_ts, q.status, coalesce(q.reason, '') AS reason,
       q.epoch_received, q.epoch_decided, q.received_at,
       extract(epoch FROM q.decided_at::timestamptz - q.received_at::timestamptz) * 1000 AS wait_ms,
       t.seller_id, t.trader_id, t.price_cents
FROM requests q
LEFT JOIN trades t ON t.run_id = q.run_id AND t.request_id = q.request_id
WHERE q.run_id = (SELECT max(run_id) FROM runs)
  AND q.buyer_id = coalesce(:buyer, (SELECT min(buyer_id) FROM requests
                                     WHERE run_id = (SELECT max(run_id) FROM runs)))
ORDER BY q.lamport_ts, q.request_id;
