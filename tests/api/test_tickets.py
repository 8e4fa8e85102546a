"""Issuing tickets over HTTP: idempotency, check-in, the citizen view, ratings, complaints, help."""

from __future__ import annotations

import concurrent.futures
import datetime as dt

import httpx

from .conftest import assert_error


def test_issue_returns_the_ticket_shape(hall, kiosk):
    r = kiosk.issue("biz-setup")
    assert r.status_code == 201
    t = r.json()
    for key in ("id", "number", "service_id", "state", "ahead", "eta_minutes", "token", "status_url"):
        assert key in t
    assert t["number"] == "A001" and t["state"] == "waiting" and t["ahead"] == 0
    assert t["status_url"] == f"{hall.url}/t/{t['token']}"
    second = kiosk.issue("biz-setup").json()
    assert second["number"] == "A002" and second["ahead"] == 1


def test_same_key_same_ticket_and_other_body_is_422(kiosk):
    a = kiosk.issue("biz-setup", key="kiosk-retry-0001")
    b = kiosk.issue("biz-setup", key="kiosk-retry-0001")
    assert a.status_code == 201 and b.status_code == 200
    assert a.json()["id"] == b.json()["id"]
    assert_error(kiosk.issue("biz-change", key="kiosk-retry-0001"), 422, "idempotency_conflict")


def test_twenty_parallel_requests_with_one_key_make_one_ticket(hall, kiosk):
    token = kiosk.http.headers["Authorization"]

    def one(_):
        return httpx.post(hall.url + "/api/v1/tickets", json={"service_id": "biz-setup"},
                          headers={"Authorization": token, "Idempotency-Key": "same-key-20x"}, timeout=20)

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(one, range(20)))
    assert sorted({r.status_code for r in responses}) in ([200, 201], [201])
    assert sum(r.status_code == 201 for r in responses) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    with hall.store.read() as db:
        assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1


def test_issue_refusals_are_clear(kiosk):
    r = kiosk.post("/tickets", json={"service_id": "biz-setup"})
    err = assert_error(r, 422, "invalid_input")
    assert "idempotency" in err["message_en"].lower()
    assert_error(kiosk.issue("no-such-service"), 404, "unknown_service")
    assert_error(kiosk.issue("biz-setup", phone="12345"), 422, "bad_phone")
    assert_error(kiosk.issue("biz-setup", priority_reason="vip"), 422, "bad_priority_reason")
    assert_error(kiosk.issue("biz-setup", lang="fr"), 422)
    assert_error(kiosk.issue("biz-setup", extra_field=1), 422)


def test_green_channel_ticket_is_called_first(kiosk, clerk):
    kiosk.issue("biz-setup")
    green = kiosk.issue("biz-setup", priority_reason="elderly").json()
    assert green["priority"] == "green"
    called = clerk.post("/windows/w03/call-next").json()["ticket"]
    assert called["number"] == green["number"]


def test_appointment_check_in(hall, kiosk):
    today = hall.engine.business_date()
    local = dt.datetime.fromtimestamp(hall.clock.now(), hall.config.tz)
    slot = local.strftime("%H:%M")
    end = (local + dt.timedelta(minutes=30)).strftime("%H:%M")
    hall.engine.upsert_appointments([{"code": "20261126", "service_id": "biz-setup", "date": today,
                                      "slot_start": slot, "slot_end": end, "name_masked": "张*"}])
    r = kiosk.post("/appointments/checkin", json={"code": "OW1:A:20261126"})
    assert r.status_code == 201, r.text
    assert r.json()["priority"] == "appointment"
    again = kiosk.post("/appointments/checkin", json={"code": "20261126"})
    assert again.json()["id"] == r.json()["id"]
    assert_error(kiosk.post("/appointments/checkin", json={"code": "99999999"}), 404)
    assert_error(kiosk.post("/appointments/checkin", json={"code": "abc"}), 422)


def test_citizen_view_and_unknown_token(kiosk, public, clerk):
    token = kiosk.issue("biz-setup").json()["token"]
    view = public.get(f"/tickets/{token}").json()
    assert view["service_name_zh"] == "企业设立登记" and view["ahead"] == 0
    assert view["window_number"] is None and view["can_rate"] is False
    clerk.post("/windows/w03/call-next")
    view = public.get(f"/tickets/{token}").json()
    assert view["state"] == "called" and view["window_number"] == 3
    assert_error(public.get("/tickets/AAAAAAAAAAAAAAAAAAAAAA"), 404)
    assert_error(public.get("/tickets/bad token!"), 422)


def test_rating_once_per_ticket_after_service(hall, kiosk, clerk, public):
    token = kiosk.issue("biz-setup").json()["token"]
    assert_error(public.post("/ratings", json={"token": token, "level": 5}), 409, "not_finished")
    clerk.post("/windows/w03/call-next")
    clerk.post("/windows/w03/start")
    assert clerk.post("/windows/w03/finish", json={"outcome": "completed"}).status_code == 200
    assert public.get(f"/tickets/{token}").json()["can_rate"] is True
    assert_error(public.post("/ratings", json={"token": token, "level": 1}), 422, "reason_required")
    r = public.post("/ratings", json={"token": token, "level": 1, "reasons": ["推诿扯皮"]})
    assert r.status_code == 201 and r.json()["case_opened"] is True
    assert_error(public.post("/ratings", json={"token": token, "level": 5}), 409, "already_rated")
    view = public.get(f"/tickets/{token}").json()
    assert view["rated"] is True and view["rating_level"] == 1
    with hall.store.read() as db:
        assert [tuple(r) for r in db.execute("SELECT level, channel FROM ratings")] == [(1, "web")]
    assert_error(public.post("/ratings", json={"token": token, "level": 9}), 422)


def test_complaint_gets_a_tracking_code(kiosk, public):
    r = public.post("/complaints", json={"category": "attitude", "text": "窗口推诿",
                                         "phone": "13700001111"})
    assert r.status_code == 201 and r.json()["code"].startswith("TS2026")
    assert "13700001111" not in r.text
    assert kiosk.post("/complaints", json={"category": "suggestion", "kind": "suggestion",
                                           "phrases": ["指引不清楚"]}).status_code == 201
    assert_error(public.post("/complaints", json={"category": "nope"}), 422, "bad_category")


def test_help_request_raise_acknowledge_close(hall, kiosk):
    helper = hall.staff_token("h1", role="helper")
    from .conftest import Client

    h = Client(hall.url, helper)
    raised = kiosk.post("/help-requests", json={"note": "老人不会操作"})
    assert raised.status_code == 201
    help_id = raised.json()["id"]
    assert [x["id"] for x in h.get("/help-requests").json()] == [help_id]
    assert h.post(f"/help-requests/{help_id}/acknowledge").json()["state"] == "acknowledged"
    assert kiosk.get(f"/help-requests/{help_id}").json()["state"] == "acknowledged"
    assert h.post(f"/help-requests/{help_id}/close").json()["state"] == "closed"
    assert_error(h.post(f"/help-requests/{help_id}/close"), 409)
    assert_error(kiosk.post(f"/help-requests/{help_id}/acknowledge"), 403)
    assert_error(h.get("/help-requests/nope"), 404)


def test_print_failure_alerts_staff(hall, kiosk, clerk):
    ticket = kiosk.issue("biz-setup").json()
    assert kiosk.post(f"/tickets/{ticket['id']}/print-failed", json={"reason": "缺纸"}).status_code == 200
    types = [e["type"] for e in clerk.get("/events", params={"after": 0}).json()["events"]]
    assert "printer.failed" in types
    assert_error(clerk.post(f"/tickets/{ticket['id']}/print-failed", json={"reason": "x"}), 403)


def test_services_and_windows_overviews(kiosk, clerk, public):
    kiosk.issue("biz-setup")
    services = {s["id"]: s for s in public.get("/services").json()}
    s = services["biz-setup"]
    assert s["waiting"] == 1 and s["open_now"] is True and isinstance(s["eta_minutes"], int | float)
    assert s["materials"] and s["prefix"] == "A"
    windows = {w["number"]: w for w in public.get("/windows").json()}
    assert windows[3]["state"] == "open" and windows[4]["state"] == "closed"


def test_health(hall, public, kiosk):
    kiosk.issue()
    h = public.get("/health").json()
    assert h["status"] == "ok" and h["database_ok"] is True
    assert h["business_date"] == "2026-11-26" and h["last_seq"] >= 3


def test_bad_rating_opens_a_case_the_manager_works_to_closure(hall, kiosk, clerk, public):
    from .conftest import Client

    token = kiosk.issue().json()["token"]
    clerk.post("/windows/w03/call-next")
    clerk.post("/windows/w03/finish", json={"outcome": "completed"})
    public.post("/ratings", json={"token": token, "level": 2, "reasons": ["服务态度不好"]})
    manager = Client(hall.url, hall.staff_token("m1", role="manager"))
    cases = manager.get("/cases", params={"state": "open"}).json()
    assert len(cases) == 1 and "差评" in cases[0]["summary"]
    case_id = cases[0]["id"]
    assert manager.post(f"/cases/{case_id}/advance", json={"step": "verify"}).json()["state"] == "verified"
    assert_error(manager.post(f"/cases/{case_id}/advance", json={"step": "close", "note": "x"}), 409)
    for step in ("rectify", "revisit", "close"):
        r = manager.post(f"/cases/{case_id}/advance", json={"step": step, "note": "已回访，群众满意"})
        assert r.status_code == 200, r.text
    case = manager.get(f"/cases/{case_id}").json()
    assert case["state"] == "closed" and [s["step"] for s in case["steps"]] == [
        "verify", "rectify", "revisit", "close"]
    assert_error(manager.get("/cases", params={"state": "bogus"}), 422)
    assert_error(manager.get("/cases/nope"), 404)
