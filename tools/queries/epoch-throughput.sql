-- Throughput per epoch in the latest run: decisions each trader made and how fast, from its
-- first decision to its last, to the microsecond. PostgreSQL has its own variant
-- (postgresql/epoch-throughput.sql): the times are read differently.
SELECT epoch_decided AS epoch,
       (SELECT winner_id FROM elections e WHERE e.run_id = q.run_id AND e.epoch = q.epoch_decided) AS trader,
       count(*) AS decisions,
       (max(t) - min(t)) / 1000000.0 AS seconds,
       round(count(*) / max((max(t) - min(t)) / 1000000.0, 0.000001), 1) AS per_second
FROM (SELECT run_id, epoch_decided, status,
             -- decided_at in whole microseconds, exact (see buyer-history.sql)
             (strftime('%s', substr(decided_at, 1, 19)) * 1000000 + substr(rtrim(substr(decided_at, 21), 'Z') || '00000', 1, 6)) AS t
      FROM requests) q
WHERE run_id = (SELECT max(run_id) FROM runs) AND status != 'pending'
GROUP BY epoch_decided ORDER BY epoch_decided;
