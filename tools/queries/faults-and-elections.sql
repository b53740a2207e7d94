-- What happened around each election: faults and elections of the latest run on one timeline.
SELECT at, 'fault' AS what, 'P' || peer_id || ' ' || kind AS detail
FROM faults WHERE run_id = (SELECT max(run_id) FROM runs)
UNION ALL
SELECT finished_at, 'election', 'epoch ' || epoch || ' won by P' || winner_id || ' (' || coalesce(reason, '?') || ')'
FROM elections WHERE run_id = (SELECT max(run_id) FROM runs)
ORDER BY 1, 2, 3;
