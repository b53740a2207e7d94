-- The buyers each trader waited for before deciding, as numbered views of its epoch: view 0 as
-- it took over, then one a change. A buyer silent past the suspect time is dropped (the trader
-- stops waiting for it), one heard from again readmitted. A view is written in the transaction
-- of the first decision batch decided in it, ahead of those decisions; a decision belongs to the
-- latest view of its epoch whose first_seq is at most its decided_seq. members, dropped and
-- readmitted are peer ids, '1 3 4'.
CREATE TABLE views (
    run_id     INTEGER NOT NULL REFERENCES runs(run_id),
    epoch      INTEGER NOT NULL,
    view       INTEGER NOT NULL,
    trader_id  INTEGER NOT NULL,
    members    TEXT NOT NULL DEFAULT '',
    dropped    TEXT NOT NULL DEFAULT '',
    readmitted TEXT NOT NULL DEFAULT '',
    first_seq  INTEGER NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch, view)
);

INSERT INTO schema_migrations(version, name) VALUES (11, 'views');
