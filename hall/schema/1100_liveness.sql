-- The hall's watchdog probe: one row written through the store before every WATCHDOG=1
-- (hall/liveness.py). Not a state table, never in events.
CREATE TABLE IF NOT EXISTS liveness (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    at  REAL NOT NULL,
    pid INTEGER NOT NULL
);
