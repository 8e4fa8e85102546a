"""Every window action over HTTP, as a clerk at window 3 does them through a day."""

from __future__ import annotations

from .conftest import assert_error


def test_call_next_is_204_when_nobody_waits(clerk):
    r = clerk.post("/windows/w03/call-next")
    assert r.status_code == 204 and r.content == b""


def test_call_recall_no_show(hall, kiosk, clerk):
    kiosk.issue()
    r = clerk.post("/windows/w03/call-next")
    assert r.status_code == 200
    assert r.json()["ticket"]["number"] == "A001" and r.json()["window"]["current"]["number"] == "A001"
    # a no-show needs the configured recalls first (2 in the example hall)
    err = assert_error(clerk.post("/windows/w03/no-show"), 422, "recall_first")
    assert "2" in err["message"]
    for n in (1, 2):
        assert clerk.post("/windows/w03/recall").json()["ticket"]["recalls"] == n
    r = clerk.post("/windows/w03/no-show")
    assert r.status_code == 200 and r.json()["ticket"]["state"] == "no_show"
    assert r.json()["window"]["current"] is None


def test_start_finish_with_outcomes(kiosk, clerk):
    kiosk.issue()
    kiosk.issue("biz-change")
    clerk.post("/windows/w03/call-next")
    assert_error(clerk.post("/windows/w03/call-next"), 409, "window_busy")
    assert clerk.post("/windows/w03/start").json()["ticket"]["state"] == "serving"
    assert_error(clerk.post("/windows/w03/finish", json={"outcome": "accepted_pending"}), 422,
                 "pending_materials_required")
    r = clerk.post("/windows/w03/finish", json={"outcome": "accepted_pending",
                                                "pending_materials": ["股东会决议"]})
    assert r.json()["finished"]["outcome"] == "accepted_pending"
    clerk.post("/windows/w03/call-next")
    assert_error(clerk.post("/windows/w03/finish", json={"outcome": "maybe"}), 422)
    assert clerk.post("/windows/w03/finish", json={"outcome": "completed"}).status_code == 200


def test_hold_and_resume(kiosk, clerk):
    kiosk.issue()
    kiosk.issue()
    clerk.post("/windows/w03/call-next")
    held = clerk.post("/windows/w03/hold").json()
    assert held["ticket"]["state"] == "held" and held["window"]["held"] == ["A001"]
    assert clerk.post("/windows/w03/call-next").json()["ticket"]["number"] == "A002"
    assert_error(clerk.post("/windows/w03/resume"), 409, "window_busy")
    clerk.post("/windows/w03/finish", json={"outcome": "completed"})
    assert clerk.post("/windows/w03/resume").json()["ticket"]["number"] == "A001"


def test_requeue_keeps_place(kiosk, clerk):
    kiosk.issue()
    kiosk.issue()
    clerk.post("/windows/w03/call-next")
    r = clerk.post("/windows/w03/requeue", json={"position": "first"})
    assert r.json()["returned"]["state"] == "waiting"
    assert clerk.post("/windows/w03/call-next").json()["ticket"]["number"] == "A001"


def test_transfer_keeps_number_and_return_to_me(hall, kiosk, clerk, public):
    token = kiosk.issue().json()["token"]
    clerk.post("/windows/w03/call-next")
    assert_error(clerk.post("/windows/w03/transfer", json={"service_id": "nope"}), 404)
    r = clerk.post("/windows/w03/transfer", json={"service_id": "tax-invoice", "return_to_me": True})
    assert r.status_code == 200
    moved = r.json()["transferred_to"]
    assert moved["number"] == "A001" and moved["service_id"] == "tax-invoice"
    # the citizen's page follows the transfer
    view = public.get(f"/tickets/{token}").json()
    assert view["service_id"] == "tax-invoice" and view["state"] == "waiting"


def test_refuse_missing_materials_gives_the_one_time_notice(kiosk, clerk):
    kiosk.issue("biz-change")
    clerk.post("/windows/w03/call-next")
    assert_error(clerk.post("/windows/w03/refuse", json={"kind": "missing_materials"}), 422,
                 "materials_required")
    r = clerk.post("/windows/w03/refuse", json={"kind": "missing_materials",
                                                "materials": ["股东会决议", "章程修正案"],
                                                "text": "请补齐后再来"})
    assert r.status_code == 200, r.text
    notice = r.json()["notice"]
    assert notice["title_zh"] == "一次性告知单" and notice["ticket_number"] == "B001"
    assert notice["materials"] == ["股东会决议", "章程修正案"] and notice["window_number"] == 3
    assert r.json()["refusal"]["kind"] == "missing_materials"


def test_refuse_redirect_and_escalate(kiosk, clerk):
    kiosk.issue()
    kiosk.issue()
    clerk.post("/windows/w03/call-next")
    assert_error(clerk.post("/windows/w03/refuse", json={"kind": "redirect"}), 422, "target_required")
    r = clerk.post("/windows/w03/refuse", json={"kind": "redirect", "target_service_id": "re-transfer"})
    assert r.json()["refusal"]["target_service_id"] == "re-transfer"
    clerk.post("/windows/w03/call-next")
    assert_error(clerk.post("/windows/w03/refuse", json={"kind": "escalate", "escalate_to": "manager"}),
                 422, "text_required")
    assert_error(clerk.post("/windows/w03/refuse", json={"kind": "escalate", "escalate_to": "mayor",
                                                         "text": "x"}), 422)
    r = clerk.post("/windows/w03/refuse", json={"kind": "escalate", "escalate_to": "chief_representative",
                                                "text": "政策不明确，需要研究"})
    assert r.json()["refusal"]["escalate_to"] == "chief_representative"


def test_pause_close_and_call_on_a_paused_window(kiosk, clerk):
    kiosk.issue()
    assert clerk.post("/windows/w03/pause").json()["window"]["state"] == "paused"
    assert_error(clerk.post("/windows/w03/call-next"), 409, "window_not_open")
    assert clerk.post("/windows/w03/open").json()["window"]["state"] == "open"
    clerk.post("/windows/w03/call-next")
    assert_error(clerk.post("/windows/w03/close"), 409, "window_busy")
    clerk.post("/windows/w03/finish", json={"outcome": "completed"})
    assert clerk.post("/windows/w03/close").json()["window"]["state"] == "closed"


def test_window_ratings_and_unknown_window(hall, kiosk, clerk, public):
    token = kiosk.issue().json()["token"]
    clerk.post("/windows/w03/call-next")
    clerk.post("/windows/w03/finish", json={"outcome": "completed"})
    public.post("/ratings", json={"token": token, "level": 5, "reasons": ["办事高效"]})
    ratings = clerk.get("/windows/w03/ratings").json()
    assert [r["level"] for r in ratings] == [5]
    assert_error(clerk.post("/windows/w77/call-next"), 404)
    assert_error(clerk.post("/windows/w03/dance"), 404)
