"""Device tokens, staff PINs and staff sessions: who is calling the hall node, and may they."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from hall.errors import DomainError, InvalidInput, NotFound, Unauthorized

DEVICE_ROLES = ("kiosk", "display", "window")
STAFF_ROLES = ("clerk", "helper", "manager", "approver")   # approver: 审批人员 (back office)

# A 6-digit PIN has only 10^6 values, so online throttling is the real protection
# (reference/reliability.md §4.4). It is kept per SOURCE (client address) and per staff id:
# - a source that fails THROTTLE_AFTER times in a row must wait before each further attempt
#   (doubling), and after SOURCE_LOCK_AFTER failures it is locked for LOCK_SECONDS or until a
#   manager unlocks it. The source is locked, not the account: a stranger on the LAN cannot
#   lock a clerk out (issue 15).
# - a staff id (any id tried, real or not, so answers never tell real ids from made-up ones)
#   that failed ACCOUNT_SLOW_AFTER times across all sources spaces out further attempts, at
#   most ACCOUNT_MAX_WAIT seconds apart; it is never locked. 10^6 PINs at one try per 30 s
#   take about a year.
THROTTLE_AFTER = 3
SOURCE_LOCK_AFTER = 10
ACCOUNT_SLOW_AFTER = 5
ACCOUNT_MAX_WAIT = 30.0
LOCK_AFTER = SOURCE_LOCK_AFTER   # kept for callers of the old name
LOCK_SECONDS = 15 * 60
SESSION_SECONDS = 12 * 3600


class TooManyAttempts(DomainError):
    status = 429
    default_code = "too_many_attempts"

    def __init__(self, message: str, message_en: str, retry_after: float):
        super().__init__(None, message, message_en)
        self.retry_after = max(1, int(retry_after + 0.999))


class Locked(DomainError):
    status = 423
    default_code = "locked"


class SourceLocked(DomainError):
    status = 423
    default_code = "source_locked"

    def __init__(self):
        super().__init__(None, "此设备连续输错 PIN 次数过多，已暂停在此登录；请联系大厅管理员解锁，或 15 分钟后再试",
                         "Too many wrong PINs from this device: sign-in is paused here; ask the "
                         "hall manager to unlock it, or try again in 15 minutes")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a device (kind="device") or a signed-in staff member."""

    kind: str                  # "device" | "staff"
    id: str                    # device id or staff id
    name: str
    role: str                  # kiosk|display|window or clerk|helper|manager
    window_id: str | None = None   # the window a clerk signed in to / a window device serves
    session_id: str | None = None  # hash of the staff session token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _hasher():
    from argon2 import PasswordHasher

    # OWASP minimum for argon2id: m=19 MiB, t=2, p=1.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_pin(pin: str) -> str:
    check_pin_format(pin)
    return _hasher().hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def check_pin_format(pin: str) -> None:
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise InvalidInput("bad_pin_format", "PIN 必须是 4 到 12 位数字", "The PIN must be 4 to 12 digits")


class AuthService:
    """Devices, staff credentials and sessions kept in the hall database.

    The store is the hall's Store: `transaction()` for writes, `read()` for reads.
    """

    def __init__(self, store, clock: Callable[[], float] | None = None,
                 throttle_seconds: float = 1.0):
        self.store = store
        self.clock = clock or time.time
        self.throttle_seconds = throttle_seconds
        # Attempts for one staff id are checked and recorded one at a time, so that 20
        # parallel guesses cannot all slip in before the counter moves.
        self._login_lock = threading.Lock()

    # -- devices -----------------------------------------------------------------------
    def add_device(self, role: str, name: str, window_id: str | None = None) -> tuple[dict, str]:
        """Register a device; returns (device row, token). The token is shown once only."""
        if role not in DEVICE_ROLES:
            raise InvalidInput("bad_role", f"设备角色必须是 {'/'.join(DEVICE_ROLES)}",
                               f"Device role must be one of {', '.join(DEVICE_ROLES)}")
        name = (name or "").strip()
        if not name or len(name) > 64:
            raise InvalidInput("bad_name", "设备名称不能为空，且不超过 64 个字符",
                               "Device name must be 1 to 64 characters")
        token = new_token()
        row = {"id": uuid.uuid4().hex, "name": name, "role": role, "window_id": window_id,
               "token_hash": hash_token(token), "created_at": self.clock(), "revoked_at": None}
        with self.store.transaction() as db:
            existing = db.execute("SELECT id, revoked_at FROM devices WHERE name = ?", (name,)).fetchone()
            if existing is not None and existing[1] is None:
                raise DomainError("device_exists", f"设备“{name}”已存在；如需新令牌请先吊销",
                                  f"Device '{name}' already exists; revoke it first to get a new token",
                                  409)
            if existing is not None:
                db.execute("DELETE FROM devices WHERE id = ?", (existing[0],))
            db.execute(
                "INSERT INTO devices (id, name, role, window_id, token_hash, created_at, revoked_at)"
                " VALUES (:id, :name, :role, :window_id, :token_hash, :created_at, :revoked_at)", row)
        return _public_device(row), token

    def list_devices(self) -> list[dict]:
        with self.store.read() as db:
            rows = db.execute(
                "SELECT id, name, role, window_id, token_hash, created_at, revoked_at FROM devices"
                " ORDER BY name").fetchall()
        return [_public_device(dict(zip(_DEVICE_COLS, r, strict=True))) for r in rows]

    def revoke_device(self, name: str) -> dict:
        with self.store.transaction() as db:
            row = db.execute("SELECT id FROM devices WHERE name = ? AND revoked_at IS NULL",
                             (name,)).fetchone()
            if row is None:
                raise NotFound("no_device", f"没有名为“{name}”的有效设备", f"No active device named '{name}'")
            db.execute("UPDATE devices SET revoked_at = ? WHERE id = ?", (self.clock(), row[0]))
        return {"name": name, "revoked": True}

    def device_for_token(self, token: str) -> Principal | None:
        with self.store.read() as db:
            row = db.execute(
                "SELECT id, name, role, window_id FROM devices WHERE token_hash = ? AND revoked_at IS NULL",
                (hash_token(token),)).fetchone()
        if row is None:
            return None
        return Principal(kind="device", id=row[0], name=row[1], role=row[2], window_id=row[3])

    # -- staff -------------------------------------------------------------------------
    def set_pin(self, staff_id: str, pin: str) -> None:
        """Set or reset a staff member's PIN; clears failures and lock-out."""
        pin_hash = hash_pin(pin)
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM staff WHERE id = ?", (staff_id,)).fetchone() is None:
                raise NotFound("no_staff", f"没有工号为 {staff_id} 的工作人员", f"No staff member with id {staff_id}")
            db.execute(
                "INSERT INTO staff_credentials (staff_id, pin_hash, updated_at, failed_count)"
                " VALUES (?, ?, ?, 0) ON CONFLICT(staff_id) DO UPDATE SET pin_hash = excluded.pin_hash,"
                " updated_at = excluded.updated_at, failed_count = 0, last_failed_at = NULL,"
                " locked_until = NULL", (staff_id, pin_hash, self.clock()))

    def unlock(self, staff_id: str) -> None:
        """Clear a staff id's failed attempts (and any lock-out from before sources were kept)."""
        with self.store.transaction() as db:
            db.execute("UPDATE staff_credentials SET failed_count = 0, locked_until = NULL,"
                       " last_failed_at = NULL WHERE staff_id = ?", (staff_id,))
            db.execute("DELETE FROM pin_throttle WHERE kind = 'account' AND key = ?", (staff_id,))

    def unlock_source(self, source: str) -> bool:
        """A manager lets a locked-out device (client address) sign in again."""
        with self.store.transaction() as db:
            return db.execute("DELETE FROM pin_throttle WHERE kind = 'source' AND key = ?",
                              (source,)).rowcount > 0

    def pin_locks(self) -> list[dict]:
        """Sources locked or slowed down now (for the manager); staff ids are not listed."""
        now = self.clock()
        with self.store.read() as db:
            rows = db.execute("SELECT key, failed_count, last_failed_at, locked_until FROM pin_throttle"
                              " WHERE kind = 'source' AND failed_count >= ? ORDER BY last_failed_at DESC",
                              (THROTTLE_AFTER,)).fetchall()
        return [{"source": r[0], "failed": r[1], "last_failed_at": r[2],
                 "locked": r[3] is not None and r[3] > now, "locked_until": r[3]} for r in rows]

    @staticmethod
    def _throttle(db, kind: str, key: str) -> tuple[int, float | None, float | None]:
        row = db.execute("SELECT failed_count, last_failed_at, locked_until FROM pin_throttle"
                         " WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return (row[0], row[1], row[2]) if row else (0, None, None)

    def sign_in(self, staff_id: str, pin: str, window_id: str | None = None,
                remote: str | None = None) -> tuple[Principal, str]:
        """Check a PIN and open a session; returns (principal, session token).

        Raises Unauthorized (wrong id or PIN, same message for both), TooManyAttempts
        (wait before trying again; the same for real and made-up ids), SourceLocked (this
        device failed too often; a manager unlocks it).
        """
        wrong = Unauthorized("bad_credentials", "工号或 PIN 不正确", "Wrong staff id or PIN")
        if not isinstance(pin, str) or not isinstance(staff_id, str):
            raise wrong
        source = remote or "unknown"
        with self._login_lock:
            now = self.clock()
            with self.store.read() as db:
                staff = db.execute("SELECT id, name, role, active FROM staff WHERE id = ?",
                                   (staff_id,)).fetchone()
                cred = db.execute("SELECT pin_hash FROM staff_credentials WHERE staff_id = ?",
                                  (staff_id,)).fetchone()
                s_failed, s_last, s_locked = self._throttle(db, "source", source)
                a_failed, a_last, _ = self._throttle(db, "account", staff_id)
            if s_locked is not None and now < s_locked:
                raise SourceLocked()
            if s_locked is not None:   # the lock ran out: start counting afresh
                s_failed = 0
            waits = []
            if s_failed >= THROTTLE_AFTER and s_last is not None:
                waits.append(self.throttle_seconds * (2 ** min(s_failed - THROTTLE_AFTER, 16))
                             - (now - s_last))
            if a_failed >= ACCOUNT_SLOW_AFTER and a_last is not None:
                waits.append(min(ACCOUNT_MAX_WAIT,
                                 self.throttle_seconds * (2 ** min(a_failed - ACCOUNT_SLOW_AFTER, 16)))
                             - (now - a_last))
            wait = max(waits, default=0)
            if wait > 0:
                raise TooManyAttempts(f"PIN 输错次数较多，请 {int(wait + 0.999)} 秒后再试",
                                      f"Too many wrong PINs; try again in {int(wait + 0.999)} s", wait)
            if staff is None or cred is None or not staff[3]:
                # Spend the same time as a real check so ids cannot be told apart by timing.
                verify_pin(_DUMMY_HASH(), pin)
                ok = False
            else:
                ok = verify_pin(cred[0], pin)
            with self.store.transaction() as db:
                db.execute("INSERT INTO login_attempts (staff_id, at, ok, remote) VALUES (?, ?, ?, ?)",
                           (staff_id, now, 1 if ok else 0, remote))
                if not ok:
                    s_failed += 1
                    lock = now + LOCK_SECONDS if s_failed >= SOURCE_LOCK_AFTER else None
                    for kind, key, failed, locked in (("source", source, s_failed, lock),
                                                      ("account", staff_id, a_failed + 1, None)):
                        db.execute(
                            "INSERT INTO pin_throttle (kind, key, failed_count, last_failed_at,"
                            " locked_until) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE"
                            " SET failed_count = excluded.failed_count, last_failed_at ="
                            " excluded.last_failed_at, locked_until = excluded.locked_until",
                            (kind, key, failed, now, locked))
                    # Made-up ids must not pile up: forget quiet rows after a day.
                    db.execute("DELETE FROM pin_throttle WHERE last_failed_at < ? AND"
                               " (locked_until IS NULL OR locked_until < ?)", (now - 86400, now))
                else:
                    db.execute("DELETE FROM pin_throttle WHERE (kind = 'source' AND key = ?)"
                               " OR (kind = 'account' AND key = ?)", (source, staff_id))
                    db.execute("UPDATE staff_credentials SET failed_count = 0, last_failed_at = NULL,"
                               " locked_until = NULL WHERE staff_id = ?", (staff_id,))
                    token = new_token()
                    db.execute(
                        "INSERT INTO staff_sessions (token_hash, staff_id, role, window_id, created_at,"
                        " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (hash_token(token), staff_id, staff[2], window_id, now, now + SESSION_SECONDS))
            if not ok:
                if s_failed >= SOURCE_LOCK_AFTER:
                    raise SourceLocked()
                raise wrong
        principal = Principal(kind="staff", id=staff[0], name=staff[1], role=staff[2],
                              window_id=window_id, session_id=hash_token(token))
        return principal, token

    def staff_for_token(self, token: str) -> Principal | None:
        now = self.clock()
        with self.store.read() as db:
            row = db.execute(
                "SELECT s.token_hash, s.staff_id, st.name, st.role, s.window_id FROM staff_sessions s"
                " JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = ? AND s.ended_at IS NULL"
                " AND s.expires_at > ? AND st.active", (hash_token(token), now)).fetchone()
        if row is None:
            return None
        return Principal(kind="staff", id=row[1], name=row[2], role=row[3], window_id=row[4],
                         session_id=row[0])

    def set_session_window(self, principal: Principal, window_id: str | None) -> Principal:
        with self.store.transaction() as db:
            db.execute("UPDATE staff_sessions SET window_id = ? WHERE token_hash = ?",
                       (window_id, principal.session_id))
        return Principal(kind="staff", id=principal.id, name=principal.name, role=principal.role,
                         window_id=window_id, session_id=principal.session_id)

    def end_session(self, principal: Principal) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE staff_sessions SET ended_at = ? WHERE token_hash = ?",
                       (self.clock(), principal.session_id))

    def principal_for_token(self, token: str) -> Principal | None:
        return self.device_for_token(token) or self.staff_for_token(token)


_DEVICE_COLS = ("id", "name", "role", "window_id", "token_hash", "created_at", "revoked_at")


def _public_device(row: dict) -> dict:
    return {k: row[k] for k in ("id", "name", "role", "window_id", "created_at", "revoked_at")}


_dummy: list[str] = []


def _DUMMY_HASH() -> str:  # noqa: N802 - a lazily built constant
    if not _dummy:
        _dummy.append(_hasher().hash("000000"))
    return _dummy[0]
