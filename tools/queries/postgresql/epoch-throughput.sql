-- epoch-throughput.sql for PostgreSQL: the same rows, the times read as PostgreSQL reads them
-- (the history's text cast to timestamptz, exact to the microsecond). The trader's subquery
-- names run_id, so it is grouped by too (SQLite lets that pass; PostgreSQL does not).
SELECT epoch_decided AS epoch,
       (SELECT winner_id FROM elections e WHERE e.run_id = q.run_id AND e.epoch = q.epoch_decided) AS trader,
       count(*) AS decisions,
       (max(t) - min(t)) / 1000000.0 AS seconds,
       round(count(*) / greatest((max(t) - min(t)) / 1000000.0, 0.000001), 1) AS per_second
FROM (SELECT run_id, epoch_decided, status,
             -- decided_at in whole microseconds, exact
             (extract(epoch FROM decided_at::timestamptz) * 1000000)::bigint AS t
      FROM requests) q
WHERE run_id = (SELECT max(run_id) FROM runs) AND status != 'pending'
GROUP BY run_id, epoch_decided ORDER BY epoch_decided;
