-- Matters (办件): what continues after a window accepts (受理 / 容缺受理) until the citizen
-- holds the result. matters, matter_steps and matter_visits are event-sourced (hall/replay.py);
-- matter_access holds the citizen's keys and phone and, like ticket_contacts, never is.

CREATE TABLE matters (
    id             TEXT PRIMARY KEY,
    code           TEXT NOT NULL,              -- BJYYYYMMDD-NNNN; a theme's matters share one
    theme_id       TEXT,                       -- 一件事: the theme that bundled it, or NULL
    service_id     TEXT NOT NULL,
    ticket_id      TEXT NOT NULL,              -- the ticket it was accepted on
    window_id      TEXT NOT NULL,              -- accepting window and clerk
    staff_id       TEXT,
    accepted_at    REAL NOT NULL,
    business_date  TEXT NOT NULL,              -- the acceptance day
    kind           TEXT NOT NULL CHECK (kind IN ('instant', 'promised')),  -- 即办件 / 承诺件
    promise_days   INTEGER NOT NULL,           -- 承诺时限, working days
    due_date       TEXT NOT NULL,              -- promised completion date (work calendar)
    state          TEXT NOT NULL,              -- see hall/matters.py MATTER_STEPS
    received       TEXT NOT NULL,              -- JSON list of materials received
    owed           TEXT NOT NULL,              -- JSON list [{name, supplied_at, supplied_by}] (容缺)
    owed_due       TEXT,                       -- date by which owed materials are due
    has_phone      INTEGER NOT NULL DEFAULT 0,
    decided_at     REAL,                       -- approved or rejected
    ready_at       REAL,
    closed_at      REAL,                       -- collected, mailed or rejected
    handed_to      TEXT,                       -- who collected it (name as shown on the ID)
    by_proxy       INTEGER NOT NULL DEFAULT 0,
    reason         TEXT,                       -- reasons for a rejection
    updated_at     REAL NOT NULL
);
CREATE INDEX matters_code ON matters (code);
CREATE INDEX matters_open ON matters (due_date) WHERE closed_at IS NULL;
CREATE INDEX matters_day ON matters (business_date, service_id);
CREATE INDEX matters_ticket ON matters (ticket_id);

CREATE TABLE matter_steps (
    id         TEXT PRIMARY KEY,
    matter_id  TEXT NOT NULL REFERENCES matters (id),
    step       TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    staff_id   TEXT,                           -- NULL when central set it
    source     TEXT NOT NULL DEFAULT 'hall',   -- hall | central
    ext_id     TEXT UNIQUE,                    -- central's update id: applied once
    note       TEXT NOT NULL,
    at         REAL NOT NULL
);
CREATE INDEX matter_steps_matter ON matter_steps (matter_id);

-- Each visit the citizen made for a matter: the acceptance, bringing owed materials, pickup.
CREATE TABLE matter_visits (
    id            TEXT PRIMARY KEY,
    matter_id     TEXT NOT NULL REFERENCES matters (id),
    ticket_id     TEXT,                        -- NULL for materials filed at the kiosk without a number
    kind          TEXT NOT NULL CHECK (kind IN ('accept', 'supply', 'pickup')),
    at            REAL NOT NULL,
    business_date TEXT NOT NULL
);
CREATE INDEX matter_visits_matter ON matter_visits (matter_id);
CREATE INDEX matter_visits_ticket ON matter_visits (ticket_id);

-- The citizen's keys (phone page token, pickup code) and phone: hall only, never in events.
CREATE TABLE matter_access (
    code         TEXT PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,         -- /m/TOKEN
    pickup_token TEXT NOT NULL UNIQUE,         -- OW1:P:TOKEN at the kiosk
    phone        TEXT,
    purge_after  TEXT                          -- set when the matter closes
);

-- Approval staff (审批人员): the staff role set gains 'approver'.
CREATE TABLE staff_new (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    role    TEXT NOT NULL CHECK (role IN ('clerk', 'helper', 'manager', 'approver')),
    active  INTEGER NOT NULL DEFAULT 1
);
INSERT INTO staff_new (id, name, role, active) SELECT id, name, role, active FROM staff;
DROP TABLE staff;
ALTER TABLE staff_new RENAME TO staff;

-- Phone notices for matters: result ready, owed materials due. matter_id names the matter;
-- ticket_id stays the accepting ticket so existing readers keep working.
CREATE TABLE notices_new (
    id            TEXT PRIMARY KEY,
    ticket_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('near', 'called', 'matter_ready', 'matter_owed',
                                                'matter_decided')),
    event_key     TEXT NOT NULL,
    business_date TEXT NOT NULL,
    text          TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'dropped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       REAL NOT NULL,
    created_at    REAL NOT NULL,
    sent_at       REAL,
    reason        TEXT,
    matter_id     TEXT,
    UNIQUE (ticket_id, kind, event_key)
);
INSERT INTO notices_new (id, ticket_id, kind, event_key, business_date, text, state, attempts,
                         next_at, created_at, sent_at, reason)
    SELECT id, ticket_id, kind, event_key, business_date, text, state, attempts, next_at,
           created_at, sent_at, reason FROM notices;
DROP TABLE notices;
ALTER TABLE notices_new RENAME TO notices;
CREATE INDEX IF NOT EXISTS notices_due ON notices (state, next_at);
