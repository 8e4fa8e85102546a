"""Small defects from issue 15 that a hostile client met: each once a 500 or a silent guess."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from central.server import CentralServer
from sync import signing

from .conftest import assert_error


def _tickets(hall) -> int:
    with hall.store.read() as db:
        return db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]


def test_a_superscript_last_event_id_is_refused_not_a_500(hall):
    """Before: '²'.isdigit() is True, int('²') raised: 500."""
    display = hall.device_token("display", "display-x")
    resp = httpx.get(hall.url + "/api/v1/events/stream", timeout=5,
                     headers={"Authorization": f"Bearer {display}", "Last-Event-ID": "²".encode("latin-1")})
    assert_error(resp, 422, "bad_last_event_id")


def test_a_utf16_json_body_is_refused_and_issues_nothing(hall, kiosk):
    """Before: json.loads guessed UTF-16 and a ticket was issued."""
    before = _tickets(hall)
    body = json.dumps({"service_id": "biz-setup"}).encode("utf-16")
    for ctype in ("application/json", "application/json; charset=utf-16", ""):
        headers = {"Idempotency-Key": uuid.uuid4().hex, **({"Content-Type": ctype} if ctype else {})}
        resp = kiosk.http.post("/tickets", content=body, headers=headers)
        assert resp.status_code in (400, 415), (ctype, resp.text)
        assert "UTF-8" in resp.json()["error"]["message"]
    resp = kiosk.http.post("/tickets", content=json.dumps({"service_id": "biz-setup"}).encode(),
                           headers={"Idempotency-Key": uuid.uuid4().hex,
                                    "Content-Type": "application/json; charset=latin-1"})
    assert_error(resp, 415, "unsupported_charset")
    assert _tickets(hall) == before
    # UTF-8 with an explicit charset is fine.
    resp = kiosk.http.post("/tickets", content=json.dumps({"service_id": "biz-setup"}).encode(),
                           headers={"Idempotency-Key": uuid.uuid4().hex,
                                    "Content-Type": "application/json; charset=UTF-8"})
    assert resp.status_code == 201, resp.text


def test_a_negative_limit_is_refused_not_clamped(hall, clerk, tmp_path):
    assert_error(clerk.get("/windows/w03/ratings", params={"limit": -5}), 422)
    assert clerk.get("/windows/w03/ratings", params={"limit": 5}).status_code == 200
    with CentralServer(f"sqlite:///{tmp_path / 'c.db'}") as central:
        secret = signing.new_secret()
        central.db.add_hall("h", "H", secret)
        path = "/sync/v1/appointments?date=2026-11-28&after=0&limit=-5"
        resp = httpx.get(central.url + path, headers=signing.sign_headers("h", secret, "GET", path, b""))
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_parameter"
        assert "limit" in resp.json()["error"]["message_en"]


def test_a_pin_of_non_ascii_digits_is_refused():
    from hall.auth import check_pin_format
    from hall.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        check_pin_format("²²²²")       # a PIN no keypad can type
    assert err.value.code == "bad_pin_format"
