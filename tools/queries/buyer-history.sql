-- One buyer's requests in the latest run, in the order it made them, with what became of each.
-- The buyer is :buyer (default: the lowest buyer id), e.g.
--   sqlite3 -cmd '.parameter set :buyer 3' market.db < tools/queries/buyer-history.sql
.headers on
.mode column
SELECT q.request_id, q.lamport_ts, q.status, coalesce(q.reason, '') AS reason,
       q.epoch_received, q.epoch_decided, q.received_at,
       round((julianday(q.decided_at) - julianday(q.received_at)) * 86400000, 1) AS wait_ms,
       t.seller_id, t.trader_id, t.price_cents
FROM requests q
LEFT JOIN trades t ON t.run_id = q.run_id AND t.request_id = q.request_id
WHERE q.run_id = (SELECT max(run_id) FROM runs)
  AND q.buyer_id = coalesce(:buyer, (SELECT min(buyer_id) FROM requests
                                     WHERE run_id = (SELECT max(run_id) FROM runs)))
ORDER BY q.lamport_ts, q.request_id;
