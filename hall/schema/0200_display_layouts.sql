-- Display layouts the hall manager sets up, and which layout each calling display shows.
-- A layout is stored as its validated JSON (hall/display_layouts.py is the schema), with a
-- per-layout version that every save increments, so displays and editors can tell stale.

CREATE TABLE display_layouts (
    name        TEXT PRIMARY KEY,
    body        TEXT NOT NULL,            -- JSON, hall.display_layouts.Layout
    version     INTEGER NOT NULL,
    updated_at  REAL NOT NULL,
    updated_by  TEXT
);

-- Keyed by the display device's name (devices.name); a display without a row shows the
-- layout named 'default'.
CREATE TABLE display_assignments (
    device_name TEXT PRIMARY KEY,
    layout_name TEXT NOT NULL REFERENCES display_layouts (name),
    updated_at  REAL NOT NULL,
    updated_by  TEXT
);
