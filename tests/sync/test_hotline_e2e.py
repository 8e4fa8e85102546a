"""12345 hotline: an item entered at the central opens a case at the hall after a sync, and the
case's closure reaches the central (real central, real hall server, real sync over HTTP)."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import EXAMPLE_CONFIG, HallServer, RunningClock  # noqa: E402

from central import api_clients  # noqa: E402
from central.server import CentralServer  # noqa: E402
from sync import hallside, signing  # noqa: E402
from sync.client import CentralClient  # noqa: E402
from sync.runner import Syncer, engine_hooks  # noqa: E402

HALL = "demo-city-hall"
TZ = ZoneInfo("Asia/Shanghai")


def _hall_config(path: Path, central_url: str, key: str) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r'(?ms)^\[sync\].*?(?=^\[)',
                  f'[sync]\nenabled = true\ncentral_url = "{central_url}"\nhall_key = "{key}"\n'
                  'interval_seconds = 1\nbatch_size = 500\n\n', text)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def setup(tmp_path, central_url):
    day = dt.datetime.now(TZ).date() + dt.timedelta(days=1)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    start = dt.datetime(day.year, day.month, day.day, 10, 5, tzinfo=TZ).timestamp()
    central = CentralServer(central_url).start()          # SQLite and PostgreSQL
    key = signing.new_secret()
    central.db.add_hall(HALL, "示范市政务服务中心", key)
    config_path = _hall_config(tmp_path / "hall.toml", central.url, key)
    central.db.push_config(HALL, EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    hall = HallServer(tmp_path, config_path=config_path, clock=RunningClock(start)).start()
    conn = hallside.open_hall_db(hall.db_path)
    client = CentralClient(central.url, HALL, key)
    syncer = Syncer(conn, client, config_path=config_path, clock=hall.clock.now, **engine_hooks(hall.engine))
    yield central, hall, syncer
    client.close()
    conn.close()
    hall.stop()
    central.stop()


def test_hotline_complaint_entered_by_hand_opens_a_case_and_its_closure_reaches_central(setup):
    central, hall, syncer = setup
    # a person at the central enters the 12345 work order in the small form
    form = {"hall_id": HALL, "kind": "complaint", "ref": "12345-2026-000777", "category": "attitude",
            "content": "窗口工作人员态度生硬（测试）"}
    page = httpx.post(central.url + "/hotline", data=form)
    assert page.status_code == 200 and "12345-2026-000777" in page.text and "待大厅同步" in page.text
    assert "12345 热线工单录入" in httpx.get(central.url + "/hotline").text

    result = syncer.cycle()
    assert result["hotline"] == 1
    with hall.engine.store.read() as c:
        row = c.execute("SELECT c.code, c.source, k.id AS case_id, k.reply_due, k.state FROM complaints c "
                        "JOIN cases k ON k.complaint_id = c.id").fetchone()
    assert row["source"] == "hotline" and row["state"] == "open"
    # the same deadline as a complaint filed at the kiosk
    kiosk_complaint = hall.engine.file_complaint("attitude", "对照（测试）", source="kiosk")
    with hall.engine.store.read() as c:
        due = c.execute("SELECT reply_due FROM cases WHERE complaint_id = ?", (kiosk_complaint["id"],)).fetchone()[0]
    assert row["reply_due"] == due
    syncer.cycle()
    item = central.db.one("SELECT status, hall_code FROM hotline_items WHERE ref = ?", ("12345-2026-000777",))
    assert item == ("case_opened", row["code"])

    # the hall works the case to its end
    for step, note in (("verify", ""), ("rectify", "已约谈当事窗口人员"), ("revisit", "已电话回访群众"),
                       ("close", "已整改，群众表示满意")):
        hall.engine.advance_case(row["case_id"], step, "manager", note)
    syncer.cycle()
    key = api_clients.register(central.db, "city-12345", "12345 热线", ["hotline"])
    hotline = httpx.Client(base_url=central.url, headers={"X-OW-App": "city-12345", "Authorization": f"Bearer {key}"})
    status = hotline.get("/api/hotline/v1/items/12345-2026-000777", params={"hall_id": HALL}).json()
    assert status["status"] == "closed" and status["outcome"] == "已整改，群众表示满意"
    assert [s["step"] for s in status["steps"]] == ["verify", "rectify", "revisit", "close"]
    hotline.close()


def test_hotline_api_ratings_and_refusals(setup):
    central, hall, syncer = setup
    key = api_clients.register(central.db, "city-12345", "12345 热线", ["hotline"])
    h = httpx.Client(base_url=central.url, headers={"X-OW-App": "city-12345", "Authorization": f"Bearer {key}"})
    bad = {"hall_id": HALL, "ref": "R-0001", "kind": "rating", "level": 1, "reason": "等候时间过长（测试）"}
    r = h.post("/api/hotline/v1/items", json=bad)
    assert r.status_code == 201 and r.json()["status"] == "received"
    assert h.post("/api/hotline/v1/items", json=bad).status_code == 200            # same ref: same item
    assert h.post("/api/hotline/v1/items", json={**bad, "ref": "R-0002", "reason": ""}).json()["error"]["code"] \
        == "reason_required"
    good = h.post("/api/hotline/v1/items", json={"hall_id": HALL, "ref": "R-0003", "kind": "rating", "level": 5})
    assert good.status_code == 201
    booking_only = api_clients.register(central.db, "wechat-mp", "小程序", ["booking"])
    r = httpx.post(central.url + "/api/hotline/v1/items", json={**bad, "ref": "R-0009"},
                   headers={"X-OW-App": "wechat-mp", "Authorization": f"Bearer {booking_only}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "scope_not_allowed"
    assert httpx.post(central.url + "/api/hotline/v1/items", json=bad).status_code == 401

    assert syncer.cycle()["hotline"] == 2
    assert syncer.cycle()["hotline"] == 0                                        # nothing twice
    with hall.engine.store.read() as c:
        cases = c.execute("SELECT source, summary FROM cases").fetchall()
        items = c.execute("SELECT ref, case_id FROM hotline_items ORDER BY ref").fetchall()
    assert len(cases) == 1 and "R-0001" in cases[0]["summary"] and cases[0]["source"] == "rating"
    assert [(i["ref"], bool(i["case_id"])) for i in items] == [("R-0001", True), ("R-0003", False)]
    syncer.cycle()
    assert central.db.one("SELECT status FROM hotline_items WHERE ref = 'R-0003'") == ("recorded",)

    # a rating that names the citizen's finished ticket becomes that ticket's rating, channel hotline
    e = hall.engine
    e.add_staff("c9", "测试员", "clerk")
    e.sign_in("w03", "c9")
    e.open_window("w03")
    ticket, _ = e.issue_ticket("biz-setup")
    e.call_next("w03")
    e.finish("w03", "completed")
    r = h.post("/api/hotline/v1/items", json={"hall_id": HALL, "ref": "R-0004", "kind": "rating", "level": 2,
                                               "reason": "办理时间长（测试）", "ticket_number": ticket["number"],
                                               "ticket_date": ticket["business_date"]})
    assert r.status_code == 201
    syncer.cycle()
    with e.store.read() as c:
        rating = c.execute("SELECT channel, level, ticket_id FROM ratings").fetchone()
        case = c.execute("SELECT source FROM cases WHERE rating_id IS NOT NULL").fetchone()
    assert tuple(rating) == ("hotline", 2, ticket["id"]) and case["source"] == "rating"
    h.close()
