"""Searching bytes for the personal data a hall database holds (phones, tokens, keys, hashes)."""

from __future__ import annotations

import hashlib
import sqlite3

from hall.exits import FREE_TEXT_KEYS

ID_NUMBER = "110101199003071234"


def columns(db: sqlite3.Connection, names: set[str]) -> list[tuple[str, str]]:
    out = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for col in db.execute(f"PRAGMA table_info({table})"):
            if col[1] in names:
                out.append((table, col[1]))
    return out


def secrets_in(db_path) -> dict[str, set[str]]:
    """Every phone, token, idempotency key and request hash the hall database holds."""
    db = sqlite3.connect(db_path)
    found: dict[str, set[str]] = {"phone": set(), "token": set(), "key": set()}
    kinds = {"phone": "phone", "token": "token", "ticket_token": "token", "pickup_token": "token",
             "idempotency_key": "key", "request_hash": "key", "request_mac": "key"}
    for table, col in columns(db, set(kinds)):
        for (value,) in db.execute(f"SELECT {col} FROM {table} WHERE {col} IS NOT NULL"):
            if str(value).strip():
                found[kinds[col]].add(str(value))
    # Tokens derived from the ticket id with the hall's secret (never stored): derive them all.
    has_secret = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'hall_secrets'").fetchone()
    if has_secret:
        from hall.tokens import ticket_token

        row = db.execute("SELECT value FROM hall_secrets WHERE key = 'ticket_token'").fetchone()
        for (ticket_id,) in db.execute("SELECT id FROM tickets"):
            found["token"].add(ticket_token(bytes.fromhex(row[0]), ticket_id))
    db.close()
    return found


def needles_for(secrets: dict[str, set[str]]) -> dict[str, str]:
    """needle (lower case) -> what it is; the values and their SHA-256 and MD5."""
    needles = {}
    for kind, values in secrets.items():
        for v in values:
            needles[v.lower()] = f"{kind} {v[:6]}…"
            needles[hashlib.sha256(v.encode()).hexdigest()] = f"SHA-256 of {kind} {v[:6]}…"
            needles[hashlib.md5(v.encode()).hexdigest()] = f"MD5 of {kind} {v[:6]}…"
    needles[ID_NUMBER] = "ID number typed into a complaint"
    return needles


def without_typed_text(value):
    if isinstance(value, dict):
        return {k: None if k in FREE_TEXT_KEYS else without_typed_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_typed_text(v) for v in value]
    return value


def leaks_in(where: str, haystack: bytes | str, needles: dict[str, str]) -> list[str]:
    text = (haystack.decode("utf-8", "replace") if isinstance(haystack, bytes) else haystack).lower()
    return [f"{where}: {what}" for needle, what in needles.items() if needle in text]
