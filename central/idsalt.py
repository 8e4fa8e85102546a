"""Per-hall salts for the ID-number hash that goes to the hall with each appointment.

The salt lives in the same database as the hashes, and an ID number has few enough
possible values to be found from its salted hash; so a hash is kept only while the hall
may need it (until its appointment's day has passed) and deleted at the next booking after.
"""

from __future__ import annotations

import datetime as dt
import secrets

from central.db import CentralDB
from sync.identity import id_hash


def hall_salt(db: CentralDB, hall_id: str) -> str:
    """The hall's salt, created at random on first use (inside or outside a transaction)."""
    row = db.execute("SELECT salt FROM hall_id_salts WHERE hall_id = ?", (hall_id,)).fetchone()
    if row:
        return row[0]
    db.execute("INSERT INTO hall_id_salts (hall_id, salt) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (hall_id, secrets.token_hex(32)))
    return db.execute("SELECT salt FROM hall_id_salts WHERE hall_id = ?", (hall_id,)).fetchone()[0]


def store_id_hash(db: CentralDB, hall_id: str, appointment_id: str, id_number: str) -> None:
    """Call inside the booking's transaction."""
    db.execute("INSERT INTO appointment_id_hashes (appointment_id, id_hash) VALUES (?, ?) "
               "ON CONFLICT DO NOTHING", (appointment_id, id_hash(hall_salt(db, hall_id), id_number)))


def purge_past_id_hashes(db: CentralDB, today: dt.date) -> int:
    """Delete the hashes of appointments dated before yesterday (a hall checks in only on the
    day; yesterday stays for a hall whose clock is behind). Call inside a transaction; the
    cost follows the hashes still kept, not the appointments' history."""
    cutoff = (today - dt.timedelta(days=1)).isoformat()
    return db.execute(
        "DELETE FROM appointment_id_hashes WHERE appointment_id IN (SELECT h.appointment_id "
        "FROM appointment_id_hashes h JOIN appointments a ON a.id = h.appointment_id WHERE a.date < ?)",
        (cutoff,)).rowcount
