"""Slowloris on the hall and the central (issue 15, item 4): a request that trickles in, or
promises a body it never sends, is answered 408 and closed; a finished request may take as
long as it likes (event streams)."""

from __future__ import annotations

import socket
import time

import pytest

from central.server import CentralServer
from hall.api.limits import ApiLimits

from .conftest import HallServer


@pytest.fixture
def quick_hall(tmp_path):
    limits = ApiLimits(head_timeout_seconds=1.0, body_timeout_seconds=1.0, heartbeat_seconds=0.5)
    with HallServer(tmp_path, limits=limits) as server:
        yield server


@pytest.fixture
def quick_central(tmp_path):
    with CentralServer(f"sqlite:///{tmp_path / 'c.db'}", head_timeout=1.0, body_timeout=1.0) as c:
        yield c


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=6)


def _read_all(sock: socket.socket, limit: float = 6.0) -> tuple[bytes, float]:
    """Everything until the server closes; and how long that took."""
    start = time.monotonic()
    data = b""
    sock.settimeout(limit)
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {limit} s: {data[:200]!r}")
    return data, time.monotonic() - start


@pytest.mark.parametrize("server,path", [("quick_hall", b"/api/v1/tickets"),
                                         ("quick_central", b"/book")])
def test_a_promised_body_that_never_comes_is_refused(server, path, request):
    """Before: the hall did not answer for 8 s and more."""
    url = request.getfixturevalue(server).url
    sock = _connect(url)
    sock.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"service_id\":")
    data, took = _read_all(sock)
    sock.close()
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert "过慢".encode() in data and took < 4


@pytest.mark.parametrize("server", ["quick_hall", "quick_central"])
def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(server, request):
    url = request.getfixturevalue(server).url
    sock = _connect(url)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: h\r\n")
    start = time.monotonic()
    closed = False
    while time.monotonic() - start < 6:
        try:
            sock.sendall(b"X-Slow: 1\r\n")
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        sock.settimeout(0.2)
        try:
            if sock.recv(4096) == b"":
                closed = True
                break
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
            break
    sock.close()
    assert closed and time.monotonic() - start < 4


def test_a_silent_connection_is_closed(quick_hall):
    sock = _connect(quick_hall.url)
    data, took = _read_all(sock)
    sock.close()
    assert data == b"" and took < 4


def test_an_event_stream_outlives_the_read_deadlines(quick_hall):
    """A fully read request has no deadline: a display's stream stays open."""
    token = quick_hall.device_token("display", "display-1")
    sock = _connect(quick_hall.url)
    sock.sendall(f"GET /api/v1/events/stream HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {token}"
                 f"\r\nAccept: text/event-stream\r\n\r\n".encode())
    sock.settimeout(1.0)
    data = b""
    start = time.monotonic()
    while time.monotonic() - start < 3.0:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        assert chunk, "the stream was closed"
        data += chunk
    sock.close()
    assert data.startswith(b"HTTP/1.1 200") and data.count(b"\n\n") >= 3   # heartbeats kept coming
