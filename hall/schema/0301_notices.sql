-- Phone notices (the SMS side of silent calling): an outbox filled in the engine's transaction.
CREATE TABLE IF NOT EXISTS notices (
    id            TEXT PRIMARY KEY,
    ticket_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('near', 'called')),
    event_key     TEXT NOT NULL,          -- 'near', or the call's id: one notice per ticket and event
    business_date TEXT NOT NULL,
    text          TEXT NOT NULL,          -- built from the ticket number, window and hall only
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'dropped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       REAL NOT NULL,
    created_at    REAL NOT NULL,
    sent_at       REAL,
    reason        TEXT,                   -- why it was dropped, or the last failure
    UNIQUE (ticket_id, kind, event_key)
);
CREATE INDEX IF NOT EXISTS notices_due ON notices (state, next_at);
