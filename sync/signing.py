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


def check_request(headers, method: str, path: str, body: bytes, secret: str | None, *,
                  now: float | None = None) -> Refusal | None:
    """Check everything but the nonce's freshness; None when the request is authentic.

    `headers` is any case-insensitive mapping; `secret` None means the hall is unknown.
    """
    hall_id = headers.get(H_HALL) or ""
    if secret is None:
        return Refusal("unknown_hall", f"未登记的大厅：{hall_id!r}", f"unknown hall {hall_id!r}")
    ts = headers.get(H_TIMESTAMP) or ""
    nonce = headers.get(H_NONCE) or ""
    digest = headers.get(H_DIGEST) or ""
    sig = headers.get(H_SIGNATURE) or ""
    if not (ts.isdigit() and len(nonce) >= 16 and digest and sig):
        return Refusal("bad_signature", "签名信息不完整", "signature headers missing or malformed")
    if not hmac.compare_digest(digest, body_digest(body)):
        return Refusal("bad_signature", "请求内容与摘要不符", "body does not match its digest")
    expected = signature(secret, method, path, digest, ts, nonce, hall_id)
    if not hmac.compare_digest(expected, sig):
        return Refusal("bad_signature", "签名不正确（密钥错误？）", "bad signature (wrong key?)")
    current = now if now is not None else time.time()
    if abs(int(ts) - current) > MAX_SKEW_SECONDS:
        return Refusal("clock_skew", "请求时间与中心时间相差超过 300 秒",
                       "request time differs from the central's clock by more than 300 s")
    return None


def mask_phone(phone: str | None) -> str:
    """138****5678 — the only form a phone number may take in logs and on screens."""
    if not phone:
        return ""
    digits = str(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
