-- Devices, staff PIN credentials, staff sessions and sign-in attempts (the API's own tables).
-- Tokens are random 256-bit values: only their SHA-256 is stored, so a copied database
-- cannot be used to impersonate a device. PINs are short, so they get a slow hash (argon2id).

CREATE TABLE IF NOT EXISTS devices (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL CHECK (role IN ('kiosk', 'display', 'window')),
    window_id    TEXT,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   REAL NOT NULL,
    revoked_at   REAL
);

CREATE TABLE IF NOT EXISTS staff_credentials (
    staff_id        TEXT PRIMARY KEY,
    pin_hash        TEXT NOT NULL,
    updated_at      REAL NOT NULL,
    failed_count    INTEGER NOT NULL DEFAULT 0,
    last_failed_at  REAL,
    locked_until    REAL
);

CREATE TABLE IF NOT EXISTS staff_sessions (
    token_hash   TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL,
    role         TEXT NOT NULL,
    window_id    TEXT,
    created_at   REAL NOT NULL,
    expires_at   REAL NOT NULL,
    ended_at     REAL
);
CREATE INDEX IF NOT EXISTS staff_sessions_by_staff ON staff_sessions (staff_id);

CREATE TABLE IF NOT EXISTS login_attempts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id  TEXT NOT NULL,
    at        REAL NOT NULL,
    ok        INTEGER NOT NULL,
    remote    TEXT
);
