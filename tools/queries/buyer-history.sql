-- One buyer's requests in the latest run, in the order it made them, with what became of each.
-- The buyer is :buyer (default: the lowest buyer id), e.g.
--   sqlite3 -header -column -cmd '.parameter set :buyer 3' market.db < tools/queries/buyer-history.sql
-- PostgreSQL has its own variant (postgresql/buyer-history.sql): the times are read differently.
-- wait_ms is exact to the microsecond: whole microseconds from the time text (seconds from
-- strftime, the six fractional digits as an integer; a millisecond time reads as …000), not
-- julianday's floating-point days.
SELECT q.request_id, q.lamport_ts, q.status, coalesce(q.reason, '') AS reason,
       q.epoch_received, q.epoch_decided, q.received_at,
       ((strftime('%s', substr(q.decided_at, 1, 19)) * 1000000 + substr(rtrim(substr(q.decided_at, 21), 'Z') || '00000', 1, 6))
        - (strftime('%s', substr(q.received_at, 1, 19)) * 1000000 + substr(rtrim(substr(q.received_at, 21), 'Z') || '00000', 1, 6))) / 1000.0 AS wait_ms,
       t.seller_id, t.trader_id, t.price_cents
FROM requests q
LEFT JOIN trades t ON t.run_id = q.run_id AND t.request_id = q.request_id
WHERE q.run_id = (SELECT max(run_id) FROM runs)
  AND q.buyer_id = coalesce(:buyer, (SELECT min(buyer_id) FROM requests
                                     WHERE run_id = (SELECT max(run_id) FROM runs)))
ORDER BY q.lamport_ts, q.request_id;
