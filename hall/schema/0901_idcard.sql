-- ID-card check-in (issue 16). NOT event-sourced, like ticket_contacts: the salted hash of a
-- booking's ID number stays in this table only (never in events, never uploaded) and is
-- deleted once the appointment's date has passed. The ID number itself is never stored.
CREATE TABLE appointment_id_hashes (
    appointment_id TEXT PRIMARY KEY,
    date           TEXT NOT NULL,
    id_hash        TEXT NOT NULL
);
CREATE INDEX appointment_id_hashes_hash ON appointment_id_hashes (id_hash);

-- The hall's salt for those hashes, from the central's appointment pull.
CREATE TABLE hall_id_salt (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    salt TEXT NOT NULL
);
