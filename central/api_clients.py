"""Client apps of the central's public APIs (the city's WeChat mini-programme, app, 12345 system).

Each app has an id and a 256-bit key shown once at registration and stored only as its
SHA-256 (the key is random, so a slow hash adds nothing). Requests carry
`X-OW-App: <app id>` and `Authorization: Bearer <key>`. An app has scopes (`booking`,
`hotline`), the halls it may act for (`*` or a list) and a rate limit per minute.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from central.db import CentralDB

APP_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
SCOPES = ("booking", "hotline")


class ApiRefused(Exception):
    """An API request the central refuses: HTTP status, code and both messages."""

    def __init__(self, status: int, code: str, message: str, message_en: str, headers: dict | None = None):
        super().__init__(message_en)
        self.status, self.code, self.message, self.message_en = status, code, message, message_en
        self.headers = headers or {}


@dataclass(frozen=True)
class Client:
    app_id: str
    name: str
    scopes: frozenset
    halls: frozenset            # empty = all halls ("*")
    rate_per_minute: int

    def may(self, scope: str, hall_id: str | None = None) -> None:
        if scope not in self.scopes:
            raise ApiRefused(403, "scope_not_allowed", f"该应用无权使用{ '预约' if scope == 'booking' else '12345'}接口",
                             f"this app may not use the {scope} API")
        if hall_id is not None and self.halls and hall_id not in self.halls:
            raise ApiRefused(403, "hall_not_allowed", "该应用无权为此大厅办理", "this app may not act for this hall")


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def register(db: CentralDB, app_id: str, name: str, scopes: list[str], halls: list[str] | None = None,
             rate_per_minute: int = 600) -> str:
    """Create a client app; returns its key (shown once)."""
    if not APP_ID.match(app_id):
        raise ValueError(f"app id must be 2-40 of a-z 0-9 _ . - : {app_id!r}")
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise ValueError(f"scopes must be among {SCOPES}: {scopes!r}")
    key = secrets.token_hex(32)
    with db.transaction():
        db.execute("INSERT INTO api_clients (app_id, name, key_hash, scopes, halls, rate_per_minute, enabled,"
                   " created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                   (app_id, name, _key_hash(key), ",".join(scopes), ",".join(halls or ["*"]),
                    int(rate_per_minute), time.time()))
    return key


def set_enabled(db: CentralDB, app_id: str, enabled: bool) -> None:
    with db.transaction():
        db.execute("UPDATE api_clients SET enabled = ? WHERE app_id = ?", (1 if enabled else 0, app_id))


def authenticate(db: CentralDB, headers) -> Client:
    """The calling app from its headers alone (before any body is read); ApiRefused 401 otherwise."""
    app_id = headers.get("x-ow-app", "")
    auth = headers.get("authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not app_id or not key:
        raise ApiRefused(401, "unauthenticated", "缺少应用凭据（X-OW-App 与 Authorization: Bearer）",
                         "missing app credentials (X-OW-App and Authorization: Bearer)")
    row = db.one("SELECT name, key_hash, scopes, halls, rate_per_minute, enabled FROM api_clients "
                 "WHERE app_id = ?", (app_id,))
    # compare even when the app is unknown, so timing does not tell which ids exist
    ok = hmac.compare_digest(_key_hash(key), row[1] if row else "0" * 64)
    if row is None or not ok:
        raise ApiRefused(401, "bad_credentials", "应用凭据不正确", "wrong app credentials")
    if not row[5]:
        raise ApiRefused(403, "app_disabled", "该应用已被停用", "this app is disabled")
    halls = frozenset(h for h in row[3].split(",") if h and h != "*")
    return Client(app_id, row[0], frozenset(row[2].split(",")), halls, int(row[4]))


class RateLimiter:
    """Sliding one-minute window per key, in memory (one central process; see docs)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def check(self, key: str, per_minute: int) -> None:
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= per_minute:
                retry = max(1, int(hits[0] + 60 - now) + 1)
                raise ApiRefused(429, "rate_limited", f"请求过于频繁，请 {retry} 秒后再试",
                                 f"too many requests; retry in {retry} s", {"Retry-After": str(retry)})
            hits.append(now)
            if len(self._hits) > 10000:          # bounded: forget idle keys
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - 60][:5000]:
                    self._hits.pop(k, None)
