"""Matter notices: 'ready for pickup' and 'materials due' reach the citizen's phone once, through
a real HTTP gateway; the phone comes from matter_access, never from events."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hall.config import load_config, write_example_config
from hall.engine import Engine, ManualClock
from hall.store import Store
from sync.hallside import open_hall_db
from sync.notice_sender import NoticeSender
from tests.sync.test_sync_notices import Gateway

PHONE = "13812345678"


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


@pytest.fixture
def hall(tmp_path, gateway):
    path = write_example_config(tmp_path / "hall.toml", always_open=False)
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[notices\]\nenabled = false", "[notices]\nenabled = true", text)
    text = re.sub(r'(?m)^gateway_url = ""', f'gateway_url = "{gateway.url}"', text)
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)
    tz = cfg.tz
    clock = ManualClock(dt.datetime(2026, 11, 27, 9, 0, tzinfo=tz).timestamp())    # Friday
    store = Store.open(tmp_path / "hall.db")
    engine = Engine(store, cfg, clock)
    engine.add_staff("c1", "张三", "clerk")
    engine.add_staff("a1", "赵审批", "approver")
    engine.sign_in("w03", "c1")
    engine.open_window("w03")
    conn = open_hall_db(tmp_path / "hall.db")
    yield engine, conn, clock
    conn.close()
    store.close()


def accept(engine, **kw):
    t, _ = engine.issue_ticket("biz-setup", phone=PHONE)
    engine.call_next("w03")
    engine.finish("w03", **kw)
    return engine.matter_for_ticket(t["id"])[0]


def notices(conn):
    return conn.execute("SELECT kind, state, text, reason FROM notices WHERE kind LIKE 'matter_%' "
                        "ORDER BY created_at").fetchall()


def test_ready_and_owed_notices_reach_the_phone_once(hall, gateway):
    engine, conn, clock = hall
    ready = accept(engine, outcome="accepted")
    owed = accept(engine, outcome="accepted_pending", pending_materials=["住所使用证明"])
    assert owed["owed_due"] == "2026-12-04"
    assert notices(conn) == []
    engine.advance_matter(ready["id"], "approve", "a1")
    engine.advance_matter(ready["id"], "ready", "a1")
    [(kind, state, text, _)] = notices(conn)
    assert kind == "matter_ready" and ready["code"] in text and "统一出件" in text and PHONE not in text
    sender = NoticeSender(conn, gateway.url)
    assert sender.send_due()["sent"] == 1 and sender.send_due()["sent"] == 0
    assert gateway.received[0]["phone"] == PHONE and gateway.received[0]["kind"] == "matter_ready"

    # Monday and Wednesday: the owed materials are not due within a working day yet.
    clock.set(dt.datetime(2026, 11, 30, 9, 0, tzinfo=engine.tz).timestamp())
    engine.ensure_business_day()
    clock.set(dt.datetime(2026, 12, 2, 9, 0, tzinfo=engine.tz).timestamp())
    engine.ensure_business_day()
    assert [n[0] for n in notices(conn)] == ["matter_ready"]
    # Thursday: due tomorrow, one reminder naming what is still owed and by when.
    clock.set(dt.datetime(2026, 12, 3, 9, 0, tzinfo=engine.tz).timestamp())
    engine.ensure_business_day()
    rows = notices(conn)
    assert [n[0] for n in rows] == ["matter_ready", "matter_owed"]
    assert "住所使用证明" in rows[1][2] and "2026-12-04" in rows[1][2]
    assert sender.send_due()["sent"] == 1
    assert gateway.received[1]["phone"] == PHONE and gateway.received[1]["kind"] == "matter_owed"
    sender.close()


def test_a_reminder_for_a_matter_since_settled_is_dropped(hall, gateway):
    engine, conn, clock = hall
    m = accept(engine, outcome="accepted_pending", pending_materials=["住所使用证明"])
    clock.set(dt.datetime(2026, 12, 3, 9, 0, tzinfo=engine.tz).timestamp())
    engine.ensure_business_day()
    engine.advance_matter(m["id"], "reject", "a1", "申请人撤回申请")
    sender = NoticeSender(conn, gateway.url)
    sender.send_due()
    # The rejection is sent; the reminder (and the window's 'called' notice) dropped.
    assert [g["kind"] for g in gateway.received] == ["matter_decided"]
    assert "申请人撤回申请" in gateway.received[0]["text"]
    dropped = [n for n in notices(conn) if n[1] == "dropped"]
    assert dropped[0][0] == "matter_owed" and "no longer useful" in dropped[0][3]
    sender.close()
