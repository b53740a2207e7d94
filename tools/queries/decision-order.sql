-- Decisions in the order the traders made them; within an epoch they follow (lamport_ts, buyer_id).
SELECT decided_seq, epoch_decided AS epoch, lamport_ts, buyer_id, request_id, status
FROM requests
WHERE run_id = (SELECT max(run_id) FROM runs) AND status != 'pending'
ORDER BY decided_seq;
