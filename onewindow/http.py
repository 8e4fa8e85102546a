"""The one HTTP stack of every OneWindow client (httpx): timeouts, retries, keep-alive, SSE.

The kiosk and the caller display (through onewindow.client.HallClient), the sync client to
the central and the SMS notice sender all build their httpx.Client here, so the rules below
hold everywhere:

- Timeouts: `timeout` seconds for the whole exchange step (read, write, pool) and at most
  CONNECT_TIMEOUT to connect; a long poll or a stream passes its own read timeout.
- Retries: only a connection attempt that never reached the server is retried, once and at
  once (httpx's transport `retries`; CONNECT_RETRIES). That is safe for any method and
  costs a dead server nothing; everything else is the caller's decision, with its own
  backoff (the kiosk retries an issue with the same Idempotency-Key, the display resumes
  its stream after the last seq, sync and the notice sender back off and resend).
- Keep-alive: connections are reused. An idle connection is dropped after KEEPALIVE_EXPIRY,
  shorter than the hall's uvicorn keep-alive (5 s), so the client never sends a request on
  a socket the hall is closing at that moment. (The kiosk used to open a fresh connection
  per request to dodge a 40 ms Nagle/delayed-ACK stall; the hall sets TCP_NODELAY now.)
- Proxies: the hall is on the LAN; a stray HTTP_PROXY in the environment would turn every
  call into a confusing failure, so hall clients ignore the environment (`trust_env=False`).
  The sync and SMS clients talk to the outside world and keep it.
- SSE: `EventStream` reads a text/event-stream response (httpx-sse parses it) and can be
  aborted from another thread, which a blocked read otherwise ignores.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx

DEFAULT_TIMEOUT = 5.0
CONNECT_TIMEOUT = 3.0
CONNECT_RETRIES = 1        # httpcore's first retry has no delay; a second would wait 0.5 s
KEEPALIVE_EXPIRY = 4.0      # < uvicorn's timeout_keep_alive (5 s) on the hall
MAX_CONNECTIONS = 8


def timeout(seconds: float = DEFAULT_TIMEOUT, *, read: float | None = None) -> httpx.Timeout:
    """`seconds` for each step, at most CONNECT_TIMEOUT to connect; `read` overrides reads."""
    return httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT, seconds),
                         read=seconds if read is None else read)


def make_client(base_url: str = "", *, headers: dict | None = None,
                timeout_s: float = DEFAULT_TIMEOUT, verify: Any = True,
                trust_env: bool = False, retries: int = CONNECT_RETRIES) -> httpx.Client:
    """An httpx.Client with the project's timeouts, connect retries and keep-alive limits."""
    transport = httpx.HTTPTransport(
        verify=verify, retries=retries, trust_env=trust_env,
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS,
                            max_keepalive_connections=MAX_CONNECTIONS,
                            keepalive_expiry=KEEPALIVE_EXPIRY))
    return httpx.Client(base_url=base_url, headers=headers, timeout=timeout(timeout_s),
                        transport=transport, trust_env=trust_env, follow_redirects=False)


class EventStream:
    """One open `GET` of a Server-Sent Events endpoint.

        with EventStream(client, url, headers=..., read_timeout=30) as stream:
            if stream.response.status_code != 200: ...
            for event in stream.events():   # httpx_sse.ServerSentEvent (comments skipped)
                ...

    `abort()` may be called from any thread: it shuts the socket down, so a read blocked
    in `events()` ends at once with an httpx.HTTPError (or the iteration simply stops).
    A read silent for longer than `read_timeout` raises httpx.ReadTimeout: with a hall that
    sends a heartbeat every ~10 s, silence means the link is dead.
    """

    def __init__(self, client: httpx.Client, url: str, *, headers: dict | None = None,
                 read_timeout: float = 30.0, params: dict | None = None):
        # Imported here: only the display reads a stream (the kiosk box does not carry it).
        from httpx_sse import connect_sse

        self._cm = connect_sse(client, "GET", url, headers=dict(headers or {}), params=params,
                               timeout=timeout(client.timeout.connect or CONNECT_TIMEOUT,
                                               read=read_timeout))
        self._source = None
        self._aborted = threading.Event()
        self.response: httpx.Response | None = None

    def __enter__(self) -> EventStream:
        self._source = self._cm.__enter__()
        self.response = self._source.response
        if self._aborted.is_set():
            self.abort()
        return self

    def __exit__(self, *exc) -> None:
        self._cm.__exit__(*exc)

    def events(self) -> Iterator[Any]:
        assert self._source is not None, "use EventStream in a with-block"
        for event in self._source.iter_sse():
            if self._aborted.is_set():
                return
            yield event

    def abort(self) -> None:
        self._aborted.set()
        response = self.response
        if response is None:
            return
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
