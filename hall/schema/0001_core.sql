-- The hall's queue: state tables (the fast read model) and the append-only events table.
-- Times are unix seconds (REAL); business_date is the hall's local 'YYYY-MM-DD'.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE services (
    id            TEXT PRIMARY KEY,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    domain        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    daily_cap     INTEGER NOT NULL,
    appointments  INTEGER NOT NULL,
    materials     TEXT NOT NULL,          -- JSON list
    pinned        INTEGER NOT NULL,
    avg_minutes   REAL,
    ticket_cutoff TEXT,
    position      INTEGER NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE windows (
    id            TEXT PRIMARY KEY,
    number        INTEGER NOT NULL,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    services      TEXT NOT NULL,          -- JSON list, in the window's priority order
    mode          TEXT NOT NULL,
    weights       TEXT NOT NULL,          -- JSON object
    served_counts TEXT NOT NULL DEFAULT '{}',  -- JSON, calls per service today (ratio mode)
    state         TEXT NOT NULL DEFAULT 'closed',
    staff_id      TEXT,
    current_ticket_id TEXT,
    changed_at    REAL,
    active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE staff (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    role    TEXT NOT NULL CHECK (role IN ('clerk', 'helper', 'manager')),
    active  INTEGER NOT NULL DEFAULT 1
);

-- One row per service per business day: the number counter, committed with the ticket.
CREATE TABLE counters (
    business_date TEXT NOT NULL,
    service_id    TEXT NOT NULL,
    last_number   INTEGER NOT NULL,
    PRIMARY KEY (business_date, service_id)
);

CREATE TABLE appointments (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    service_id    TEXT NOT NULL,
    date          TEXT NOT NULL,
    slot_start    TEXT NOT NULL,           -- HH:MM local
    slot_end      TEXT NOT NULL,
    name_masked   TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL DEFAULT 'booked',
    ticket_id     TEXT,
    checked_in_at REAL,
    updated_at    REAL
);
CREATE INDEX appointments_date ON appointments (date, service_id);

CREATE TABLE tickets (
    id               TEXT PRIMARY KEY,
    business_date    TEXT NOT NULL,
    service_id       TEXT NOT NULL REFERENCES services (id),
    number           TEXT NOT NULL,
    seq_no           INTEGER,                -- from the counter; NULL for a transfer's follow-up
    priority         TEXT NOT NULL,
    priority_reason  TEXT,
    rank             INTEGER NOT NULL,       -- 0 appointment, 1 green, 2 normal
    not_before       REAL,                   -- appointment: its slot start
    target_window_id TEXT,                   -- sent back to one window (transfer, return_to_me)
    return_window_id TEXT,                   -- when finished, send back to this window
    source           TEXT NOT NULL,
    source_detail    TEXT,
    token            TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL,
    checked_in       INTEGER NOT NULL DEFAULT 1,
    issued_at        REAL NOT NULL,
    sort_at          REAL NOT NULL,          -- queue position time; a transfer keeps the original
    called_at        REAL,
    started_at       REAL,
    finished_at      REAL,
    window_id        TEXT,
    staff_id         TEXT,
    recalls          INTEGER NOT NULL DEFAULT 0,
    outcome          TEXT,
    outcome_detail   TEXT,                   -- JSON
    has_phone        INTEGER NOT NULL DEFAULT 0,
    lang             TEXT NOT NULL DEFAULT 'zh',
    transferred_from TEXT,
    transferred_to   TEXT,
    appointment_id   TEXT,
    idempotency_key  TEXT UNIQUE,
    request_hash     TEXT,
    eta_at_issue     REAL,
    ahead_at_issue   INTEGER,
    printed          INTEGER                 -- NULL unknown, 1 printed, 0 print failed
);
CREATE UNIQUE INDEX tickets_number ON tickets (business_date, service_id, seq_no);
-- call-next looks only at waiting tickets: a partial index keeps history out of its way.
CREATE INDEX tickets_waiting ON tickets (service_id, rank, sort_at) WHERE state = 'waiting';
CREATE INDEX tickets_targeted ON tickets (target_window_id, sort_at) WHERE state = 'waiting' AND target_window_id IS NOT NULL;
CREATE INDEX tickets_day ON tickets (business_date, service_id);
CREATE INDEX tickets_open_at_window ON tickets (window_id) WHERE state IN ('called', 'serving', 'held');
CREATE INDEX tickets_finished ON tickets (service_id, finished_at) WHERE finished_at IS NOT NULL;

-- Personal data lives apart from the event-sourced tables: never in events, purged.
CREATE TABLE ticket_contacts (
    ticket_id  TEXT PRIMARY KEY REFERENCES tickets (id),
    phone      TEXT NOT NULL,
    purge_after TEXT NOT NULL               -- business date after which it is deleted
);

CREATE TABLE calls (
    id        TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    window_id TEXT NOT NULL,
    staff_id  TEXT,
    kind      TEXT NOT NULL,                -- call | recall
    at        REAL NOT NULL
);
CREATE INDEX calls_ticket ON calls (ticket_id);

CREATE TABLE ratings (
    id         TEXT PRIMARY KEY,
    ticket_id  TEXT NOT NULL UNIQUE REFERENCES tickets (id),
    window_id  TEXT,
    staff_id   TEXT,
    service_id TEXT NOT NULL,
    business_date TEXT NOT NULL,
    level      INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    reasons    TEXT NOT NULL,               -- JSON list
    comment    TEXT,
    channel    TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    excluded   INTEGER NOT NULL DEFAULT 0,  -- set when an appeal (申诉复核) is upheld
    at         REAL NOT NULL
);
CREATE INDEX ratings_day ON ratings (business_date);

CREATE TABLE complaints (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,              -- complaint | suggestion
    category    TEXT NOT NULL,
    text        TEXT NOT NULL,
    phrases     TEXT NOT NULL,              -- JSON list
    has_contact INTEGER NOT NULL DEFAULT 0,
    source      TEXT NOT NULL,
    ticket_id   TEXT,
    business_date TEXT NOT NULL,
    at          REAL NOT NULL,
    adopted     INTEGER NOT NULL DEFAULT 0  -- 啄木鸟: an adopted suggestion
);

CREATE TABLE complaint_contacts (
    complaint_id TEXT PRIMARY KEY REFERENCES complaints (id),
    phone        TEXT NOT NULL,
    purge_after  TEXT NOT NULL
);

CREATE TABLE cases (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,             -- rating | complaint
    rating_id    TEXT,
    complaint_id TEXT,
    ticket_id    TEXT,
    window_id    TEXT,
    staff_id     TEXT,
    service_id   TEXT,
    summary      TEXT NOT NULL,
    state        TEXT NOT NULL,
    opened_at    REAL NOT NULL,
    business_date TEXT NOT NULL,
    revisit_due  TEXT NOT NULL,             -- dates (working-day arithmetic)
    rectify_due  TEXT NOT NULL,
    reply_due    TEXT NOT NULL,
    assigned_to  TEXT,
    contacted_at REAL,
    closed_at    REAL,
    resolution   TEXT
);
CREATE INDEX cases_state ON cases (state, reply_due);

CREATE TABLE case_steps (
    id       TEXT PRIMARY KEY,
    case_id  TEXT NOT NULL REFERENCES cases (id),
    step     TEXT NOT NULL,
    staff_id TEXT,
    note     TEXT NOT NULL,
    at       REAL NOT NULL
);
CREATE INDEX case_steps_case ON case_steps (case_id);

CREATE TABLE refusals (
    id                TEXT PRIMARY KEY,
    ticket_id         TEXT NOT NULL REFERENCES tickets (id),
    window_id         TEXT NOT NULL,
    staff_id          TEXT,
    service_id        TEXT NOT NULL,
    kind              TEXT NOT NULL,
    target_service_id TEXT,
    materials         TEXT NOT NULL,        -- JSON list
    escalate_to       TEXT,
    text              TEXT NOT NULL,
    business_date     TEXT NOT NULL,
    at                REAL NOT NULL,
    review_state      TEXT NOT NULL DEFAULT 'new',   -- new | confirmed | follow_up
    reviewed_by       TEXT,
    review_note       TEXT
);
CREATE INDEX refusals_day ON refusals (business_date);

CREATE TABLE help_requests (
    id         TEXT PRIMARY KEY,
    kiosk      TEXT NOT NULL,
    note       TEXT NOT NULL,
    state      TEXT NOT NULL,
    raised_at  REAL NOT NULL,
    ack_at     REAL,
    ack_by     TEXT,
    closed_at  REAL,
    closed_by  TEXT,
    business_date TEXT NOT NULL
);

-- Running average of service times per service (estimated waits).
CREATE TABLE service_stats (
    service_id  TEXT PRIMARY KEY,
    avg_seconds REAL NOT NULL,
    samples     INTEGER NOT NULL
);

CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL,
    at            REAL NOT NULL,
    business_date TEXT NOT NULL,
    payload       TEXT NOT NULL
);
CREATE INDEX events_day ON events (business_date, type);
