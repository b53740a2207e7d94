-- Times to the microsecond. The history's times were written with milliseconds
-- (`2026-11-29T20:41:14.210Z`, 24 characters); from now on they are written by `market` with
-- six fractional digits, fixed width (`2026-11-29T20:41:14.210123Z`, 27 characters). Text
-- order is time order only within one width (`.210Z` sorts after `.210123Z`), so every time
-- of the old form in every history table is widened here (`.210Z` becomes `.210000Z`), and
-- old and new rows sort together. The columns' SQLite defaults still give milliseconds: no
-- writer of `market` relies on them.
-- Each time column matches the old form exactly, so a time already widened, NULL, or anything
-- else is left as it is.
UPDATE runs SET started_at = substr(started_at, 1, 23) || '000Z'
    WHERE started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE runs SET finished_at = substr(finished_at, 1, 23) || '000Z'
    WHERE finished_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE runs SET stopping_at = substr(stopping_at, 1, 23) || '000Z'
    WHERE stopping_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE faults SET at = substr(at, 1, 23) || '000Z'
    WHERE at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE leader SET updated_at = substr(updated_at, 1, 23) || '000Z'
    WHERE updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE leader SET election_started_at = substr(election_started_at, 1, 23) || '000Z'
    WHERE election_started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE elections SET started_at = substr(started_at, 1, 23) || '000Z'
    WHERE started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE elections SET finished_at = substr(finished_at, 1, 23) || '000Z'
    WHERE finished_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE deposits SET at = substr(at, 1, 23) || '000Z'
    WHERE at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE requests SET received_at = substr(received_at, 1, 23) || '000Z'
    WHERE received_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE requests SET decided_at = substr(decided_at, 1, 23) || '000Z'
    WHERE decided_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE trades SET at = substr(at, 1, 23) || '000Z'
    WHERE at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE messages SET sent_at = substr(sent_at, 1, 23) || '000Z'
    WHERE sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE messages SET received_at = substr(received_at, 1, 23) || '000Z'
    WHERE received_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE outbox SET created_at = substr(created_at, 1, 23) || '000Z'
    WHERE created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
UPDATE outbox SET delivered_at = substr(delivered_at, 1, 23) || '000Z'
    WHERE delivered_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';

INSERT INTO schema_migrations(version, name) VALUES (5, 'time_microseconds');
