"""The salted hash of a citizen ID number that travels with an appointment (central → hall).

The central computes it when a booking is made, with a random salt of the hall's own; the
hall receives the salt and the hashes by the appointment pull, and the kiosk hashes the number
it reads from the card with the same salt. Only the hash is compared; the number itself never
leaves the kiosk process, and a hash for one hall is useless at another.
"""

from __future__ import annotations

import hashlib
import hmac


def normalise_id_number(number: str) -> str:
    return (number or "").strip().upper()


def id_hash(salt: str, number: str) -> str:
    """HMAC-SHA256(salt, "id:" + number), hex. Empty when there is no salt or number."""
    number = normalise_id_number(number)
    if not salt or not number:
        return ""
    return hmac.new(salt.encode(), f"id:{number}".encode(), hashlib.sha256).hexdigest()


def same_id(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a, b)
