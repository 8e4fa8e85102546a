-- What each kiosk and display last said about itself (POST /api/v1/devices/me/status):
-- the printer's paper, the scanner. Part of the health report sync sends to the central.
CREATE TABLE IF NOT EXISTS device_status (
    device_id   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    status      TEXT NOT NULL,          -- JSON {"printer": {"state": …}, "scanner": {…}}
    reported_at REAL NOT NULL
);
