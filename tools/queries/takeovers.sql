-- Requests taken over by a later trader: queued under one epoch, decided under another.
SELECT request_id, buyer_id, lamport_ts, epoch_received, epoch_decided, status
FROM requests
WHERE run_id = (SELECT max(run_id) FROM runs) AND epoch_decided > epoch_received
ORDER BY decided_seq;
