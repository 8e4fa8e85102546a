-- Fewer pages per event (issue 12): the events table is rebuilt without AUTOINCREMENT and
-- without the unique index on its id, and events_day keeps only the date.
-- - seq stays INTEGER PRIMARY KEY: a new event takes max(seq) + 1. Events are never deleted
--   (a restore that goes back in time recovers the hall's own events from central first,
--   hall/restore.py), so a seq is never reused; AUTOINCREMENT only added a write to
--   sqlite_sequence on every commit.
-- - id stays (central keeps it beside seq) but is no longer indexed: ids are 80 random bits
--   after a millisecond time (hall/events.py) and nothing looks an event up by id.
-- - events_day (business_date): what reports ask; new events of the day append at its end.
CREATE TABLE events_0501 (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL,
    type          TEXT NOT NULL,
    at            REAL NOT NULL,
    business_date TEXT NOT NULL,
    payload       TEXT NOT NULL
);
INSERT INTO events_0501 (seq, id, type, at, business_date, payload)
    SELECT seq, id, type, at, business_date, payload FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_0501 RENAME TO events;
CREATE INDEX events_day ON events (business_date);
DELETE FROM sqlite_sequence WHERE name = 'events';
