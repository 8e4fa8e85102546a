"""The queue engine: every operation, every refusal, on a real SQLite file with a manual clock."""

import datetime as dt
import json

import pytest

from hall.engine import Engine, ManualClock
from hall.errors import (
    Conflict,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Refused,
)
from hall.events import read_events
from hall.store import Store


def issue(engine, service="biz-setup", **kw):
    ticket, _ = engine.issue_ticket(service, **kw)
    return ticket


def events_of(engine, type_):
    return [e for e in read_events(engine.store, 0, 100000) if e["type"] == type_]


# ---------------------------------------------------------------- issuing
def test_numbers_follow_the_counter_per_service_with_prefix(engine):
    assert [issue(engine)["number"] for _ in range(3)] == ["A001", "A002", "A003"]
    assert issue(engine, "consult")["number"] == "ZX001"


def test_idempotency_key_returns_the_same_ticket(engine):
    a, created_a = engine.issue_ticket("biz-setup", idempotency_key="kiosk1-0001")
    b, created_b = engine.issue_ticket("biz-setup", idempotency_key="kiosk1-0001")
    assert created_a and not created_b and a["id"] == b["id"]
    with pytest.raises(IdempotencyConflict):
        engine.issue_ticket("consult", idempotency_key="kiosk1-0001")
    assert len(events_of(engine, "ticket.issued")) == 1


def test_daily_cap_gives_a_clear_full_refusal(engine, store):
    with store.transaction() as c:
        c.execute("UPDATE services SET daily_cap = 2 WHERE id = 'tal-highend'")
    issue(engine, "tal-highend")
    issue(engine, "tal-highend")
    with pytest.raises(Refused) as info:
        issue(engine, "tal-highend")
    assert info.value.code == "full" and "今日号源已满" in info.value.message


def test_cutoff_and_opening_hours(engine, clock):
    clock.set(dt.datetime(2026, 11, 27, 17, 5, tzinfo=engine.tz).timestamp())
    with pytest.raises(Refused) as info:
        issue(engine)
    assert info.value.code == "cutoff" and "已停止取号" in info.value.message
    clock.set(dt.datetime(2026, 11, 28, 9, 0, tzinfo=engine.tz).timestamp())   # Saturday
    with pytest.raises(Refused) as info:
        issue(engine)
    assert info.value.code == "closed_today"
    clock.set(dt.datetime(2026, 11, 30, 7, 0, tzinfo=engine.tz).timestamp())   # Monday, early
    with pytest.raises(Refused) as info:
        issue(engine)
    assert info.value.code == "not_open_yet" and "08:30" in info.value.message


def test_make_up_working_day_opens_and_holiday_closes(tmp_path, hall_config):
    clock = ManualClock(dt.datetime(2026, 10, 1, 9, 0, tzinfo=hall_config.tz).timestamp())   # National Day
    engine = Engine(Store.open(tmp_path / "h.db"), hall_config, clock)
    with pytest.raises(Refused) as info:
        issue(engine)
    assert info.value.code == "closed_today"
    clock.set(dt.datetime(2026, 10, 10, 9, 0, tzinfo=hall_config.tz).timestamp())   # Saturday, 调休 workday
    assert issue(engine)["business_date"] == "2026-10-10"


def test_bad_inputs_are_domain_errors(engine):
    with pytest.raises(NotFound):
        issue(engine, "no-such-service")
    with pytest.raises(InvalidInput):
        issue(engine, phone="12345")
    with pytest.raises(InvalidInput):
        issue(engine, priority_reason="vip")
    with pytest.raises(InvalidInput):
        issue(engine, lang="fr")
    assert events_of(engine, "ticket.issued") == []


def test_phone_never_in_tickets_or_events(engine, store):
    t = issue(engine, phone="13812345678")
    assert t["has_phone"] == 1
    assert engine.phone_for(t["id"]) == "13812345678"
    with store.read() as c:
        dump = "\n".join(str(tuple(r)) for r in c.execute("SELECT * FROM events"))
        dump += "\n".join(str(tuple(r)) for r in c.execute("SELECT * FROM tickets"))
    assert "13812345678" not in dump


def test_phone_is_purged_after_retention(engine, clock):
    t = issue(engine, phone="13812345678")
    clock.advance(8 * 86400)          # past the 7-day retention
    engine.ensure_business_day()
    clock.advance(86400)
    engine.ensure_business_day()
    assert engine.phone_for(t["id"]) is None


# ---------------------------------------------------------------- calling order
def test_green_channel_is_called_before_earlier_normal_tickets(engine, open_window, clock):
    w = open_window()
    first = issue(engine)
    clock.advance(60)
    green = issue(engine, "biz-change", priority_reason="elderly")
    assert green["priority"] == "green"
    assert engine.call_next(w)["id"] == green["id"]
    engine.finish(w, "completed")
    assert engine.call_next(w)["id"] == first["id"]


def test_fifo_across_the_windows_services(engine, open_window, clock):
    w = open_window("w03")
    a = issue(engine, "tax-invoice")
    clock.advance(5)
    b = issue(engine, "biz-setup")
    assert engine.call_next(w)["id"] == a["id"]
    engine.finish(w, "completed")
    assert engine.call_next(w)["id"] == b["id"]


def test_order_mode_prefers_the_first_service(engine, open_window, clock):
    w = open_window("w05")             # tax-invoice, tax-return, biz-seal in that order
    seal = issue(engine, "biz-seal")
    clock.advance(5)
    invoice = issue(engine, "tax-invoice")
    assert engine.call_next(w)["id"] == invoice["id"]
    engine.finish(w, "completed")
    assert engine.call_next(w)["id"] == seal["id"]


def test_ratio_mode_calls_services_by_weight(engine, open_window, clock):
    w = open_window("w07")             # re-transfer 2 : re-mortgage 1 : re-certificate 1
    for _ in range(6):
        issue(engine, "re-mortgage")
        clock.advance(1)
    for _ in range(6):
        issue(engine, "re-transfer")
        clock.advance(1)
    called = []
    for _ in range(6):
        called.append(engine.call_next(w)["service_id"])
        engine.finish(w, "completed")
    assert called.count("re-transfer") == 4 and called.count("re-mortgage") == 2


def test_nobody_waiting_returns_none_without_an_event(engine, open_window):
    w = open_window()
    before = len(read_events(engine.store, 0, 100000))
    assert engine.call_next(w) is None
    assert len(read_events(engine.store, 0, 100000)) == before


def test_window_must_be_open_and_free(engine, open_window):
    with pytest.raises(IllegalTransition):
        engine.call_next("w03")        # not signed in, not open
    with pytest.raises(IllegalTransition):
        engine.open_window("w03")      # nobody signed in
    w = open_window()
    issue(engine)
    issue(engine)
    engine.call_next(w)
    with pytest.raises(IllegalTransition) as info:
        engine.call_next(w)
    assert "A001" in info.value.message
    with pytest.raises(IllegalTransition):
        engine.close_window(w)
    engine.pause_window(w)
    engine.hold(w)
    with pytest.raises(IllegalTransition):
        engine.call_next(w)            # paused


def test_appointment_inside_slot_is_called_first_and_checkin_rules(engine, open_window, clock):
    w = open_window("w03")
    engine.upsert_appointments([
        {"code": "20261127", "service_id": "biz-setup", "date": "2026-11-27", "slot_start": "09:30", "slot_end": "10:00"},
        {"code": "20261128", "service_id": "biz-setup", "date": "2026-11-27", "slot_start": "11:00", "slot_end": "11:30"},
        {"code": "20261129", "service_id": "biz-setup", "date": "2026-11-27", "slot_start": "08:30", "slot_end": "09:00"},
        {"code": "20261130", "service_id": "biz-setup", "date": "2026-11-28", "slot_start": "09:00", "slot_end": "09:30"},
    ])
    walk_in = issue(engine)
    with pytest.raises(Refused) as info:
        engine.check_in_appointment("20261128")             # 11:00 slot, now 09:00
    assert info.value.code == "too_early" and "10:30" in info.value.message
    with pytest.raises(Refused) as info:
        engine.check_in_appointment("OW1:A:20261130")       # tomorrow
    assert info.value.code == "wrong_date"
    with pytest.raises(NotFound):
        engine.check_in_appointment("99999999")
    with pytest.raises(InvalidInput):
        engine.check_in_appointment("abc")
    late = engine.check_in_appointment("20261129")          # 08:30 slot + 15 min: late
    assert late["priority"] == "normal"
    appt = engine.check_in_appointment("OW1:A:20261127")    # 09:30 slot: early window open at 09:00
    assert appt["priority"] == "appointment"
    assert engine.check_in_appointment("20261127")["id"] == appt["id"]   # idempotent
    # Before its slot the appointment waits; walk-ins go first.
    assert engine.call_next(w)["id"] == walk_in["id"]
    engine.finish(w, "completed")
    clock.set(dt.datetime(2026, 11, 27, 9, 31, tzinfo=engine.tz).timestamp())
    issue(engine, priority_reason="elderly")
    assert engine.call_next(w)["id"] == appt["id"]


def test_remote_ticket_is_callable_only_after_check_in(engine, open_window):
    w = open_window()
    remote = issue(engine, source="remote", checked_in=False)
    assert engine.call_next(w) is None
    engine.check_in_ticket(remote["token"])
    assert engine.call_next(w)["id"] == remote["id"]


# ---------------------------------------------------------------- at the window
def test_recall_no_show_needs_configured_recalls(engine, open_window):
    w = open_window()
    issue(engine)
    engine.call_next(w)
    with pytest.raises(Refused) as info:
        engine.no_show(w)
    assert "再呼叫 2 次" in info.value.message
    engine.recall(w)
    engine.recall(w)
    t = engine.no_show(w)
    assert t["state"] == "no_show" and t["recalls"] == 2
    assert len(events_of(engine, "ticket.recalled")) == 2


def test_walk_out_is_apart_from_no_show(engine):
    t = issue(engine)
    assert engine.cancel_ticket(t["token"])["state"] == "walked_out"
    with pytest.raises(IllegalTransition):
        engine.cancel_ticket(t["token"])


def test_hold_and_resume(engine, open_window):
    w = open_window()
    a = issue(engine)
    b = issue(engine)
    engine.call_next(w)
    engine.start(w)
    assert engine.hold(w)["state"] == "held"
    assert engine.call_next(w)["id"] == b["id"]
    with pytest.raises(IllegalTransition):
        engine.resume(w)               # b is at the window
    engine.finish(w, "completed")
    resumed = engine.resume(w)
    assert resumed["id"] == a["id"] and resumed["state"] == "serving"


def test_return_to_queue_first_keeps_place_last_goes_to_the_end(engine, open_window, clock):
    w = open_window()
    a = issue(engine)
    clock.advance(10)
    b = issue(engine)
    engine.call_next(w)
    engine.return_to_queue(w, "first")
    assert engine.call_next(w)["id"] == a["id"]
    engine.return_to_queue(w, "last")
    assert engine.call_next(w)["id"] == b["id"]


def test_finish_outcomes_and_service_time_feed_the_estimate(engine, open_window, clock):
    w = open_window()
    for _ in range(3):
        issue(engine, "tax-invoice")
    engine.call_next(w)
    engine.start(w)
    clock.advance(20 * 60)
    t = engine.finish(w, "accepted")
    assert t["outcome"] == "accepted"
    with pytest.raises(InvalidInput):
        engine.call_next(w) and engine.finish(w, "accepted_pending")
    t = engine.finish(w, "accepted_pending", pending_materials=["税务UKey"])
    assert json.loads(t["outcome_detail"])["pending_materials"] == ["税务UKey"]
    with pytest.raises(InvalidInput):
        engine.finish(w, "maybe")
    # 20 minutes per ticket at one open window: the next newcomer waits about 20 minutes.
    overview = {s["id"]: s for s in engine.services_overview()}
    assert overview["tax-invoice"]["waiting"] == 1
    assert overview["tax-invoice"]["eta_minutes"] >= 10


def test_start_and_finish_need_a_current_ticket(engine, open_window):
    w = open_window()
    with pytest.raises(IllegalTransition):
        engine.start(w)
    with pytest.raises(IllegalTransition):
        engine.finish(w, "completed")
    with pytest.raises(IllegalTransition):
        engine.recall(w)


def test_transfer_keeps_number_and_place_and_can_return(engine, open_window, clock):
    w3 = open_window("w03", "c1")
    w5 = open_window("w05", "c2")
    a = issue(engine, "biz-setup")
    clock.advance(60)
    later = issue(engine, "tax-invoice")
    engine.call_next(w3)
    new = engine.transfer(w3, "tax-invoice", return_to_me=True)
    assert new["number"] == a["number"] and new["sort_at"] == a["sort_at"]
    assert engine.get_ticket(a["id"])["state"] == "transferred"
    assert engine.call_next(w5)["id"] == new["id"]          # keeps its earlier place
    engine.finish(w5, "completed")
    back = engine.ticket_by_token(a["token"])               # the citizen's link follows the transfers
    assert back["state"] == "waiting" and back["target_window_id"] == w3
    assert engine.call_next(w5)["id"] == later["id"]        # w5 does not take it
    assert engine.call_next(w3)["id"] == back["id"]
    with pytest.raises(InvalidInput):
        engine.transfer(w3, "biz-setup")


def test_refusals_are_reports_and_never_drop_the_citizen(engine, open_window):
    w = open_window()
    for _ in range(3):
        issue(engine)
    engine.call_next(w)
    with pytest.raises(InvalidInput):
        engine.refuse(w, "redirect")
    r = engine.refuse(w, "redirect", target_service_id="re-transfer", text="应办理不动产转移登记")
    assert r["new_ticket_id"]
    assert engine.get_ticket(r["new_ticket_id"])["state"] == "waiting"
    engine.call_next(w)
    with pytest.raises(InvalidInput):
        engine.refuse(w, "missing_materials", materials=[])
    r = engine.refuse(w, "missing_materials", materials=["公司章程", "住所使用证明"])
    assert r["materials"] == ["公司章程", "住所使用证明"]
    engine.call_next(w)
    with pytest.raises(InvalidInput):
        engine.refuse(w, "escalate", escalate_to="manager")
    r = engine.refuse(w, "escalate", escalate_to="chief_representative", text="跨部门事项，政策不明确")
    assert r["escalate_to"] == "chief_representative"
    with pytest.raises(InvalidInput):
        engine.refuse(w, "no")
    refused = events_of(engine, "ticket.refused")
    assert [e["payload"]["kind"] for e in refused] == ["redirect", "missing_materials", "escalate"]
    reviewed = engine.review_refusal(refused[0]["payload"]["refusal"]["id"], "m1", "confirmed")
    assert reviewed["review_state"] == "confirmed"


def test_sign_in_moves_a_clerk_and_sign_out_needs_a_free_window(engine, open_window):
    w = open_window("w03", "c1")
    engine.sign_in("w04", "c1")
    assert engine.window_state("w03")["staff_id"] is None
    engine.open_window("w04")
    issue(engine)
    engine.call_next("w04")
    with pytest.raises(IllegalTransition):
        engine.sign_out("w04")
    with pytest.raises(NotFound):
        engine.sign_in(w, "nobody")


# ---------------------------------------------------------------- ratings and cases
def _served(engine, open_window):
    w = open_window()
    t = issue(engine)
    engine.call_next(w)
    engine.finish(w, "completed")
    return t


def test_rating_once_per_ticket_and_only_after_service(engine, open_window):
    waiting = issue(engine, "consult")
    with pytest.raises(IllegalTransition):
        engine.rate(5, token=waiting["token"], channel="qr")
    t = _served(engine, open_window)
    r = engine.rate(5, ["服务热情"], token=t["token"], channel="qr")
    assert r["level"] == 5 and r["window_id"] == "w03" and r["staff_id"] == "c1"
    with pytest.raises(Conflict) as info:
        engine.rate(4, ticket_id=t["id"])
    assert info.value.code == "already_rated"
    for bad in (0, 6, "5", True):
        with pytest.raises(InvalidInput):
            engine.rate(bad, ticket_id=t["id"])


def test_bad_rating_needs_a_reason_and_opens_a_case_with_deadlines(engine, open_window):
    t = _served(engine, open_window)
    with pytest.raises(InvalidInput) as info:
        engine.rate(2, ticket_id=t["id"])
    assert info.value.code == "reason_required"
    engine.rate(2, ["服务态度不好"], ticket_id=t["id"], comment="窗口人员不耐烦")
    [case] = engine.list_cases()
    # Opened Friday 2026-11-27: revisit within 1 working day -> Monday; rectify 5 -> Dec 4; reply 15 -> Dec 18.
    assert (case["revisit_due"], case["rectify_due"], case["reply_due"]) == ("2026-11-30", "2026-12-04", "2026-12-18")
    assert case["window_id"] == "w03" and not case["overdue"]


def test_case_closed_loop_and_overdue(engine, open_window, clock):
    t = _served(engine, open_window)
    engine.rate(1, ["推诿扯皮"], ticket_id=t["id"])
    [case] = engine.list_cases()
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=engine.tz).timestamp())     # Tuesday: revisit overdue
    assert engine.list_cases(overdue=True)[0]["id"] == case["id"]
    with pytest.raises(IllegalTransition):
        engine.advance_case(case["id"], "rectify", "m1", "已整改")             # must verify first
    engine.advance_case(case["id"], "contact", "m1", "电话联系群众，了解情况")
    engine.advance_case(case["id"], "verify", "m1")
    engine.advance_case(case["id"], "rectify", "m1", "已对窗口人员批评教育")
    with pytest.raises(IllegalTransition):
        engine.advance_case(case["id"], "close", "m1", "结案")
    with pytest.raises(InvalidInput):
        engine.advance_case(case["id"], "revisit", "m1", "")
    engine.advance_case(case["id"], "revisit", "m1", "群众表示满意")
    closed = engine.advance_case(case["id"], "close", "m1", "办结")
    assert closed["state"] == "closed"
    assert engine.list_cases(overdue=True) == []
    full = engine.get_case(case["id"])
    assert [s["step"] for s in full["steps"]] == ["contact", "verify", "rectify", "revisit", "close"]
    with pytest.raises(IllegalTransition):
        engine.advance_case(case["id"], "verify", "m1")


def test_upheld_appeal_excludes_the_rating(engine, open_window, store):
    t = _served(engine, open_window)
    engine.rate(1, ["服务态度恶劣"], ticket_id=t["id"])
    [case] = engine.list_cases()
    engine.advance_case(case["id"], "appeal", "m1", "监控显示群众误评")
    engine.advance_case(case["id"], "appeal_upheld", "m1", "申诉成立")
    with store.read() as c:
        assert c.execute("SELECT excluded FROM ratings").fetchone()[0] == 1


def test_default_rating_after_the_configured_days(engine, open_window, clock, store):
    _served(engine, open_window)
    clock.advance(6 * 86400)
    engine.ensure_business_day()
    with store.read() as c:
        assert c.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 0
    clock.advance(2 * 86400)
    engine.ensure_business_day()
    with store.read() as c:
        row = c.execute("SELECT level, channel, is_default FROM ratings").fetchone()
    assert tuple(row) == (3, "default", 1)


# ---------------------------------------------------------------- complaints and help
def test_complaint_gets_a_tracking_code_and_a_case(engine):
    c1 = engine.file_complaint("efficiency", "排队两小时", ["等候时间太长"], phone="13900001111")
    c2 = engine.file_complaint("suggestion", "", ["指引不清楚"], kind="suggestion")
    assert c1["code"] == "TS20261127-0001" and c2["code"] == "TS20261127-0002"
    assert engine.complaint_by_code(c1["code"])["case_state"] == "open"
    assert len(engine.list_cases()) == 2
    assert engine.adopt_suggestion(c2["id"], "m1")["adopted"] == 1
    with pytest.raises(InvalidInput):
        engine.file_complaint("not-a-category", "x")


def test_help_request_lifecycle(engine):
    h = engine.raise_help("kiosk-1", "老人需要帮助填表")
    assert engine.raise_help("kiosk-1")["id"] == h["id"]       # pressing twice is one call
    assert engine.acknowledge_help(h["id"], "c2")["state"] == "acknowledged"
    with pytest.raises(IllegalTransition):
        engine.acknowledge_help(h["id"], "c2")
    assert engine.close_help(h["id"], "c2")["state"] == "closed"
    assert engine.raise_help("kiosk-1")["id"] != h["id"]


# ---------------------------------------------------------------- business day
def test_day_close_expires_open_tickets_and_numbers_restart(engine, open_window, clock):
    w = open_window()
    a = issue(engine)
    issue(engine)
    engine.call_next(w)
    clock.set(dt.datetime(2026, 11, 30, 9, 0, tzinfo=engine.tz).timestamp())
    t = issue(engine)
    assert t["number"] == "A001" and t["business_date"] == "2026-11-30"
    assert engine.get_ticket(a["id"])["state"] == "expired"
    assert engine.window_state(w)["state"] == "closed" and engine.window_state(w)["staff_id"] is None


def test_business_date_never_goes_backwards(engine, clock):
    issue(engine)
    clock.set(dt.datetime(2026, 11, 26, 9, 0, tzinfo=engine.tz).timestamp())   # clock jumps back a day
    t = issue(engine)
    assert t["business_date"] == "2026-11-27" and t["number"] == "A002"


def test_print_failure_is_recorded_as_a_staff_alert(engine):
    t = issue(engine)
    engine.record_print_failure(t["id"], "缺纸 paper out")
    [alert] = events_of(engine, "printer.failed")
    assert alert["payload"]["number"] == "A001" and engine.get_ticket(t["id"])["printed"] == 0


def test_public_ticket_shows_ahead_eta_and_window(engine, open_window):
    w = open_window()
    a = issue(engine)
    b = issue(engine)
    view = engine.public_ticket(b)
    assert view["ahead"] == 1 and view["eta_minutes"] >= 1 and view["window_number"] is None
    engine.call_next(w)
    view = engine.public_ticket(a)
    assert view["state"] == "called" and view["window_number"] == 3
    assert "phone" not in view and "staff_id" not in view
