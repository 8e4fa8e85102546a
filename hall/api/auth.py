"""FastAPI dependencies that say who is calling: devices, signed-in staff, or nobody.

Use them in routers as `Depends(require_device("kiosk"))`, `Depends(require_staff("clerk"))`,
`Depends(require_manager)` or `Depends(current_principal)` (None for an anonymous caller).
A manager satisfies every staff-role requirement. Each returns a `hall.auth.Principal`.
"""

from __future__ import annotations

import time

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hall.auth import DEVICE_ROLES, STAFF_ROLES, Principal
from hall.errors import Forbidden, Unauthorized

__all__ = ["Principal", "current_principal", "require_device", "require_staff",
           "require_manager", "require_any", "bearer_scheme", "forget_session"]

# auto_error=False: a missing header is our own 401 with the bilingual error body.
bearer_scheme = HTTPBearer(auto_error=False, description="device token or staff session token")

_MAX_TOKEN = 200
# A verified token is trusted for this long before the database is asked again, so a busy
# kiosk or 500 displays do not each cost a query per request. Revoking a device from another
# process therefore takes effect within this time; signing out here takes effect at once.
CACHE_SECONDS = 1.0
_CACHE_MAX = 10_000


def _no_auth() -> Unauthorized:
    return Unauthorized("auth_required", "需要登录或设备令牌", "Sign in or send a device token")


async def current_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> Principal | None:
    """The caller, or None when no token was sent. A token that is sent but not valid
    (unknown, revoked, expired) is a 401, never silently anonymous."""
    if credentials is None:
        return None
    token = credentials.credentials or ""
    if not token or len(token) > _MAX_TOKEN:
        raise Unauthorized("bad_token", "令牌无效", "Invalid token")
    cache = _cache(request)
    now = time.monotonic()
    hit = cache.get(token)
    if hit is not None and hit[1] > now:
        principal = hit[0]
    else:
        principal = await to_thread.run_sync(request.app.state.auth.principal_for_token, token)
        if len(cache) > _CACHE_MAX:
            cache.clear()
        cache[token] = (principal, now + CACHE_SECONDS)
    if principal is None:
        raise Unauthorized("bad_token", "令牌无效、已吊销或已过期，请重新登录",
                           "The token is invalid, revoked or expired; sign in again")
    request.state.principal = principal
    return principal


def _cache(request: Request) -> dict:
    cache = getattr(request.app.state, "principal_cache", None)
    if cache is None:
        cache = request.app.state.principal_cache = {}
    return cache


def forget_session(request: Request, session_id: str | None) -> None:
    """Drop cached principals of one staff session (signed out, or moved to another window)."""
    cache = _cache(request)
    for token in [t for t, (p, _) in cache.items() if p is not None and p.session_id == session_id]:
        cache.pop(token, None)


def require_any(device_roles: tuple[str, ...] = (), staff_roles: tuple[str, ...] = ()):
    """A dependency admitting the listed device roles and staff roles (manager always)."""

    async def dependency(principal: Principal | None = Depends(current_principal)) -> Principal:
        if principal is None:
            raise _no_auth()
        if principal.kind == "device" and principal.role in device_roles:
            return principal
        if principal.kind == "staff" and (principal.role in staff_roles or principal.role == "manager"):
            return principal
        raise Forbidden("forbidden", "无权执行此操作", "You are not allowed to do this")

    return dependency


def require_device(*roles: str):
    """Admit devices with one of `roles` (kiosk|display|window); all devices if none given."""
    bad = [r for r in roles if r not in DEVICE_ROLES]
    if bad:
        raise ValueError(f"unknown device roles {bad}")
    return require_any(device_roles=roles or DEVICE_ROLES)


def require_staff(*roles: str):
    """Admit signed-in staff with one of `roles` (clerk|helper|manager); any staff if none."""
    bad = [r for r in roles if r not in STAFF_ROLES]
    if bad:
        raise ValueError(f"unknown staff roles {bad}")
    return require_any(staff_roles=roles or STAFF_ROLES)


_manager = require_staff("manager")


async def require_manager(principal: Principal = Depends(_manager)) -> Principal:
    """Admit only a signed-in manager."""
    return principal
