"""The live feed: long-poll, server-sent events with resume, heartbeats, the ticket stream."""

from __future__ import annotations

import json
import queue
import threading
import time

import httpx
import pytest

from hall.api.limits import ApiLimits

from .conftest import Client, HallServer, assert_error


@pytest.fixture
def fast_hall(tmp_path):
    with HallServer(tmp_path, limits=ApiLimits(heartbeat_seconds=0.3)) as server:
        yield server


def read_sse(url, headers, out: queue.Queue, stop: threading.Event):
    """Parse an SSE stream into dicts {id, event, data, comment} on a queue."""
    with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=5)) as r:
        out.put({"status": r.status_code})
        block: dict = {}
        for line in r.iter_lines():
            if stop.is_set():
                return
            if line == "":
                if block:
                    out.put(block)
                block = {}
            elif line.startswith(":"):
                out.put({"comment": line[1:].strip()})
            else:
                field, _, value = line.partition(": ")
                block[field] = value


def start_stream(url, headers):
    q: queue.Queue = queue.Queue()
    stop = threading.Event()
    t = threading.Thread(target=read_sse, args=(url, headers, q, stop), daemon=True)
    t.start()
    assert q.get(timeout=5) == {"status": 200}
    return q, stop


def next_event(q, type_, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = q.get(timeout=max(0.01, deadline - time.monotonic()))
        if item.get("event") == type_:
            return item
    raise AssertionError(f"no {type_} within {timeout}s")


def test_long_poll_waits_for_the_next_event(hall, kiosk, clerk):
    last = clerk.get("/events", params={"after": 0}).json()["last_seq"]
    started = time.monotonic()
    threading.Timer(0.3, lambda: kiosk.issue()).start()
    r = clerk.get("/events", params={"after": last, "wait": 5}).json()
    elapsed = time.monotonic() - started
    assert 0.2 < elapsed < 3
    assert [e["type"] for e in r["events"]] == ["ticket.issued"]
    assert r["last_seq"] == r["events"][0]["seq"]
    # nothing new: returns empty after the wait
    r2 = clerk.get("/events", params={"after": r["last_seq"], "wait": 0.2}).json()
    assert r2 == {"events": [], "last_seq": r["last_seq"]}


def test_sse_delivers_calls_and_resumes_with_last_event_id(fast_hall):
    hall = fast_hall
    display = hall.device_token("display", "hall-tv")
    kiosk = Client(hall.url, hall.device_token("kiosk"))
    clerk = Client(hall.url, hall.staff_token("c1", window_id="w03"))
    clerk.post("/windows/w03/open")
    url = hall.url + "/api/v1/events/stream"
    q, stop = start_stream(url, {"Authorization": f"Bearer {display}"})
    kiosk.issue()
    clerk.post("/windows/w03/call-next")
    called = next_event(q, "ticket.called")
    data = json.loads(called["data"])
    assert data["payload"]["ticket"]["number"] == "A001" and data["payload"]["window_number"] == 3
    assert "token" not in data["payload"]["ticket"]
    assert int(called["id"]) == data["seq"]
    stop.set()
    # while disconnected, two more things happen; a reconnect with Last-Event-ID gets both
    clerk.post("/windows/w03/recall")
    clerk.post("/windows/w03/start")
    q2, stop2 = start_stream(url, {"Authorization": f"Bearer {display}", "Last-Event-ID": called["id"]})
    assert json.loads(next_event(q2, "ticket.recalled")["data"])["seq"] == int(called["id"]) + 1
    next_event(q2, "ticket.started")
    # heartbeats keep idle connections alive
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if q2.get(timeout=3).get("comment") == "heartbeat":
            break
    else:
        raise AssertionError("no heartbeat")
    stop2.set()


def test_stream_requires_a_device_or_staff(hall, public):
    assert_error(public.get("/events"), 401)
    assert_error(public.get("/events/stream"), 401)
    kiosk = Client(hall.url, hall.device_token("kiosk"))
    assert_error(kiosk.get("/events/stream", headers={"Last-Event-ID": "abc"}), 422, "bad_last_event_id")
    assert_error(kiosk.get("/events", params={"after": -1}), 422)


def test_ticket_stream_pushes_the_citizen_view(fast_hall):
    hall = fast_hall
    kiosk = Client(hall.url, hall.device_token("kiosk"))
    clerk = Client(hall.url, hall.staff_token("c1", window_id="w03"))
    clerk.post("/windows/w03/open")
    token = kiosk.issue().json()["token"]
    q, stop = start_stream(f"{hall.url}/api/v1/tickets/{token}/stream", {})
    first = json.loads(next_event(q, "status")["data"])
    assert first["state"] == "waiting" and "token" not in first
    t0 = time.monotonic()
    clerk.post("/windows/w03/call-next")
    view = json.loads(next_event(q, "status")["data"])
    assert view["state"] == "called" and view["window_number"] == 3
    assert time.monotonic() - t0 < 1.0
    stop.set()
    assert_error(httpx.get(f"{hall.url}/api/v1/tickets/AAAAAAAAAAAAAAAA/stream"), 404)


def test_events_written_by_another_process_reach_the_stream(hall, clerk):
    """`onewindow sim-day` or a second hall tool writes the same database: the hub's poll
    fallback delivers those events too, without an in-process notify."""
    from hall.engine import Engine
    from hall.events import EventFeed
    from hall.store import Store

    last = clerk.get("/events", params={"after": 0}).json()["last_seq"]
    other = Store.open(hall.db_path)
    try:
        engine = Engine(other, hall.config, clock=hall.clock, feed=EventFeed())
        threading.Timer(0.2, lambda: engine.issue_ticket("biz-setup")).start()
        started = time.monotonic()
        got = clerk.get("/events", params={"after": last, "wait": 5}).json()["events"]
        assert time.monotonic() - started < 2
        assert "ticket.issued" in [e["type"] for e in got]
        time.sleep(0.3)
    finally:
        other.close()


def test_a_cursor_older_than_memory_is_served_from_the_database(hall, clerk, kiosk):
    for _ in range(3):
        kiosk.issue()
    hub = hall.app.state.hub
    with hub._lock:
        hub._ring, hub._seqs = [], []  # as after a restart, or a cursor older than memory
    events = clerk.get("/events", params={"after": 0, "limit": 1000}).json()["events"]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and seqs[0] == 1 and len(seqs) == hub.last_seq
    assert [e["type"] for e in events].count("ticket.issued") == 3
