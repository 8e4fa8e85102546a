"""ID-card check-in at the hall (issue 16): salted hashes of booking ID numbers, never the numbers.

The central sends, with each appointment it pulls, `id_hash` = HMAC-SHA256(salt, "id:<number>")
under a random salt of this hall (`sync/identity.py`). They live in `appointment_id_hashes`,
a table that is NOT event-sourced (like ticket_contacts): never in events, never uploaded,
deleted when the appointment's date has passed. The kiosk reads a card, hashes the number with
the salt (GET /api/v1/kiosk/idcard-salt, device token) and sends only the hash.
"""

from __future__ import annotations

import re

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def store_id_salt(store, salt: str) -> None:
    if not salt or len(salt) > 128:
        return
    with store.transaction() as c:
        c.execute("INSERT INTO hall_id_salt (id, salt) VALUES (1, ?) "
                  "ON CONFLICT (id) DO UPDATE SET salt = excluded.salt", (salt,))


def id_salt(store) -> str:
    with store.read() as c:
        row = c.execute("SELECT salt FROM hall_id_salt WHERE id = 1").fetchone()
    return row[0] if row else ""


def store_id_hashes(store, appointments: list[dict]) -> int:
    """Keep the hashes of pulled appointments (by the hall's appointment id, looked up by code)."""
    n = 0
    with store.transaction() as c:
        for a in appointments:
            h = str(a.get("id_hash") or "")
            if not _HEX64.match(h):
                continue
            row = c.execute("SELECT id, date FROM appointments WHERE code = ?", (str(a.get("code", "")),)).fetchone()
            if row is None:
                continue
            c.execute("INSERT INTO appointment_id_hashes (appointment_id, date, id_hash) VALUES (?, ?, ?) "
                      "ON CONFLICT (appointment_id) DO UPDATE SET id_hash = excluded.id_hash, date = excluded.date",
                      (row[0], row[1], h))
            n += 1
    return n


def purge_id_hashes(store, today: str) -> int:
    with store.transaction() as c:
        return c.execute("DELETE FROM appointment_id_hashes WHERE date < ?", (today,)).rowcount


def appointment_codes_for_hash(store, id_hash: str, date: str) -> list[str]:
    """Codes of the day's appointments booked with this ID hash (by index), booked ones first;
    check-in then gives the usual answer (too early, already checked in …)."""
    if not _HEX64.match(id_hash or ""):
        return []
    with store.read() as c:
        rows = c.execute("SELECT a.code FROM appointment_id_hashes h JOIN appointments a "
                         "ON a.id = h.appointment_id WHERE h.id_hash = ? AND h.date = ? "
                         "ORDER BY a.state = 'booked' DESC, a.slot_start", (id_hash, date)).fetchall()
    return [r[0] for r in rows]
