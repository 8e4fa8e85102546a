-- Sync with the central platform: the upload cursor, status, and configuration snapshots.
-- Written only by the sync process (sync/); safe to apply more than once.
CREATE TABLE IF NOT EXISTS sync_state (
    key TEXT PRIMARY KEY,          -- cursor, last_success_at, last_error, clock_offset, appt_cursor:DATE …
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_config_snapshots (
    version INTEGER PRIMARY KEY,   -- the central's configuration version
    etag TEXT NOT NULL,
    toml TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('staged', 'applied', 'refused')),
    reason TEXT,                   -- why a snapshot was refused
    applied_at REAL
);
