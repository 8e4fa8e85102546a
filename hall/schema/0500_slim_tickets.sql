-- onewindow: foreign_keys=off
-- (The runner applies this file with foreign keys off and runs foreign_key_check before it
-- commits: SQLite's documented way to rebuild a table that others reference.)
--
-- Slimmer writes per ticket (issue 12) and no personal keys in the event-sourced rows (issue 15):
-- - tickets becomes WITHOUT ROWID on its natural key and loses three columns:
--   token (now derived: HMAC of the ticket id under the hall's secret, hall/tokens.py),
--   idempotency_key and request_hash (now in issue_requests, hall-only, purged daily);
--   the tickets_day index goes too (tickets_number has the same leading columns);
-- - counters becomes WITHOUT ROWID on (business_date, service_id);
-- - waiting_counts: waiting tickets per service, rank and checked-in flag, kept by triggers
--   in the same transaction as the ticket write (issue, call-next and the estimate then cost
--   the same with 10 or 10,000 waiting; replay rebuilds it through the same triggers).

CREATE TABLE hall_secrets (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO hall_secrets (key, value) VALUES ('ticket_token', lower(hex(randomblob(32))));

-- Tokens handed out before this migration (printed QR codes) keep working.
CREATE TABLE ticket_legacy_tokens (
    token     TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO ticket_legacy_tokens (token, ticket_id) SELECT token, id FROM tickets;

-- What idempotent issuing needs, and nothing else: the caller's key, the ticket it gave, and a
-- keyed MAC of the request (never a plain hash: the request may hold a phone number).
CREATE TABLE issue_requests (
    idempotency_key TEXT PRIMARY KEY,
    ticket_id       TEXT NOT NULL,
    request_mac     TEXT NOT NULL,
    business_date   TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE tickets_0500 (
    id               TEXT PRIMARY KEY,
    business_date    TEXT NOT NULL,
    service_id       TEXT NOT NULL REFERENCES services (id),
    number           TEXT NOT NULL,
    seq_no           INTEGER,
    priority         TEXT NOT NULL,
    priority_reason  TEXT,
    rank             INTEGER NOT NULL,
    not_before       REAL,
    target_window_id TEXT,
    return_window_id TEXT,
    source           TEXT NOT NULL,
    source_detail    TEXT,
    state            TEXT NOT NULL,
    checked_in       INTEGER NOT NULL DEFAULT 1,
    issued_at        REAL NOT NULL,
    sort_at          REAL NOT NULL,
    called_at        REAL,
    started_at       REAL,
    finished_at      REAL,
    window_id        TEXT,
    staff_id         TEXT,
    recalls          INTEGER NOT NULL DEFAULT 0,
    outcome          TEXT,
    outcome_detail   TEXT,
    has_phone        INTEGER NOT NULL DEFAULT 0,
    lang             TEXT NOT NULL DEFAULT 'zh',
    transferred_from TEXT,
    transferred_to   TEXT,
    appointment_id   TEXT,
    eta_at_issue     REAL,
    ahead_at_issue   INTEGER,
    printed          INTEGER
) WITHOUT ROWID;
INSERT INTO tickets_0500 SELECT
    id, business_date, service_id, number, seq_no, priority, priority_reason, rank, not_before,
    target_window_id, return_window_id, source, source_detail, state, checked_in, issued_at,
    sort_at, called_at, started_at, finished_at, window_id, staff_id, recalls, outcome,
    outcome_detail, has_phone, lang, transferred_from, transferred_to, appointment_id,
    eta_at_issue, ahead_at_issue, printed
FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_0500 RENAME TO tickets;
CREATE UNIQUE INDEX tickets_number ON tickets (business_date, service_id, seq_no);
CREATE INDEX tickets_waiting ON tickets (service_id, rank, sort_at) WHERE state = 'waiting';
CREATE INDEX tickets_targeted ON tickets (target_window_id, sort_at) WHERE state = 'waiting' AND target_window_id IS NOT NULL;
CREATE INDEX tickets_open_at_window ON tickets (window_id) WHERE state IN ('called', 'serving', 'held');
CREATE INDEX tickets_finished ON tickets (service_id, finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE counters_0500 (
    business_date TEXT NOT NULL,
    service_id    TEXT NOT NULL,
    last_number   INTEGER NOT NULL,
    PRIMARY KEY (business_date, service_id)
) WITHOUT ROWID;
INSERT INTO counters_0500 SELECT business_date, service_id, last_number FROM counters;
DROP TABLE counters;
ALTER TABLE counters_0500 RENAME TO counters;

CREATE TABLE waiting_counts (
    service_id TEXT NOT NULL,
    rank       INTEGER NOT NULL,
    checked_in INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (service_id, rank, checked_in)
) WITHOUT ROWID;
INSERT INTO waiting_counts (service_id, rank, checked_in, n)
    SELECT service_id, rank, checked_in, COUNT(*) FROM tickets WHERE state = 'waiting' GROUP BY 1, 2, 3;

CREATE TRIGGER waiting_counts_on_insert AFTER INSERT ON tickets WHEN NEW.state = 'waiting'
BEGIN
    INSERT INTO waiting_counts (service_id, rank, checked_in, n) VALUES (NEW.service_id, NEW.rank, NEW.checked_in, 1)
        ON CONFLICT (service_id, rank, checked_in) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER waiting_counts_on_leave AFTER UPDATE ON tickets
WHEN OLD.state = 'waiting' AND (NEW.state IS NOT 'waiting' OR NEW.service_id IS NOT OLD.service_id
                                OR NEW.rank IS NOT OLD.rank OR NEW.checked_in IS NOT OLD.checked_in)
BEGIN
    UPDATE waiting_counts SET n = n - 1
        WHERE service_id = OLD.service_id AND rank = OLD.rank AND checked_in = OLD.checked_in;
END;

CREATE TRIGGER waiting_counts_on_enter AFTER UPDATE ON tickets
WHEN NEW.state = 'waiting' AND (OLD.state IS NOT 'waiting' OR NEW.service_id IS NOT OLD.service_id
                                OR NEW.rank IS NOT OLD.rank OR NEW.checked_in IS NOT OLD.checked_in)
BEGIN
    INSERT INTO waiting_counts (service_id, rank, checked_in, n) VALUES (NEW.service_id, NEW.rank, NEW.checked_in, 1)
        ON CONFLICT (service_id, rank, checked_in) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER waiting_counts_on_delete AFTER DELETE ON tickets WHEN OLD.state = 'waiting'
BEGIN
    UPDATE waiting_counts SET n = n - 1
        WHERE service_id = OLD.service_id AND rank = OLD.rank AND checked_in = OLD.checked_in;
END;
