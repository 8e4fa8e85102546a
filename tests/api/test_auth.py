"""Who may do what: devices, staff sessions, PIN throttling and lock-out, privacy of responses."""

from __future__ import annotations

import time

import httpx

from hall.api.auth import CACHE_SECONDS

from .conftest import Client, assert_error


def test_no_token_and_bad_token_are_401_with_the_error_body(hall, public):
    assert_error(public.post("/windows/w03/call-next"), 401, "auth_required")
    bad = Client(hall.url, "not-a-real-token")
    err = assert_error(bad.post("/windows/w03/call-next"), 401, "bad_token")
    assert "令牌" in err["message"]
    assert_error(public.issue(), 401)


def test_revoked_device_is_refused(hall):
    token = hall.device_token("kiosk", "kiosk-9")
    k = Client(hall.url, token)
    assert k.issue().status_code == 201
    hall.auth.revoke_device("kiosk-9")
    time.sleep(CACHE_SECONDS + 0.1)  # a verified token is trusted for at most this long
    assert_error(k.issue(), 401, "bad_token")


def test_display_and_kiosk_cannot_act_on_windows(hall, clerk):
    for role in ("display", "kiosk"):
        device = Client(hall.url, hall.device_token(role))
        for action in ("call-next", "open", "recall", "finish"):
            assert_error(device.post(f"/windows/w03/{action}", json={"outcome": "completed"}), 403)


def test_clerk_acts_only_on_the_window_signed_in_to(hall, kiosk, clerk):
    kiosk.issue("biz-setup")
    err = assert_error(clerk.post("/windows/w04/call-next"), 403, "not_your_window")
    assert "w04" in err["message"]
    # a clerk signed in nowhere can act nowhere
    other = Client(hall.url, hall.staff_token("c2"))
    assert_error(other.post("/windows/w03/call-next"), 403)
    assert clerk.post("/windows/w03/call-next").status_code == 200


def test_window_device_acts_on_its_own_window_only(hall, kiosk, clerk):
    pad = Client(hall.url, hall.device_token("window", "keypad-3", window_id="w03"))
    kiosk.issue("biz-setup")
    assert pad.post("/windows/w03/call-next").status_code == 200
    assert_error(pad.post("/windows/w04/call-next"), 403, "not_your_window")


def test_manager_may_act_on_any_window_and_read_cases(hall, kiosk):
    manager = Client(hall.url, hall.staff_token("m1", role="manager"))
    hall.staff_token("c5", window_id="w05")
    assert manager.post("/windows/w05/open").status_code == 200
    assert manager.get("/cases").status_code == 200
    clerk = Client(hall.url, hall.staff_token("c6"))
    assert_error(clerk.get("/cases"), 403)
    assert_error(kiosk.get("/cases"), 403)


def test_wrong_pin_is_throttled(hall):
    # Long enough that a slow PIN check (argon2 on a loaded machine) cannot outlast it.
    hall.app.state.auth.throttle_seconds = 1.0
    hall.add_staff("c7", "王小明", "clerk", "135790")
    url = hall.url + "/api/v1/session"

    def attempt(pin):
        return httpx.post(url, json={"staff_id": "c7", "pin": pin}, timeout=10)

    for _ in range(3):
        assert_error(attempt("000000"), 401, "bad_credentials")
    err = assert_error(attempt("000000"), 429, "too_many_attempts")
    assert "秒后再试" in err["message"]
    time.sleep(1.1)
    assert_error(attempt("000000"), 401)
    time.sleep(2.1)
    # The source is slowed down, not the account: the right PIN works after the wait, and
    # lock-outs are per device (tests/api/test_pin_sources.py).
    assert attempt("135790").status_code == 201


def test_moving_window_takes_effect_at_once(hall, kiosk):
    c = Client(hall.url, hall.staff_token("c11", window_id="w03"))
    assert c.post("/windows/w03/open").status_code == 200
    assert c.put("/session/window", json={"window_id": "w04"}).status_code == 200
    assert_error(c.post("/windows/w03/open"), 403, "not_your_window")
    assert c.post("/windows/w04/open").status_code == 200


def test_unknown_staff_and_wrong_pin_look_the_same(hall):
    hall.add_staff("c8", "李华", "clerk", "246810")
    a = httpx.post(hall.url + "/api/v1/session", json={"staff_id": "nobody", "pin": "246810"})
    b = httpx.post(hall.url + "/api/v1/session", json={"staff_id": "c8", "pin": "999999"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_sign_out_ends_the_session(hall):
    token = hall.staff_token("c9")
    c = Client(hall.url, token)
    assert c.get("/session").json()["staff"]["id"] == "c9"
    assert c.delete("/session").status_code == 204
    assert_error(c.get("/session"), 401, "bad_token")


def test_pick_window_after_sign_in(hall, kiosk):
    c = Client(hall.url, hall.staff_token("c10"))
    r = c.put("/session/window", json={"window_id": "w04"})
    assert r.status_code == 200 and r.json()["window_id"] == "w04"
    assert c.post("/windows/w04/open").status_code == 200
    assert_error(c.put("/session/window", json={"window_id": "w99"}), 404)


def test_no_full_phone_anywhere_and_masked_for_staff(hall, kiosk, clerk, public):
    issued = kiosk.issue("biz-setup", phone="13812345678")
    assert issued.status_code == 201
    assert "13812345678" not in issued.text
    token = issued.json()["token"]
    assert "1381234" not in public.get(f"/tickets/{token}").text
    called = clerk.post("/windows/w03/call-next")
    assert "13812345678" not in called.text
    assert called.json()["ticket"]["phone_masked"] == "138****5678"
    # staff never see the citizen's token (it would let a window rate itself)
    assert token not in called.text
    events = clerk.get("/events", params={"after": 0})
    assert "13812345678" not in events.text and token not in events.text
    assert "13812345678" not in kiosk.get("/windows").text


def test_citizen_view_carries_no_private_fields(hall, kiosk, public):
    token = kiosk.issue("biz-setup", phone="13912345678").json()["token"]
    view = public.get(f"/tickets/{token}").json()
    for private in ("phone", "phone_masked", "staff_id", "staff_name", "token", "id", "source_detail"):
        assert private not in view
    assert view["number"] == "A001" and view["state"] == "waiting"
