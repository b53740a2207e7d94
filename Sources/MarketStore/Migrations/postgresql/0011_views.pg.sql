-- The buyers each trader waited for, as numbered views of its epoch (as 0011_views.sql for
-- SQLite says).
CREATE TABLE views (
    run_id     bigint NOT NULL REFERENCES runs(run_id),
    epoch      bigint NOT NULL,
    view       bigint NOT NULL,
    trader_id  bigint NOT NULL,
    members    text NOT NULL DEFAULT '',
    dropped    text NOT NULL DEFAULT '',
    readmitted text NOT NULL DEFAULT '',
    first_seq  bigint NOT NULL,
    at         text NOT NULL,
    PRIMARY KEY (run_id, epoch, view)
);

-- The views a decision batch carries: p_views is a JSON array of {epoch, view, trader_id,
-- members, dropped, readmitted, first_seq}. Not fenced itself: market_perform calls it in the
-- subtransaction of the batch's market_commit_decisions, once that committed, so the views
-- and the decisions made in them are written together or not at all.
CREATE FUNCTION market_record_views(p_run bigint, p_views jsonb, p_at text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO views(run_id, epoch, view, trader_id, members, dropped, readmitted, first_seq, at)
    SELECT p_run, v.epoch, v.view, v.trader_id, v.members, v.dropped, v.readmitted, v.first_seq, p_at
    FROM jsonb_to_recordset(coalesce(p_views, '[]'::jsonb))
         AS v(epoch bigint, view bigint, trader_id bigint, members text, dropped text, readmitted text, first_seq bigint)
    ON CONFLICT (run_id, epoch, view) DO NOTHING;
END $$;

-- market_perform as in 0006, but a 'commit_decisions' request also writes its batch's views.
CREATE OR REPLACE FUNCTION market_perform(p_run bigint, p_requests jsonb, p_at text)
RETURNS TABLE(n bigint, outcome text, current_epoch bigint, already_decided text, sql_state text, message text, detail text)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    i bigint;
BEGIN
    FOR r, i IN SELECT e.value, e.n FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
        n := i;
        outcome := NULL; current_epoch := NULL; already_decided := NULL; sql_state := NULL; message := NULL; detail := NULL;
        BEGIN
            CASE r->>'kind'
            WHEN 'enqueue' THEN
                SELECT f.outcome, f.current_epoch INTO outcome, current_epoch
                FROM market_enqueue(p_run, (r->>'epoch')::bigint, r->>'request_id', (r->>'buyer_id')::bigint, r->>'product',
                                    (r->>'quantity')::bigint, (r->>'lamport_ts')::bigint, p_at) f;
            WHEN 'record_deposit' THEN
                SELECT f.outcome, f.current_epoch INTO outcome, current_epoch
                FROM market_record_deposit(p_run, (r->>'epoch')::bigint, (r->>'deposit_id')::bigint, (r->>'seller_id')::bigint,
                                           r->>'product', (r->>'quantity')::bigint, p_at) f;
            WHEN 'commit_decisions' THEN
                SELECT f.outcome, f.current_epoch, array_to_string(f.already_decided, ' ') INTO outcome, current_epoch, already_decided
                FROM market_commit_decisions(p_run, (r->>'epoch')::bigint, r->'decisions', r->'delivered', p_at) f;
                IF outcome = 'committed' THEN
                    PERFORM market_record_views(p_run, r->'views', p_at);
                END IF;
            WHEN 'mark_delivered' THEN
                PERFORM market_mark_delivered(p_run, r->'keys', p_at);
                outcome := 'marked';
            ELSE
                RAISE EXCEPTION 'market_perform: no request of kind %', r->>'kind';
            END CASE;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS sql_state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
            RETURN NEXT;
            RETURN;
        END;
        RETURN NEXT;
    END LOOP;
END $$;

INSERT INTO schema_migrations(version, name) VALUES (11, 'views');
