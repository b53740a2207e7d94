-- The trader's hot writes as server functions: each one is a whole fenced transaction in one
-- statement, so one round trip to the server instead of one a statement (BEGIN, the fence,
-- each row, COMMIT: a dozen for a decision). They do what the store's SQL does for SQLite
-- (SQLiteStore.swift), statement for statement, and the store contract runs against both.
--
-- Each function is called alone, outside BEGIN, so the statement is its own transaction at
-- READ COMMITTED: the fence first locks the run's leader row (FOR UPDATE, waiting at most the
-- session's lock_timeout), and every later statement inside takes a fresh snapshot, seeing
-- every commit of the lock's previous holder. An exception rolls the whole call back.
-- Outcomes: 'no_run', 'deposed' (current_epoch says the stored one), or the function's own.

-- The fence every trader write passes first: locks the run's leader row until the transaction
-- ends, and says 'no_run' or 'deposed' (outcome NULL: go on) beside the stored epoch.
CREATE FUNCTION market_fence(p_run bigint, p_epoch bigint, OUT outcome text, OUT current_epoch bigint)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT l.epoch INTO current_epoch FROM leader l WHERE l.run_id = p_run FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'no_run';
    ELSIF current_epoch <> p_epoch THEN
        outcome := 'deposed';
    END IF;
END $$;

-- A buy request received: 'enqueued', or 'exists' when its id is stored already (the caller
-- reads that row: it tells pending from decided).
CREATE FUNCTION market_enqueue(
    p_run bigint, p_epoch bigint, p_request_id text, p_buyer_id bigint, p_product text, p_quantity bigint,
    p_lamport_ts bigint, p_at text,
    OUT outcome text, OUT current_epoch bigint)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT f.outcome, f.current_epoch INTO outcome, current_epoch FROM market_fence(p_run, p_epoch) f;
    IF outcome IS NOT NULL THEN RETURN; END IF;
    IF EXISTS (SELECT 1 FROM requests r WHERE r.run_id = p_run AND r.request_id = p_request_id) THEN
        outcome := 'exists'; RETURN;
    END IF;
    INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, epoch_received, received_at)
    VALUES (p_run, p_request_id, p_buyer_id, p_product, p_quantity, p_lamport_ts, 'pending', p_epoch, p_at);
    outcome := 'enqueued';
END $$;

-- A seller's deposit: 'recorded', or 'duplicate' when its id is stored already.
CREATE FUNCTION market_record_deposit(
    p_run bigint, p_epoch bigint, p_deposit_id bigint, p_seller_id bigint, p_product text, p_quantity bigint, p_at text,
    OUT outcome text, OUT current_epoch bigint)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT f.outcome, f.current_epoch INTO outcome, current_epoch FROM market_fence(p_run, p_epoch) f;
    IF outcome IS NOT NULL THEN RETURN; END IF;
    IF EXISTS (SELECT 1 FROM deposits d WHERE d.run_id = p_run AND d.deposit_id = p_deposit_id) THEN
        outcome := 'duplicate'; RETURN;
    END IF;
    INSERT INTO deposits(run_id, deposit_id, seller_id, product, quantity, epoch, at)
    VALUES (p_run, p_deposit_id, p_seller_id, p_product, p_quantity, p_epoch, p_at);
    INSERT INTO inventory(run_id, seller_id, product, stock, deposited) VALUES (p_run, p_seller_id, p_product, p_quantity, p_quantity)
    ON CONFLICT (run_id, seller_id, product)
    DO UPDATE SET stock = inventory.stock + excluded.stock, deposited = inventory.deposited + excluded.deposited;
    outcome := 'recorded';
END $$;

-- Outbox rows confirmed by their recipients: p_keys is a JSON array of
-- {"request_id": text, "recipient_id": bigint}; how many rows it marked. Not fenced, as in SQLite.
CREATE FUNCTION market_mark_delivered(p_run bigint, p_keys jsonb, p_at text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    k record;
    changed bigint;
    marked bigint := 0;
BEGIN
    -- A row at a time, by primary key: PL/pgSQL keeps this plan, where one UPDATE joined to the
    -- keys was planned afresh on every call (a SQL function's body is) and cost milliseconds.
    FOR k IN SELECT * FROM jsonb_to_recordset(p_keys) AS x(request_id text, recipient_id bigint) LOOP
        UPDATE outbox SET delivered = 1, delivered_at = p_at
        WHERE run_id = p_run AND request_id = k.request_id AND recipient_id = k.recipient_id AND delivered = 0;
        GET DIAGNOSTICS changed = ROW_COUNT;
        marked := marked + changed;
    END LOOP;
    RETURN marked;
END $$;

-- A batch of decisions, in order: 'committed', with the ids of requests an earlier trader had
-- decided already (left as they are; the caller reads their decisions). p_decisions is a JSON
-- array of {request_id, buyer_id, product, quantity, lamport_ts, status, reason, epoch_decided,
-- decided_seq, trade: null or {trade_id, seller_id, trader_id, epoch, product, quantity,
-- price_cents, commission_cents}, recipients: [{recipient_id, kind}]}; p_delivered as
-- market_mark_delivered's keys. A sale the seller's stock cannot cover raises SQLSTATE MK001
-- with 'seller_id,product,quantity' as its detail, and nothing of the batch is written.
CREATE FUNCTION market_commit_decisions(
    p_run bigint, p_epoch bigint, p_decisions jsonb, p_delivered jsonb, p_at text,
    OUT outcome text, OUT current_epoch bigint, OUT already_decided text[])
LANGUAGE plpgsql AS $$
DECLARE
    d jsonb;
    t jsonb;
    changed bigint;
BEGIN
    SELECT f.outcome, f.current_epoch INTO outcome, current_epoch FROM market_fence(p_run, p_epoch) f;
    IF outcome IS NOT NULL THEN RETURN; END IF;
    already_decided := '{}';
    FOR d IN SELECT e.value FROM jsonb_array_elements(p_decisions) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
        -- Decided without an enqueue of its own (a first attempt stable on arrival, the common
        -- case of a lone buyer): recorded as received in this epoch, in one statement.
        INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, reason,
                             epoch_received, epoch_decided, decided_seq, received_at, decided_at)
        VALUES (p_run, d->>'request_id', (d->>'buyer_id')::bigint, d->>'product', (d->>'quantity')::bigint,
                (d->>'lamport_ts')::bigint, d->>'status', d->>'reason', p_epoch, (d->>'epoch_decided')::bigint,
                (d->>'decided_seq')::bigint, p_at, p_at)
        ON CONFLICT (run_id, request_id) DO NOTHING;
        GET DIAGNOSTICS changed = ROW_COUNT;
        IF changed = 0 THEN
            -- Stored already: pending (enqueued) is decided now; anything else was decided by
            -- an earlier trader and stays as it is.
            UPDATE requests SET status = d->>'status', reason = d->>'reason', epoch_decided = (d->>'epoch_decided')::bigint,
                decided_seq = (d->>'decided_seq')::bigint, decided_at = p_at
            WHERE run_id = p_run AND request_id = d->>'request_id' AND status = 'pending';
            GET DIAGNOSTICS changed = ROW_COUNT;
            IF changed = 0 THEN
                already_decided := already_decided || (d->>'request_id');
                CONTINUE;
            END IF;
        END IF;
        t := d->'trade';
        IF t IS NOT NULL AND jsonb_typeof(t) = 'object' THEN
            UPDATE inventory SET stock = stock - (t->>'quantity')::bigint
            WHERE run_id = p_run AND seller_id = (t->>'seller_id')::bigint AND product = t->>'product'
              AND stock >= (t->>'quantity')::bigint;
            GET DIAGNOSTICS changed = ROW_COUNT;
            IF changed <> 1 THEN
                RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'MK001',
                    DETAIL = concat_ws(',', t->>'seller_id', t->>'product', t->>'quantity');
            END IF;
            INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity,
                               price_cents, commission_cents, lamport_ts, at)
            VALUES (p_run, (t->>'trade_id')::bigint, d->>'request_id', (d->>'buyer_id')::bigint, (t->>'seller_id')::bigint,
                    (t->>'trader_id')::bigint, (t->>'epoch')::bigint, t->>'product', (t->>'quantity')::bigint,
                    (t->>'price_cents')::bigint, (t->>'commission_cents')::bigint, (d->>'lamport_ts')::bigint, p_at);
        END IF;
        INSERT INTO outbox(run_id, request_id, recipient_id, kind, created_at, decided_seq)
        SELECT p_run, d->>'request_id', r.recipient_id, r.kind, p_at, (d->>'decided_seq')::bigint
        FROM jsonb_to_recordset(d->'recipients') AS r(recipient_id bigint, kind text);
    END LOOP;
    PERFORM market_mark_delivered(p_run, p_delivered, p_at);
    outcome := 'committed';
END $$;

-- Several of the above in one call, in order: what a trader asked while its last call was on
-- its way (a buy received and the decision of an earlier one, typically) goes in one round trip.
-- p_requests is a JSON array of {"kind": "enqueue" | "record_deposit" | "commit_decisions" |
-- "mark_delivered", "epoch", and the function's own arguments}. One row a request done, numbered
-- from 1; each request runs in a subtransaction of its own, and the first that raises (a lock
-- wait past lock_timeout, a sale the stock cannot cover) ends the call with its error in the
-- last row (sql_state, message, detail), the requests before it kept: as if each had been a
-- transaction of its own, but committed together.
CREATE FUNCTION market_perform(p_run bigint, p_requests jsonb, p_at text)
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

INSERT INTO schema_migrations(version, name) VALUES (6, 'store_functions');
