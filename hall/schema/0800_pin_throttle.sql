-- PIN sign-in throttling by source and by staff id (issue 15, item 4).
-- kind = 'source': a client address; consecutive failures from it slow it down and then lock
--   it (the source, not the account: a stranger cannot lock a clerk out). A manager unlocks.
-- kind = 'account': any staff id string tried, known or not (so the answers cannot tell real
--   ids from made-up ones); failures across all sources space out further attempts on that
--   id, but never lock it.
CREATE TABLE IF NOT EXISTS pin_throttle (
    kind            TEXT NOT NULL CHECK (kind IN ('source', 'account')),
    key             TEXT NOT NULL,
    failed_count    INTEGER NOT NULL DEFAULT 0,
    last_failed_at  REAL,
    locked_until    REAL,
    PRIMARY KEY (kind, key)
);
