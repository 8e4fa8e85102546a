"""Per-hall salts for the ID-number hash that goes to the hall with each appointment."""

from __future__ import annotations

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
