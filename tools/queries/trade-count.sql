-- How many trades the latest run has made so far (works while the run is live).
SELECT count(*) AS trades FROM trades WHERE run_id = (SELECT max(run_id) FROM runs);
