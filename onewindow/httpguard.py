"""Read timeouts for uvicorn's HTTP/1.1 server (h11): no slowloris on the hall or the central.

uvicorn only times out *idle* kept-alive connections. A client that sends its request head
one byte at a time, or promises a body and never sends it, holds a connection (and, for a
body, an application task) forever. This protocol class adds two deadlines per request:

- the head (request line and headers) must arrive within `head_timeout` seconds of the
  connection opening or of the previous response ending;
- the body must arrive within `body_timeout` seconds of its head.

A request that misses a deadline is answered `408` (when nothing was answered yet) and the
connection is closed. Once a request is fully read there is no deadline: event streams and
long polls run as long as the application wants. A response sent before the body was read
(a refusal) closes the connection instead of draining the rest of an unwanted upload.
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEAD_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0

_BODY_408 = json.dumps({"error": {
    "code": "request_timeout", "message": "请求发送过慢，连接已关闭",
    "message_en": "The request was sent too slowly; the connection was closed"}},
    ensure_ascii=False).encode("utf-8")
_RESPONSE_408 = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json; charset=utf-8\r\n"
                 b"connection: close\r\ncontent-length: " + str(len(_BODY_408)).encode() + b"\r\n\r\n"
                 + _BODY_408)


class GuardedH11Protocol(H11Protocol):
    head_timeout = DEFAULT_HEAD_TIMEOUT
    body_timeout = DEFAULT_BODY_TIMEOUT

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self._guard_phase: str | None = None
        self._guard_timer = None
        super().connection_made(transport)
        self._guard_update()

    def connection_lost(self, exc) -> None:
        self._guard_cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._guard_update()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._guard_update()

    # -- the deadlines ---------------------------------------------------------------
    def _guard_cancel(self) -> None:
        if self._guard_timer is not None:
            self._guard_timer.cancel()
            self._guard_timer = None
        self._guard_phase = None

    def _guard_update(self) -> None:
        if self.transport is None or self.transport.is_closing():
            self._guard_cancel()
            return
        theirs, ours = self.conn.their_state, self.conn.our_state
        if theirs is h11.SEND_BODY and ours in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED):
            # We answered before reading the whole body (a refusal): do not read the rest.
            self._guard_cancel()
            self.transport.close()
            return
        phase = "head" if theirs is h11.IDLE else "body" if theirs is h11.SEND_BODY else None
        if phase == self._guard_phase:
            return
        self._guard_cancel()
        self._guard_phase = phase
        if phase is not None:
            delay = self.head_timeout if phase == "head" else self.body_timeout
            self._guard_timer = self.loop.call_later(delay, self._guard_expired, phase)

    def _guard_expired(self, phase: str) -> None:
        self._guard_timer = None
        if self.transport is None or self.transport.is_closing():
            return
        answered = self.cycle is not None and self.cycle.response_started
        buffered = bool(self.conn.trailing_data[0])
        if self.cycle is not None and not self.cycle.response_complete:
            # The application may be waiting for the body: it sees a disconnect.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if not answered and (phase == "body" or buffered):
            self.transport.write(_RESPONSE_408)
        self.logger.info("closing a connection from %s: request %s not received within %.0f s",
                         self.client[0] if self.client else "?", phase,
                         self.head_timeout if phase == "head" else self.body_timeout)
        self.transport.close()


def guarded_h11(head_timeout: float = DEFAULT_HEAD_TIMEOUT,
                body_timeout: float = DEFAULT_BODY_TIMEOUT) -> type[GuardedH11Protocol]:
    """The protocol class to pass as `uvicorn.Config(http=...)`, with these deadlines."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,),
                {"head_timeout": float(head_timeout), "body_timeout": float(body_timeout)})
