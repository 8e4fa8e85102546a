"""Matters (办件): acceptance opens one, the back office moves it, 容缺 follow-up, pickup and the
one-visit count; every step and every illegal move, on a real SQLite file with a manual clock."""

import datetime as dt
import json

import pytest

from hall.engine import Engine, ManualClock
from hall.errors import Forbidden, IllegalTransition, InvalidInput, NotFound, Refused
from hall.events import read_events
from hall.matters_report import one_visit_report
from hall.replay import replay_into, state_digest
from hall.store import Store

PHONE = "13812345678"


@pytest.fixture
def office(engine):
    engine.add_staff("a1", "赵审批", "approver")
    return engine


def accept(engine, service="biz-setup", window="w03", staff="c1", outcome="accepted", pending=None,
           phone=PHONE, **kw):
    """A citizen takes a ticket, is called and served, and the clerk accepts the application."""
    if not engine.window_state(window)["staff_id"]:
        engine.sign_in(window, staff)
        engine.open_window(window)
    ticket, _ = engine.issue_ticket(service, phone=phone)
    called = engine.call_next(window)
    assert called["id"] == ticket["id"]
    engine.finish(window, outcome, pending_materials=pending, **kw)
    return engine.matter_for_ticket(ticket["id"])


def events(engine, prefix="matter."):
    return [e for e in read_events(engine.store, 0, 100000) if e["type"].startswith(prefix)]


def test_acceptance_opens_a_matter_with_code_promise_and_first_visit(office):
    [m] = accept(office)
    assert m["code"] == "BJ20261127-0001" and m["state"] == "accepted" and m["kind"] == "promised"
    # 3 working days after Friday 2026-11-27: Mon, Tue, Wed.
    assert m["promise_days"] == 3 and m["due_date"] == "2026-12-02"
    assert m["window_id"] == "w03" and m["staff_id"] == "c1" and m["has_phone"] == 1
    assert m["received"] == office.config.service("biz-setup").material_names and m["owed"] == []
    assert [v["kind"] for v in m["visits"]] == ["accept"]
    assert [s["step"] for s in m["steps"]] == ["accept"]
    [second] = accept(office, phone=None)
    assert second["code"] == "BJ20261127-0002" and second["has_phone"] == 0
    assert [e["type"] for e in events(office)] == ["matter.opened", "matter.opened"]


def test_a_completed_finish_opens_no_matter(office, open_window):
    open_window()
    t, _ = office.issue_ticket("biz-setup")
    office.call_next("w03")
    office.finish("w03", "completed")
    assert office.matter_for_ticket(t["id"]) == [] and events(office) == []


def test_promised_date_skips_holidays_and_counts_make_up_days(tmp_path, hall_config):
    # Wednesday 2026-09-30: 10-01..10-07 are holidays (with a weekend), 10-10 a Saturday 调休 workday.
    clock = ManualClock(dt.datetime(2026, 9, 30, 9, 0, tzinfo=hall_config.tz).timestamp())
    engine = Engine(Store.open(tmp_path / "h.db"), hall_config, clock)
    engine.add_staff("c1", "张", "clerk")
    [m] = accept(engine)
    assert m["due_date"] == "2026-10-10"


def test_keys_and_phone_stay_out_of_events(office):
    [m] = accept(office)
    acc = office.matter_access(m["code"])
    raw = json.dumps([e["payload"] for e in read_events(office.store, 0, 100000)], ensure_ascii=False)
    assert acc["token"] not in raw and acc["pickup_token"] not in raw and PHONE not in raw
    assert len(acc["token"]) >= 24 and acc["token"] != acc["pickup_token"]


def test_accepted_pending_lists_owed_materials_with_a_deadline(office):
    [m] = accept(office, outcome="accepted_pending", pending=["住所使用证明"])
    assert m["owed_open"] == ["住所使用证明"] and m["owed_due"] == "2026-12-04"   # 5 working days
    assert "住所使用证明" not in m["received"]


def test_instant_matter_is_settled_at_the_window(office):
    [m] = accept(office, service="biz-seal")
    assert m["kind"] == "instant" and m["state"] == "collected" and m["closed_at"]
    assert [s["step"] for s in m["steps"]] == ["accept", "instant"]


def test_full_path_approve_ready_pickup_scan_and_hand_over(office, open_window):
    [m] = accept(office)
    office.advance_matter(m["id"], "approve", "a1", role="approver")
    office.advance_matter(m["id"], "ready", "a1", role="approver")
    assert [e["type"] for e in events(office)][-1] == "matter.ready"
    acc = office.matter_access(m["code"])
    out = office.scan_pickup_code(f"OW1:P:{acc['pickup_token']}")
    assert out["action"] == "ticket" and out["created"] and out["ticket"]["service_id"] == "pickup"
    again = office.scan_pickup_code(f"OW1:P:{acc['pickup_token']}")
    assert again["ticket"]["id"] == out["ticket"]["id"] and not again["created"]
    open_window("w15", "c2")
    called = office.call_next("w15")
    assert called["id"] == out["ticket"]["id"]
    [attached] = office.matter_for_ticket(called["id"])
    assert attached["id"] == m["id"] and attached["service_name_zh"] == "企业设立登记"
    with pytest.raises(InvalidInput):
        office.hand_over(m["id"], "c2", "王五", by_proxy=True)          # proxy needs a note
    office.hand_over(m["id"], "c2", "王五", by_proxy=True, note="授权委托书已核验，代领人持身份证原件", ticket_id=called["id"])
    done = office.get_matter(m["id"])
    assert done["state"] == "collected" and done["handed_to"] == "王*" and done["by_proxy"] == 1
    with office.store.read() as c:     # the full name stays at the hall, never in an event
        assert c.execute("SELECT handed_to FROM matter_access WHERE code = ?", (m["code"],)).fetchone()[0] == "王五"
    assert "王五" not in json.dumps([e["payload"] for e in read_events(office.store, 0, 10**6)], ensure_ascii=False)
    assert [v["kind"] for v in done["visits"]] == ["accept", "pickup"]
    step = done["steps"][-1]
    assert step["step"] == "handover" and step["staff_id"] == "c2" and "代领" in step["note"]
    with pytest.raises(Refused) as info:
        office.scan_pickup_code(f"OW1:P:{acc['pickup_token']}")
    assert info.value.code == "matter_closed"


@pytest.mark.parametrize("path,step,code", [
    ([], "ready", "bad_matter_step"),                      # not approved yet
    ([], "resume", "bad_matter_step"),
    (["approve"], "approve", "bad_matter_step"),
    (["approve", "ready"], "ask_more", "bad_matter_step"),
    (["approve", "ready"], "reject", "bad_matter_step"),
    (["reject"], "approve", "bad_matter_step"),           # closed
    (["approve", "mail"], "ready", "bad_matter_step"),
])
def test_illegal_moves_are_clear_errors_and_change_nothing(office, path, step, code):
    [m] = accept(office)
    for s in path:
        office.advance_matter(m["id"], s, "a1", "理由或单号", role="approver")
    before = office.get_matter(m["id"])
    n = len(events(office))
    with pytest.raises(IllegalTransition) as info:
        office.advance_matter(m["id"], step, "a1", "说明", role="approver")
    assert info.value.code == code and "不能" in info.value.message
    assert office.get_matter(m["id"]) == before and len(events(office)) == n


def test_notes_roles_and_unknowns(office):
    [m] = accept(office)
    with pytest.raises(InvalidInput) as info:
        office.advance_matter(m["id"], "reject", "a1", "", role="approver")
    assert info.value.code == "note_required" and "理由" in info.value.message
    with pytest.raises(InvalidInput):
        office.advance_matter(m["id"], "mail", "a1", "", role="approver")
    with pytest.raises(Forbidden):
        office.advance_matter(m["id"], "approve", "c1", role="clerk")
    with pytest.raises(InvalidInput):
        office.advance_matter(m["id"], "teleport", "a1", role="approver")
    with pytest.raises(NotFound):
        office.advance_matter("nope" * 4, "approve", "a1", role="approver")
    office.advance_matter(m["id"], "approve", "m1", role="manager")     # a manager may
    office.advance_matter(m["id"], "reject", "a1", "不符合登记条件（名称与在先字号近似）", role="approver")
    r = office.get_matter(m["id"])
    assert r["state"] == "rejected" and r["reason"].startswith("不符合") and r["closed_at"]


def test_ask_more_then_supply_then_resume_and_ready_only_when_nothing_owed(office):
    [m] = accept(office, outcome="accepted_pending", pending=["住所使用证明"])
    office.advance_matter(m["id"], "ask_more", "a1", "章程第五条需股东签字", role="approver",
                          materials=["股东签字的章程"])
    cur = office.get_matter(m["id"])
    assert cur["state"] == "more_requested" and cur["owed_open"] == ["住所使用证明", "股东签字的章程"]
    office.supply_material(m["id"], "股东签字的章程", "c1")
    with pytest.raises(IllegalTransition):
        office.supply_material(m["id"], "股东签字的章程", "c1")
    with pytest.raises(NotFound):
        office.supply_material(m["id"], "无关材料", "c1")
    office.advance_matter(m["id"], "resume", "a1", role="approver")
    office.advance_matter(m["id"], "approve", "a1", role="approver")
    with pytest.raises(IllegalTransition) as info:
        office.advance_matter(m["id"], "ready", "a1", role="approver")
    assert info.value.code == "materials_owed" and "住所使用证明" in info.value.message
    office.supply_material(m["id"], "住所使用证明", "c1")
    office.advance_matter(m["id"], "ready", "a1", role="approver")
    assert office.get_matter(m["id"])["state"] == "ready"


def test_kiosk_scan_files_owed_materials_without_a_number(office):
    [m] = accept(office, outcome="accepted_pending", pending=["住所使用证明"])
    acc = office.matter_access(m["code"])
    issued_before = len([e for e in read_events(office.store, 0, 100000) if e["type"] == "ticket.issued"])
    out = office.scan_pickup_code(f"OW1:P:{acc['pickup_token']}")
    assert out["action"] == "filed" and out["owed"] == ["住所使用证明"] and out["windows"] == [15, 16]
    assert "无需取号" in out["message"]
    assert len([e for e in read_events(office.store, 0, 100000) if e["type"] == "ticket.issued"]) == issued_before
    [filed] = office.list_matters(filed=True)
    assert filed["id"] == m["id"] and [v["kind"] for v in filed["visits"]] == ["accept", "supply"]
    office.supply_material(m["id"], "住所使用证明", "c2")
    assert office.list_matters(filed=True) == []


def test_scan_of_a_matter_in_review_says_when_and_bad_codes_are_refused(office):
    [m] = accept(office)
    acc = office.matter_access(m["code"])
    with pytest.raises(Refused) as info:
        office.scan_pickup_code(f"OW1:P:{acc['pickup_token']}")
    assert info.value.code == "matter_not_ready" and "2026-12-02" in info.value.message
    for bad in ("OW1:P:", "OW1:P:abc", "OW1:P:" + "0" * 24, m["code"]):
        with pytest.raises(NotFound):
            office.scan_pickup_code(bad)


def test_back_office_queue_is_overdue_first_then_by_promise(office, clock):
    [slow] = accept(office, service="cons-planning", window="w06")    # 15 working days
    [fast] = accept(office)                                          # 3 working days
    assert [m["id"] for m in office.list_matters()] == [fast["id"], slow["id"]]
    clock.set(dt.datetime(2026, 12, 3, 10, 0, tzinfo=office.tz).timestamp())   # past fast's 12-02
    rows = office.list_matters()
    assert rows[0]["id"] == fast["id"] and rows[0]["overdue"] and not rows[1]["overdue"]


def test_uncollected_results_are_listed(office, clock):
    [m] = accept(office)
    office.advance_matter(m["id"], "approve", "a1", role="approver")
    office.advance_matter(m["id"], "ready", "a1", role="approver")
    assert office.uncollected_matters() == []
    clock.advance(86400 * 11)
    assert [x["id"] for x in office.uncollected_matters()] == [m["id"]]


def test_theme_opens_one_matter_per_service_behind_one_code(office):
    ms = accept(office, service="health-birth", window="w09", theme_id="newborn")
    assert [m["service_id"] for m in ms] == ["health-birth", "hh-migration", "soc-card"]
    assert len({m["code"] for m in ms}) == 1
    assert len(office.matters_by_code(ms[0]["code"])) == 3
    with pytest.raises(NotFound):
        accept(office, service="health-birth", window="w09", theme_id="no-such-theme")


def test_central_updates_apply_once_and_skip_what_no_longer_fits(office):
    [m] = accept(office)
    ups = [{"id": "prov-1", "matter_id": m["id"], "step": "approve", "note": "省级系统已批准"},
           {"id": "prov-2", "matter_id": m["id"], "step": "ready"}]
    assert office.apply_matter_updates(ups) == {"applied": 2, "skipped": []}
    n = len(events(office))
    assert office.apply_matter_updates(ups)["applied"] == 2 and len(events(office)) == n   # idempotent
    out = office.apply_matter_updates([{"id": "prov-3", "matter_id": m["id"], "step": "approve"},
                                       {"id": "bad id!", "matter_id": m["id"], "step": "approve"}])
    assert out["applied"] == 0 and len(out["skipped"]) == 2
    steps = office.get_matter(m["id"])["steps"]
    assert [s["source"] for s in steps] == ["hall", "central", "central"] and steps[1]["staff_id"] is None


def test_replay_rebuilds_matters_steps_and_visits(office, tmp_path, open_window):
    [a] = accept(office, outcome="accepted_pending", pending=["住所使用证明"])
    [b] = accept(office)
    office.supply_material(a["id"], "住所使用证明", "c1")
    office.advance_matter(b["id"], "approve", "a1", role="approver")
    office.advance_matter(b["id"], "ready", "a1", role="approver")
    office.scan_pickup_code("OW1:P:" + office.matter_access(b["code"])["pickup_token"])
    open_window("w15", "c2")
    t = office.call_next("w15")
    office.hand_over(b["id"], "c2", "李四", ticket_id=t["id"])
    fresh = Store.open(tmp_path / "replayed.db")
    replay_into(read_events(office.store, 0, 10**6), fresh)
    want, got = state_digest(office.store), state_digest(fresh)
    for table in ("matters", "matter_steps", "matter_visits"):
        assert table in want and got[table] == want[table]
    assert got == want


def test_one_visit_report_counts_visits_and_time_against_promise(office, clock, open_window):
    [one] = accept(office)                                                 # approve, mail: one visit in all
    [two] = accept(office, outcome="accepted_pending", pending=["住所使用证明"])
    clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=office.tz).timestamp())   # Monday
    office.advance_matter(one["id"], "approve", "a1", role="approver")         # 1 working day of 3
    office.advance_matter(one["id"], "mail", "a1", "EMS 1234567890", role="approver")
    office.scan_pickup_code("OW1:P:" + office.matter_access(two["code"])["pickup_token"])   # supply visit
    office.supply_material(two["id"], "住所使用证明", "c1")
    clock.set(dt.datetime(2026, 12, 3, 10, 0, tzinfo=office.tz).timestamp())   # Thursday: 4 days, promised 3
    office.advance_matter(two["id"], "approve", "a1", role="approver")
    office.advance_matter(two["id"], "ready", "a1", role="approver")
    office.scan_pickup_code("OW1:P:" + office.matter_access(two["code"])["pickup_token"])
    open_window("w15", "c2")
    t = office.call_next("w15")
    office.hand_over(two["id"], "c2", "张三", ticket_id=t["id"])
    rep = one_visit_report(office.store, office.calendar, "2026-11-01", "2026-12-31", today="2026-12-03")
    row = next(r for r in rep["rows"] if r["month"] == "2026-11" and r["service_id"] == "biz-setup")
    assert row["matters"] == 2 and row["settled"] == 2
    assert row["one_visit_rate"] == 0.5 and row["one_visit_incl_pickup_rate"] == 0.5
    assert row["visits_per_matter"] == 2.0              # (1 + 3) / 2
    assert row["actual_days"] == 2.5 and row["promised_days"] == 3
    assert row["within_half_rate"] == 0.5 and row["overdue"] == 1 and row["owed_matters"] == 1
    assert rep["most_owed"] == [{"material": "住所使用证明", "count": 1}]


def test_advice_names_services_with_most_visits_and_materials_to_pre_announce(office):
    from hall.advice import advice

    [m] = accept(office, outcome="accepted_pending", pending=["住所使用证明"])
    office.scan_pickup_code("OW1:P:" + office.matter_access(m["code"])["pickup_token"])     # a second visit
    adv = advice(office.store, "2026-11-01", "2026-11-30", office.tz)["matters"]
    assert adv["most_visits"][0]["service_id"] == "biz-setup" and "跑动 2.0 次" in adv["most_visits"][0]["text_zh"]
    assert adv["pre_announce"][0]["material"] == "住所使用证明" and "提前告知" in adv["pre_announce"][0]["text_zh"]


def test_a_theme_ticket_opens_the_themes_matters_without_being_told(office, open_window):
    ticket, created = office.issue_theme_ticket("newborn", phone=PHONE, idempotency_key="kiosk-theme-0001")
    assert created and ticket["service_id"] == "health-birth" and ticket["source_detail"] == "theme:newborn"
    again, created = office.issue_theme_ticket("newborn", phone=PHONE, idempotency_key="kiosk-theme-0001")
    assert again["id"] == ticket["id"] and not created
    with pytest.raises(NotFound):
        office.issue_theme_ticket("nope")
    open_window("w09")
    assert office.call_next("w09")["id"] == ticket["id"]
    office.finish("w09", "accepted")
    ms = office.matter_for_ticket(ticket["id"])
    assert sorted(m["service_id"] for m in ms) == ["health-birth", "hh-migration", "soc-card"]
    assert len({m["code"] for m in ms}) == 1 and all(m["theme_id"] == "newborn" for m in ms)


def test_a_closed_matters_phone_is_purged_after_the_retention(office, clock):
    [m] = accept(office)
    office.advance_matter(m["id"], "reject", "a1", "材料不符合要求")
    with office.store.read() as c:
        phone, purge = c.execute("SELECT phone, purge_after FROM matter_access WHERE code = ?", (m["code"],)).fetchone()
    assert phone == PHONE and purge == "2026-12-04"                   # 7 days (privacy.phone_retention_days)
    clock.set(dt.datetime(2026, 12, 4, 9, 0, tzinfo=office.tz).timestamp())
    office.ensure_business_day()
    with office.store.read() as c:
        assert c.execute("SELECT phone FROM matter_access").fetchone()[0] == PHONE
    clock.set(dt.datetime(2026, 12, 7, 9, 0, tzinfo=office.tz).timestamp())
    office.ensure_business_day()
    with office.store.read() as c:
        assert c.execute("SELECT phone FROM matter_access").fetchone()[0] is None
    assert office.public_matters(office.matter_access(m["code"])["token"])["matters"][0]["state"] == "rejected"


def test_db_check_knows_the_matter_invariants(office):
    from hall.check import check_invariants

    [m] = accept(office)
    assert check_invariants(office.store) == []
    with office.store.transaction() as c:
        c.execute("UPDATE matters SET state = 'collected' WHERE id = ?", (m["id"],))
        c.execute("DELETE FROM matter_access")
    problems = check_invariants(office.store)
    assert any("closed time" in p for p in problems) and any("matter_access" in p for p in problems)


def test_live_view_alerts_on_overdue_and_uncollected_matters(office, clock):
    from hall.advice import live_view

    [late] = accept(office)
    [ready] = accept(office)
    office.advance_matter(ready["id"], "approve", "a1")
    office.advance_matter(ready["id"], "ready", "a1")
    assert [a["kind"] for a in live_view(office)["alerts"] if a["kind"].startswith("matters")] == []
    clock.set(dt.datetime(2026, 12, 8, 10, 0, tzinfo=office.tz).timestamp())     # past 12-02, 11 days on
    kinds = {a["kind"]: a for a in live_view(office)["alerts"] if a["kind"].startswith("matters")}
    assert kinds["matters_overdue"]["count"] == 1 and kinds["matters_uncollected"]["count"] == 1
    assert "承诺办结日期" in kinds["matters_overdue"]["text_zh"] and late["code"]
