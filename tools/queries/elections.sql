-- The elections timeline of the latest run, with how many decisions each trader made.
SELECT e.epoch, e.winner_id, e.initiator_id, e.reason, e.started_at, e.finished_at,
       (SELECT count(*) FROM requests q
        WHERE q.run_id = e.run_id AND q.epoch_decided = e.epoch) AS decisions
FROM elections e WHERE e.run_id = (SELECT max(run_id) FROM runs) ORDER BY e.epoch;
