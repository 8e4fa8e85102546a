-- The manager's office: the local configuration layer and its audit trail.
-- The local layer holds whole top-level config sections edited on the admin pages; it sits on
-- top of whatever base is in force (hall.toml or central's snapshot) and is applied atomically.

CREATE TABLE config_local_layer (
    section    TEXT PRIMARY KEY,          -- top-level hall.toml key, e.g. 'services', 'day'
    value      TEXT NOT NULL,             -- JSON of the whole section
    updated_at REAL NOT NULL,
    updated_by TEXT NOT NULL
);

-- One row per change: who, when, which section, before -> after (JSON, the effective values).
CREATE TABLE config_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         REAL NOT NULL,
    staff_id   TEXT NOT NULL,
    section    TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('set', 'revert')),
    before     TEXT NOT NULL,
    after      TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX config_audit_at ON config_audit (at);
