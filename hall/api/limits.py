"""Resource limits for the API: request size caps and per-client rate limits (OWASP API4)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from fastapi import Request

from hall.errors import DomainError


@dataclass
class ApiLimits:
    """Tunable limits; the defaults suit a hall LAN. Tests shrink them to exercise refusals."""

    max_body_bytes: int = 32 * 1024
    max_query_bytes: int = 2048
    # Public (no-login) endpoints: a token bucket per client address.
    public_rate_per_second: float = 20.0
    public_burst: int = 60
    # Open event streams per client address (phones keep one each; displays one each).
    max_streams_per_client: int = 50
    pin_throttle_seconds: float = 1.0
    heartbeat_seconds: float = 10.0
    long_poll_max_seconds: float = 30.0
    # Slowloris: a request head must arrive within this long, its body within that long.
    head_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 20.0


def http_protocol(limits: ApiLimits):
    """uvicorn's `http=` protocol class with the read deadlines of `limits`."""
    from onewindow.httpguard import guarded_h11

    return guarded_h11(limits.head_timeout_seconds, limits.body_timeout_seconds)


class RateLimited(DomainError):
    status = 429
    default_code = "rate_limited"

    def __init__(self, retry_after: float):
        super().__init__(None, "请求过于频繁，请稍后再试", "Too many requests; try again shortly")
        self.retry_after = max(1, int(retry_after + 0.999))


class RateLimiter:
    """Token buckets keyed by (bucket name, client address). Thread-safe."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, name: str, client: str) -> None:
        """Spend one token or raise RateLimited."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get((name, client), (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[(name, client)] = (tokens, now)
                raise RateLimited((1.0 - tokens) / self.rate)
            self._buckets[(name, client)] = (tokens - 1.0, now)
            if len(self._buckets) > 10000:  # forget idle clients so memory stays bounded
                for key in [k for k, (t, at) in self._buckets.items() if now - at > 60]:
                    del self._buckets[key]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def public_rate_limit(request: Request) -> None:
    """Dependency for endpoints reachable without a login."""
    take_public(request)


def take_public(request: Request) -> None:
    """Spend one token of this client's public budget, or raise RateLimited (429)."""
    request.app.state.rate_limiter.take(request.url.path.split("/")[3] if request.url.path.count("/") >= 3
                                        else "root", client_address(request))


def _error_body(status: int, code: str, message: str, message_en: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": {"code": code, "message": message, "message_en": message_en}},
                              ensure_ascii=False).encode("utf-8")


class SizeLimitMiddleware:
    """Refuses over-long query strings and bodies before any handler reads them."""

    def __init__(self, app, limits: ApiLimits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if len(scope.get("query_string", b"")) > self.limits.max_query_bytes:
            return await _send_error(send, *_error_body(
                414, "query_too_long", "请求参数过长", "The query string is too long"))
        declared = None
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return await _send_error(send, *_error_body(
                        400, "bad_length", "请求长度无效", "Invalid Content-Length"))
        if declared is not None and declared > self.limits.max_body_bytes:
            return await _send_error(send, *_error_body(
                413, "body_too_large", f"请求内容过大（上限 {self.limits.max_body_bytes} 字节）",
                f"The request body is too large (limit {self.limits.max_body_bytes} bytes)"))
        # Bodies are small here (limit ~32 KiB): read the whole body first, so a chunked
        # upload without a length is refused as cleanly as one that declares its size.
        limit = self.limits.max_body_bytes
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message], receive), send)
            received += len(message.get("body", b""))
            if received > limit:
                return await _send_error(send, *_error_body(
                    413, "body_too_large", f"请求内容过大（上限 {limit} 字节）",
                    f"The request body is too large (limit {limit} bytes)"))
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        refusal = _json_encoding_refusal(scope, body)
        if refusal is not None:
            return await _send_error(send, *refusal)
        return await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}],
                                             receive), send)


def _json_encoding_refusal(scope, body: bytes) -> tuple[int, bytes] | None:
    """JSON bodies are UTF-8 (RFC 8259 §8.1). Python's json module would also guess UTF-16
    and UTF-32 from the byte pattern (a UTF-16 body once issued a ticket): refuse those, a
    charset other than UTF-8, and bytes that are not UTF-8, with a reason."""
    if not body:
        return None
    ctype = b""
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            ctype = value.lower()
    media, _, params = ctype.partition(b";")
    if media.strip() and b"json" not in media:
        return None     # forms and other types are checked by whoever reads them
    for param in params.split(b";"):
        name, _, value = param.partition(b"=")
        if name.strip() == b"charset" and value.strip(b" \"'") not in (b"utf-8", b"utf8"):
            return _error_body(415, "unsupported_charset", "请求内容必须使用 UTF-8 编码",
                               "The request body must be encoded as UTF-8")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return _error_body(400, "bad_encoding", "请求内容不是有效的 UTF-8 文本",
                           "The request body is not valid UTF-8")
    if b"\x00" in body:    # UTF-16/32 text is "valid UTF-8" full of NULs; JSON never has one
        return _error_body(400, "bad_encoding", "请求内容必须是 UTF-8 编码的 JSON",
                           "The request body must be JSON encoded as UTF-8")
    return None


def _replay(messages: list[dict], receive):
    pending = list(messages)

    async def replay():
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _send_error(send, status: int, body: bytes) -> None:
    # The body may not have been read (all of it): close after the answer, and say so.
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
