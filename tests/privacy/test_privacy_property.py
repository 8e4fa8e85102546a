"""Personal data minimisation, proven on a whole day (issue 15, item 1).

A simulated business day (hall/simday.py: ~120 tickets, a third with phones, every one with an
idempotency key and a ticket token) plus a citizen's own flows over real HTTP (a ticket with a
phone, a complaint whose text carries a phone and an ID number, a rating by token). Then every
place personal data could leak is read as an outsider would read it, and searched for every
phone issued, its SHA-256 and MD5, every ticket token and its hashes, every idempotency key and
request hash, and the ID number:

- every event the engine emitted (the hall's events table): test_engine_events_private.py;
- every byte of /api/v1/events and of the SSE stream, as a kiosk, a display and a clerk read them;
- every byte uploaded to a real central over loopback (sync and the phone-page relay), every
  column of the central's database and its file;
- everything the hall and the central logged.

One exception (issue 17): the SHA-256 of a ticket token as the key of a citizen's page at the
central's relay, in the relay's pushes and its key columns only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import sqlite3
import time
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
    """A simulated day on a real database, then the hall node on the same database, syncing
    with a real central and relaying its citizens' pages through it (issue 17)."""
    central = CentralServer(f"sqlite:///{tmp_path / 'central.db'}").start()
    secret = signing.new_secret()
    central.db.add_hall(HALL, "示范", secret)
    config_path = write_example_config(tmp_path / "hall.toml")
    text = config_path.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[sync\].*?(?=^\[)", f'[sync]\nenabled = true\ncentral_url = '
                  f'"{central.url}"\nhall_key = "{secret}"\n\n', text)
    text = re.sub(r"(?ms)^\[relay\]\nenabled = false", "[relay]\nenabled = true", text)
    text = re.sub(r"(?m)^heartbeat_seconds = 5", "heartbeat_seconds = 1", text)
    config_path.write_text(text, encoding="utf-8")
    cfg = load_config(config_path)
    assert cfg.relay.enabled and cfg.sync.central_url == central.url
    store = Store.open(tmp_path / "hall.db")
    simulate_day(store, cfg, last_working_day(cfg, dt.date(2026, 11, 25)), tickets=120, seed=15)
    store.close()
    try:
        with HallServer(tmp_path, config_path=config_path, db_path=tmp_path / "hall.db") as hall:
            hall.central, hall.central_secret = central, secret
            relay = hall.app.state.relay
            assert relay is not None, "the relay did not start"
            hall.relay_wire = []
            relay.client.http.event_hooks["request"].append(
                lambda req: hall.relay_wire.append(req.read()))
            yield hall
    finally:
        central.stop()


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


def columns_of_central(db) -> list[tuple[str, str]]:
    tables = [t for (t,) in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [(t, c[1]) for t in tables for c in db.query(f"PRAGMA table_info({t})")]


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

    # 2b. Every page of the API a manager can open without parameters (reports, cases, live).
    manager = httpx.Client(base_url=hall.url, timeout=20, headers={
        "Authorization": f"Bearer {hall.staff_token('pm', role='manager')}"})
    paths = manager.get("/api/v1/openapi.json").json()["paths"]
    pages = [p for p, ops in paths.items() if "get" in ops and "{" not in p and "stream" not in p]
    assert len(pages) >= 15
    for path in pages:
        leaks += leaks_in(f"manager's GET {path}", manager.get(path).content, needles)

    # 3. Everything uploaded to a real central (events by sync, citizens' pages by the
    # relay), and the central's database file. The one exception: SHA-256 of a ticket token
    # as the relay's key for a citizen's page (issue 17), and only there.
    token_keys = {hashlib.sha256(t.encode()).hexdigest() for t in secrets["token"]}
    but_relay_keys = {k: v for k, v in needles.items() if k not in token_keys}
    relay = hall.app.state.relay
    pushes = relay.pushes
    deadline = time.monotonic() + 10
    while relay.pushes < pushes + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert relay.pushes >= pushes + 2, "the relay did not push"
    central = hall.central
    uploaded: list[bytes] = []
    client = CentralClient(central.url, HALL, hall.central_secret)
    client.http.event_hooks["request"].append(lambda req: uploaded.append(req.read()))
    conn = hallside.open_hall_db(tmp_path / "hall.db")
    Syncer(conn, client, batch_size=200).push_all()
    conn.close()
    client.close()
    assert central.db.hwm(HALL) >= last_seq
    stored_complaints = [json.loads(p) for (p,) in central.db.query(
        "SELECT payload FROM events WHERE type = 'complaint.filed'")]
    relayed = central.db.query("SELECT key FROM relay_views")
    assert relayed and {k for (k,) in relayed} <= token_keys
    wire = b"".join(uploaded)
    assert b"ticket.issued" in wire
    leaks += leaks_in("bytes uploaded to the central", wire, needles)
    relay_wire = b"".join(hall.relay_wire)
    assert b'"views"' in relay_wire
    leaks += leaks_in("bytes the relay pushed", relay_wire, but_relay_keys)
    for table, col in columns_of_central(central.db):
        if (table, col) in (("relay_views", "key"), ("relay_actions", "key")):
            continue
        values = "\n".join(str(v) for (v,) in central.db.query(f"SELECT {col} FROM {table}"))
        leaks += leaks_in(f"central table {table}.{col}", values, needles)
    central.stop()
    for path in tmp_path.glob("central.db*"):
        leaks += leaks_in(f"central database file {path.name}", path.read_bytes(), but_relay_keys)

    # 4. What the hall and the central logged. (httpx/httpcore records are this test's own
    # clients: the citizen's phone opening its page by token, and the sync client, whose
    # bytes step 3 already checked.)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                        if not r.name.startswith(("httpx", "httpcore")))
    assert caplog.records     # the capture works (everything at DEBUG and above)
    leaks += leaks_in("logs", logged, needles)

    leaks = sorted(set(leaks))
    summary = sorted({leak.split(":")[0] + ": " + leak.split(":")[1].split()[0] for leak in leaks})
    assert not leaks, "personal data leaked:\n" + "\n".join(summary + leaks[:20])

    # Free text reaches the central scrubbed, with a note of what was removed; staff as ids.
    typed = [c for c in stored_complaints if "推诿" in (c.get("complaint") or {}).get("text", "")]
    assert typed and set(typed[0]["redacted"]) >= {"phone", "id_number"}
    assert "窗口1号 工作人员".encode() not in wire and b"staff_id" in wire
