"""Request signing for the sync protocol: HMAC-SHA256 over method, path, body digest, time, nonce."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

SCHEME = "OW1-HMAC-SHA256"
MAX_SKEW_SECONDS = 300
H_HALL = "X-OW-Hall"
H_TIMESTAMP = "X-OW-Timestamp"
H_NONCE = "X-OW-Nonce"
H_DIGEST = "X-OW-Content-SHA256"
H_SIGNATURE = "X-OW-Signature"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path: str, digest: str, timestamp: str, nonce: str,
                   hall_id: str) -> bytes:
    return "\n".join([SCHEME, method.upper(), path, digest, timestamp, nonce,
                      hall_id]).encode("utf-8")


def signature(secret: str, method: str, path: str, digest: str, timestamp: str, nonce: str,
              hall_id: str) -> str:
    return hmac.new(bytes.fromhex(secret),
                    string_to_sign(method, path, digest, timestamp, nonce, hall_id),
                    hashlib.sha256).hexdigest()


def new_secret() -> str:
    """A fresh 256-bit hall credential, as hex."""
    return secrets.token_hex(32)


def sign_headers(hall_id: str, secret: str, method: str, path: str, body: bytes, *,
                 now: float | None = None, nonce: str | None = None) -> dict[str, str]:
    """Headers that authenticate one request; `path` includes the query string as sent."""
    ts = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_hex(16)
    digest = body_digest(body)
    return {
        H_HALL: hall_id,
        H_TIMESTAMP: ts,
        H_NONCE: nonce,
        H_DIGEST: digest,
        H_SIGNATURE: signature(secret, method, path, digest, ts, nonce, hall_id),
    }


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: a code from the protocol and a message in both languages."""

    code: str
    message: str
    message_en: str


# One answer for every authentication failure: an unknown or disabled hall, a wrong key and
# malformed headers look the same from outside, so hall ids cannot be enumerated.
UNAUTHENTICATED = Refusal(
    "unauthenticated",
    "中心无法验证本请求：大厅未登记或已停用、密钥错误，或签名信息不完整",
    "the central cannot authenticate this request: the hall is not registered or is "
    "disabled, the key is wrong, or the signature headers are incomplete")
# Used for unknown halls so that their refusal costs the same HMAC as a known hall's.
_DUMMY_SECRET = secrets.token_hex(32)


def check_headers(headers, method: str, path: str, secret: str | None, *,
                  now: float | None = None) -> Refusal | None:
    """Check the signature on the headers alone (the body is not needed: the signature
    covers the body's digest header); None when authentic. `secret` None: unknown hall.

    The nonce's freshness and the body against its digest are checked by the caller.
    """
    hall_id = headers.get(H_HALL) or ""
    ts = headers.get(H_TIMESTAMP) or ""
    nonce = headers.get(H_NONCE) or ""
    digest = headers.get(H_DIGEST) or ""
    sig = headers.get(H_SIGNATURE) or ""
    well_formed = (ts.isascii() and ts.isdigit() and len(ts) <= 12 and 16 <= len(nonce) <= 128
                   and len(digest) == 64 and len(sig) == 64 and digest.isascii() and sig.isascii())
    expected = signature(secret or _DUMMY_SECRET, method, path, digest if well_formed else "",
                         ts, nonce, hall_id)
    if not (hmac.compare_digest(expected, sig if well_formed else "0" * 64)
            and well_formed and secret is not None):
        return UNAUTHENTICATED
    current = now if now is not None else time.time()
    if abs(int(ts) - current) > MAX_SKEW_SECONDS:
        return Refusal("clock_skew", "请求时间与中心时间相差超过 300 秒",
                       "request time differs from the central's clock by more than 300 s")
    return None


def digest_matches(headers, body: bytes) -> bool:
    return hmac.compare_digest((headers.get(H_DIGEST) or "").encode("ascii", "replace"),
                               body_digest(body).encode())


def mask_phone(phone: str | None) -> str:
    """138****5678 — the only form a phone number may take in logs and on screens."""
    if not phone:
        return ""
    digits = str(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
