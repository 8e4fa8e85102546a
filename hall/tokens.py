"""A citizen's ticket token, derived rather than stored, and the keyed MAC of an issue request.

Rules kept here:
- a token is base64url(ticket id (16 bytes) + HMAC-SHA256(hall secret, id)[:12]): 38 characters,
  unguessable without the secret, checked in constant time;
- tokens are never stored and never put in an event: anyone holding the secret (the hall
  node) recomputes one from the ticket id, so replaying the events needs no token either;
- the secret lives in `hall_secrets` (made at migration, random 256 bits), a table that is not
  event-sourced, not synced and not sent to any device;
- an issue request is remembered (for idempotent retries) only as HMAC(secret, request digest):
  never a plain hash, since a request may hold a phone number;
- tokens handed out before tokens were derived stay valid through `ticket_legacy_tokens`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import sqlite3

_TAG = 12


def load_secret(conn: sqlite3.Connection) -> bytes:
    row = conn.execute("SELECT value FROM hall_secrets WHERE key = 'ticket_token'").fetchone()
    if row is None:      # a database migrated before 0500 always has it; this is a safety net
        raise RuntimeError("hall_secrets has no ticket_token: run the migrations")
    return bytes.fromhex(row[0])


@functools.lru_cache(maxsize=8)
def _keyed(secret: bytes) -> hmac.HMAC:
    """HMAC-SHA256 keyed with the hall secret and fed the token prefix: copied per token
    rather than keyed afresh (every ticket write returns its token)."""
    return hmac.new(secret, b"ticket:", hashlib.sha256)


def _tag(secret: bytes, raw_id: bytes) -> bytes:
    mac = _keyed(secret).copy()
    mac.update(raw_id)
    return mac.digest()[:_TAG]


def ticket_token(secret: bytes, ticket_id: str) -> str:
    """The token for a ticket id (32 hex digits, as the engine makes them)."""
    raw = bytes.fromhex(ticket_id)
    return base64.urlsafe_b64encode(raw + _tag(secret, raw)).rstrip(b"=").decode("ascii")


def ticket_id_of(secret: bytes, token: str) -> str | None:
    """The ticket id a derived token stands for, or None if it is not one of ours."""
    if len(token) != 38:
        return None
    try:
        blob = base64.urlsafe_b64decode(token + "==")
    except (binascii.Error, ValueError):
        return None
    raw, tag = blob[:-_TAG], blob[-_TAG:]
    if len(raw) != 16 or not hmac.compare_digest(tag, _tag(secret, raw)):
        return None
    return raw.hex()


def request_mac(secret: bytes, request_digest: str) -> str:
    return hmac.new(secret, b"request:" + request_digest.encode(), hashlib.sha256).hexdigest()[:32]


def token_in_db(conn: sqlite3.Connection, ticket_id: str) -> str:
    """The token of a ticket, straight from a database (tools and tests that read the file)."""
    return ticket_token(load_secret(conn), ticket_id)
