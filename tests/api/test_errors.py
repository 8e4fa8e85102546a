"""Bad input is always a 4xx with the two-language error body, never a 500 or a traceback."""

from __future__ import annotations

import httpx
import pytest

from hall.api.limits import ApiLimits

from .conftest import Client, HallServer, assert_error


def test_oversized_body_and_query_are_refused(hall, kiosk):
    big = {"service_id": "biz-setup", "phone": "1" * 40_000}
    err = assert_error(kiosk.post("/tickets", json=big, headers={"Idempotency-Key": "big-body-1"}),
                       413, "body_too_large")
    assert "上限" in err["message"]
    # a chunked body without a length is counted as it arrives
    def chunks():
        for _ in range(100):
            yield b"x" * 1000

    r = httpx.post(hall.url + "/api/v1/complaints", content=chunks(),
                   headers={"Content-Type": "application/json"})
    assert_error(r, 413, "body_too_large")
    assert_error(kiosk.get("/services", params={"q": "x" * 5000}), 414, "query_too_long")


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b"{\"service_id\": 5}", b"{\"service_id\": null}", b"{}",
    b"{\"service_id\": \"biz-setup\", \"lang\": [\"zh\"]}",
    "{\"service_id\": \"\u4f01\u4e1a\"}".encode(),
])
def test_malformed_ticket_bodies(kiosk, body):
    r = kiosk.post("/tickets", content=body, headers={"Idempotency-Key": "bad-body-01",
                                                      "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    assert_error(r, r.status_code)


def test_unknown_paths_and_methods(hall, public):
    assert_error(public.get("/nothing-here"), 404)
    assert_error(public.delete("/services"), 405)
    r = httpx.get(hall.url + "/t/%00%01")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]


@pytest.mark.parametrize("path,body", [
    ("/ratings", {"token": "x" * 300, "level": 3}),
    ("/ratings", {"token": "abcdefghijk", "level": "five"}),
    ("/complaints", {"category": "attitude", "text": "x" * 5000}),
    ("/complaints", {"category": "attitude", "phone": "call me"}),
    ("/session", {"staff_id": "c1"}),
    ("/session", {"staff_id": "c1", "pin": 1234}),
])
def test_bad_public_inputs(public, path, body):
    r = public.post(path, json=body)
    assert 400 <= r.status_code < 500
    assert_error(r, r.status_code)


def test_public_endpoints_are_rate_limited(tmp_path):
    with HallServer(tmp_path, limits=ApiLimits(public_rate_per_second=1, public_burst=5)) as hall:
        public = Client(hall.url)
        statuses = [public.get("/tickets/AAAAAAAAAAAAAAAAAAAA").status_code for _ in range(8)]
        assert statuses[:5] == [404] * 5
        limited = public.get("/tickets/AAAAAAAAAAAAAAAAAAAA")
        err = assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 1
        assert "稍后" in err["message"]
        # devices are not throttled by the public limit
        kiosk = Client(hall.url, hall.device_token("kiosk"))
        assert all(kiosk.issue().status_code == 201 for _ in range(10))


def test_window_action_bodies(clerk, kiosk):
    kiosk.issue()
    clerk.post("/windows/w03/call-next")
    assert_error(clerk.post("/windows/w03/transfer", json={}), 422)
    assert_error(clerk.post("/windows/w03/refuse", json={"kind": "shrug"}), 422)
    assert_error(clerk.post("/windows/w03/finish", content=b"{", headers={"Content-Type": "application/json"}),
                 422, "invalid_json")
    assert_error(clerk.post("/windows/W03!/call-next"), 422)
