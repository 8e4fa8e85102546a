"""Personal data minimisation, proven on a whole day (issue 15, item 1).

A simulated business day (hall/simday.py: ~120 tickets, a third with phones, every one with an
idempotency key and a ticket token) plus a citizen's own flows over real HTTP (a ticket with a
phone, a complaint whose text carries a phone and an ID number, a rating by token). Then every
place personal data could leak is read as an outsider would read it, and searched for every
phone issued, its SHA-256 and MD5, every ticket token and its hashes, every idempotency key and
request hash, and the ID number:

- every event the engine emitted (the hall's events table): test_engine_events_private.py;
- every byte of /api/v1/events and of the SSE stream, as a kiosk, a display and a clerk read them;
- every byte uploaded to a real central over loopback, and the central's database file;
- everything the hall and the central logged.

Exception to come (issue 17): the SHA-256 of a ticket token as the key of the phone-page
relay at the central. Nothing here uses it yet, so nothing is exempt.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import uuid

import httpx
import pytest
from hallserver import HallServer

from central.server import CentralServer
from hall.config import load_config, write_example_config
from hall.simday import last_working_day, simulate_day
from hall.store import Store
from sync import hallside, signing
from sync.client import CentralClient
from sync.runner import Syncer

from .leaks import ID_NUMBER, leaks_in, needles_for, secrets_in

HALL = "demo-city-hall"


@pytest.fixture
def day(tmp_path):
    """A simulated day on a real database, then the hall node on the same database."""
    config_path = write_example_config(tmp_path / "hall.toml")
    cfg = load_config(config_path)
    store = Store.open(tmp_path / "hall.db")
    simulate_day(store, cfg, last_working_day(cfg, dt.date(2026, 11, 25)), tickets=120, seed=15)
    store.close()
    with HallServer(tmp_path, config_path=config_path, db_path=tmp_path / "hall.db") as hall:
        yield hall


def _citizen_flows(hall) -> bytes:
    """What the day does not cover: a phone given at the kiosk, typed text, a rating by token."""
    kiosk = httpx.Client(base_url=hall.url + "/api/v1", timeout=10, headers={
        "Authorization": f"Bearer {hall.device_token('kiosk', 'kiosk-p')}"})
    issued = kiosk.post("/tickets", json={"service_id": "biz-setup", "phone": "13700001111"},
                        headers={"Idempotency-Key": f"kiosk-p:{uuid.uuid4().hex}"})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    public = httpx.Client(base_url=hall.url + "/api/v1", timeout=10)
    assert public.get(f"/tickets/{token}").status_code == 200
    complaint = public.post("/complaints", json={
        "category": "attitude", "phone": "13700002222", "ticket_token": token,
        "text": f"窗口推诿，请回电 137 0000 2222，身份证 {ID_NUMBER}"})
    assert complaint.status_code == 201, complaint.text
    clerk = httpx.Client(base_url=hall.url + "/api/v1", timeout=10, headers={
        "Authorization": f"Bearer {hall.staff_token('p1', window_id='w03')}"})
    assert clerk.post("/windows/w03/open").status_code == 200
    seen_by_clerk = b""
    while True:   # serve until the citizen's ticket comes up
        called = clerk.post("/windows/w03/call-next")
        assert called.status_code == 200, called.text
        seen_by_clerk += called.content + clerk.post("/windows/w03/start").content
        finished = clerk.post("/windows/w03/finish", json={"outcome": "completed"})
        assert finished.status_code == 200
        seen_by_clerk += finished.content + clerk.get("/windows/w03").content
        if issued.json()["id"] in called.text:
            break
    rated = public.post("/ratings", json={"token": token, "level": 1, "reasons": ["推诿扯皮"],
                                          "comment": "电话 13700001111"})
    assert rated.status_code == 201, rated.text
    return seen_by_clerk


def _read_feed(hall, token: str) -> bytes:
    http = httpx.Client(base_url=hall.url + "/api/v1", timeout=10,
                        headers={"Authorization": f"Bearer {token}"})
    raw, after = b"", 0
    while True:
        resp = http.get("/events", params={"after": after, "limit": 1000})
        assert resp.status_code == 200, resp.text
        raw += resp.content
        body = resp.json()
        if not body["events"]:
            return raw
        after = body["last_seq"]


def _read_stream(hall, token: str, last_seq: int) -> bytes:
    raw = b""
    with httpx.stream("GET", hall.url + "/api/v1/events/stream", timeout=10,
                      headers={"Authorization": f"Bearer {token}", "Last-Event-ID": "0"}) as resp:
        assert resp.status_code == 200
        for chunk in resp.iter_raw():
            raw += chunk
            if f"id: {last_seq}\n".encode() in raw:
                return raw
    pytest.fail("the stream ended before the last event")


def test_no_phone_token_key_or_hash_leaves_the_hall_or_reaches_central(day, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    hall = day
    clerk_pages = _citizen_flows(hall)
    secrets = secrets_in(tmp_path / "hall.db")
    assert len(secrets["phone"]) >= 20 and len(secrets["token"]) >= 100 and secrets["key"]
    needles = needles_for(secrets)
    leaks: list[str] = []

    with sqlite3.connect(tmp_path / "hall.db") as db:
        last_seq = db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    # (Every event the engine emitted, as stored: tests/privacy/test_engine_events_private.py.)

    leaks += leaks_in("the clerk's window replies", clerk_pages, needles)

    # 2. The feed and the stream as a kiosk, a display and a clerk read them.
    readers = {"kiosk": hall.device_token("kiosk", "kiosk-r"),
               "display": hall.device_token("display", "display-r"),
               "clerk": hall.staff_token("p2", window_id="w04")}
    for who, token in readers.items():
        feed = _read_feed(hall, token)
        assert b"ticket.issued" in feed
        leaks += leaks_in(f"/api/v1/events read by a {who}", feed, needles)
        leaks += leaks_in(f"SSE stream read by a {who}", _read_stream(hall, token, last_seq), needles)

    # 3. Everything uploaded to a real central, and the central's database file.
    uploaded: list[bytes] = []
    with CentralServer(f"sqlite:///{tmp_path / 'central.db'}") as central:
        secret = signing.new_secret()
        central.db.add_hall(HALL, "示范", secret)
        client = CentralClient(central.url, HALL, secret)
        client.http.event_hooks["request"].append(lambda req: uploaded.append(req.read()))
        conn = hallside.open_hall_db(tmp_path / "hall.db")
        Syncer(conn, client, batch_size=200).push_all()
        conn.close()
        client.close()
        assert central.db.hwm(HALL) == last_seq or central.db.hwm(HALL) > 0
        stored_complaints = [json.loads(p) for (p,) in central.db.query(
            "SELECT payload FROM events WHERE type = 'complaint.filed'")]
    wire = b"".join(uploaded)
    assert b"ticket.issued" in wire
    leaks += leaks_in("bytes uploaded to the central", wire, needles)
    for path in tmp_path.glob("central.db*"):
        leaks += leaks_in(f"central database file {path.name}", path.read_bytes(), needles)

    # 4. What the hall and the central logged. (httpx/httpcore records are this test's own
    # clients: the citizen's phone opening its page by token, and the sync client, whose
    # bytes step 3 already checked.)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                        if not r.name.startswith(("httpx", "httpcore")))
    assert "hall" in logged or "central" in logged or "sync" in logged
    leaks += leaks_in("logs", logged, needles)

    leaks = sorted(set(leaks))
    summary = sorted({leak.split(":")[0] + ": " + leak.split(":")[1].split()[0] for leak in leaks})
    assert not leaks, "personal data leaked:\n" + "\n".join(summary + leaks[:20])

    # Free text reaches the central scrubbed, with a note of what was removed; staff as ids.
    typed = [c for c in stored_complaints if "推诿" in (c.get("complaint") or {}).get("text", "")]
    assert typed and set(typed[0]["redacted"]) >= {"phone", "id_number"}
    assert "窗口1号 工作人员".encode() not in wire and b"staff_id" in wire
