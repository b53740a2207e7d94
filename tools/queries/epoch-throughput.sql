-- Throughput per epoch in the latest run: decisions each trader made and how fast, from its
-- first decision to its last.
.headers on
.mode column
SELECT epoch_decided AS epoch,
       (SELECT winner_id FROM elections e WHERE e.run_id = q.run_id AND e.epoch = q.epoch_decided) AS trader,
       count(*) AS decisions,
       round((julianday(max(decided_at)) - julianday(min(decided_at))) * 86400, 3) AS seconds,
       round(count(*) / max((julianday(max(decided_at)) - julianday(min(decided_at))) * 86400, 0.001), 1) AS per_second
FROM requests q
WHERE run_id = (SELECT max(run_id) FROM runs) AND status != 'pending'
GROUP BY epoch_decided ORDER BY epoch_decided;
