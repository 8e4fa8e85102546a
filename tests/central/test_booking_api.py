"""The booking API the city's mini-programme uses: real central over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest

from central import api_clients, booking
from central.db import CentralDB
from central.server import CentralServer
from sync import signing

HALL = "demo-city-hall"
OTHER = "other-hall"
EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "hall.example.toml"
API = "/api/booking/v1"


@pytest.fixture
def central(central_url):
    db = CentralDB(central_url)
    db.add_hall(HALL, "示范市政务服务中心", signing.new_secret())
    db.push_config(HALL, EXAMPLE.read_text(encoding="utf-8"))
    db.add_hall(OTHER, "另一个大厅", signing.new_secret())
    db.push_config(OTHER, EXAMPLE.read_text(encoding="utf-8"))
    with CentralServer(central_url, db=db) as server:
        yield server


def _app(server, app_id="wechat-mp", **kw):
    key = api_clients.register(server.db, app_id, "微信小程序", kw.pop("scopes", ["booking"]), **kw)
    return httpx.Client(base_url=server.url, headers={"X-OW-App": app_id, "Authorization": f"Bearer {key}"},
                        timeout=10)


def _future_day(server) -> str:
    offer = booking.hall_offer(server.db, HALL)
    today = offer.today()
    return next(d for d in offer.open_days() if d > today).isoformat()


def _body(day, **kw):
    return {"hall_id": HALL, "service_id": "biz-setup", "date": day, "slot": "09:00", "name": "王小明",
            "id_number": "990000199003070013", "phone": "13812345678", **kw}


def test_slots_book_lookup_cancel_and_the_hall_pull(central):
    c = _app(central)
    halls = c.get(API + "/halls").json()
    assert {h["id"] for h in halls} == {HALL, OTHER}
    assert any(s["id"] == "biz-setup" for s in halls[0]["services"]) and halls[0]["days"]
    day = _future_day(central)
    slots = c.get(f"{API}/halls/{HALL}/slots", params={"service": "biz-setup", "date": day}).json()
    assert slots[0]["start"] == "08:30" and all(s["available"] == booking.SLOT_CAPACITY for s in slots)
    assert slots[-1]["end"] <= "16:30"               # the last slot ends an hour before closing

    r = c.post(API + "/bookings", json=_body(day), headers={"Idempotency-Key": "k-0001-abcdef"})
    assert r.status_code == 201, r.text
    appt = r.json()
    assert re.fullmatch(r"\d{8}", appt["code"]) and appt["name_masked"] == "王**"
    assert "990000199003070013" not in r.text and "13812345678" not in r.text
    slot = next(s for s in c.get(f"{API}/halls/{HALL}/slots", params={"service": "biz-setup", "date": day}).json()
                if s["start"] == "09:00")
    assert (slot["booked"], slot["available"]) == (1, booking.SLOT_CAPACITY - 1)

    mine = c.post(API + "/bookings/lookup", json={"phone": "13812345678"}).json()["appointments"]
    assert [a["code"] for a in mine] == [appt["code"]]
    assert c.post(API + "/bookings/lookup", json={"phone": "13900000000"}).json()["appointments"] == []

    # the hall pulls it, with the salted ID hash
    pulled = booking.changes(central.db, HALL, day, 0, 10)
    assert pulled["appointments"][0]["code"] == appt["code"] and pulled["appointments"][0]["id_hash"]

    wrong = c.post(f"{API}/bookings/{appt['code']}/cancel", json={"phone": "13900000000"})
    assert wrong.status_code == 404 and wrong.json()["error"]["message"]
    for _ in range(2):                                # cancelling twice answers the same
        done = c.post(f"{API}/bookings/{appt['code']}/cancel", json={"phone": "13812345678"})
        assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert booking.changes(central.db, HALL, day, pulled["cursor"], 10)["appointments"][0]["status"] == "cancelled"


def test_idempotency_key(central):
    c = _app(central)
    day = _future_day(central)
    first = c.post(API + "/bookings", json=_body(day), headers={"Idempotency-Key": "retry-1234567"})
    again = c.post(API + "/bookings", json=_body(day), headers={"Idempotency-Key": "retry-1234567"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert central.db.one("SELECT COUNT(*) FROM appointments")[0] == 1      # booked once
    other = c.post(API + "/bookings", json=_body(day, slot="10:00"), headers={"Idempotency-Key": "retry-1234567"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_mismatch"
    missing = c.post(API + "/bookings", json=_body(day, slot="10:00"))
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["error"]["message"]
    # a refused booking frees its key: corrected, the same key books
    bad = c.post(API + "/bookings", json=_body(day, service_id="biz-change", phone="12345678901"),
                 headers={"Idempotency-Key": "fix-and-retry-1"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_phone"
    ok = c.post(API + "/bookings", json=_body(day, service_id="biz-change"), headers={"Idempotency-Key": "fix-and-retry-1"})
    assert ok.status_code == 201
    # the stored answers hold no ID number or phone
    stored = " ".join(str(r) for r in central.db.query("SELECT * FROM api_idempotency"))
    assert "990000199003070013" not in stored and "13812345678" not in stored


def test_caps_and_rules(central):
    c = _app(central)
    day = _future_day(central)
    for i in range(booking.SLOT_CAPACITY):
        r = c.post(API + "/bookings", json=_body(day, id_number=f"99000019800101{i:03d}0", phone=f"1390000000{i}"),
                   headers={"Idempotency-Key": f"cap-key-{i:04d}"})
        assert r.status_code == 201, r.text
    full = c.post(API + "/bookings", json=_body(day, phone="13700000000", id_number="990000197001010000"),
                  headers={"Idempotency-Key": "cap-key-full"})
    assert full.status_code == 409 and full.json()["error"]["code"] == "slot_full"
    slot = next(s for s in c.get(f"{API}/halls/{HALL}/slots", params={"service": "biz-setup", "date": day}).json()
                if s["start"] == "09:00")
    assert slot["available"] == 0 and slot["bookable"] is False
    dup = c.post(API + "/bookings", json=_body(day, slot="10:00", id_number="990000198001010000",
                                               phone="13600000000"), headers={"Idempotency-Key": "dup-key-0001"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate"
    closed = c.post(API + "/bookings", json=_body((dt.date.fromisoformat(day) + dt.timedelta(days=30)).isoformat()),
                    headers={"Idempotency-Key": "far-key-0001"})
    assert closed.status_code == 422 and closed.json()["error"]["code"] == "bad_date"
    # a day the hall is closed offers no slots
    offer = booking.hall_offer(central.db, HALL)
    shut = next(offer.today() + dt.timedelta(days=i) for i in range(1, 8)
                if not offer.is_open(offer.today() + dt.timedelta(days=i)))
    assert c.get(f"{API}/halls/{HALL}/slots", params={"service": "biz-setup", "date": shut.isoformat()}).json() == []
    bad = c.post(API + "/bookings", content=b'{"hall_id": 1', headers={"Idempotency-Key": "bad-json-001",
                                                                     "content-type": "application/json"})
    assert bad.status_code == 422 and bad.json()["error"]["message_en"]


def test_apps_that_are_not_allowed(central):
    day = _future_day(central)
    anonymous = httpx.post(central.url + API + "/bookings", json=_body(day), headers={"Idempotency-Key": "anon-00001"})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
    key = api_clients.register(central.db, "city-app", "城市 App", ["booking"], halls=[OTHER])
    wrong_key = httpx.get(central.url + API + "/halls", headers={"X-OW-App": "city-app", "Authorization": "Bearer " + "0" * 64})
    assert wrong_key.status_code == 401 and wrong_key.json()["error"]["code"] == "bad_credentials"
    other_hall_only = httpx.Client(base_url=central.url, headers={"X-OW-App": "city-app", "Authorization": f"Bearer {key}"})
    assert [h["id"] for h in other_hall_only.get(API + "/halls").json()] == [OTHER]
    r = other_hall_only.post(API + "/bookings", json=_body(day), headers={"Idempotency-Key": "other-00001"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "hall_not_allowed"
    assert other_hall_only.get(f"{API}/halls/{HALL}/slots", params={"service": "biz-setup", "date": day}).status_code == 403
    hotline_only = _app(central, "city-12345", scopes=["hotline"])
    r = hotline_only.get(API + "/halls")
    assert r.status_code == 403 and r.json()["error"]["code"] == "scope_not_allowed"
    api_clients.set_enabled(central.db, "city-app", False)
    r = other_hall_only.get(API + "/halls")
    assert r.status_code == 403 and r.json()["error"]["code"] == "app_disabled"
    assert central.db.one("SELECT COUNT(*) FROM appointments")[0] == 0
    # keys are stored hashed
    assert key not in str(central.db.query("SELECT * FROM api_clients"))


def test_rate_limit_per_app(central):
    slow = _app(central, "tiny-app", rate_per_minute=3)
    fast = _app(central, "big-app")
    codes = [slow.get(API + "/halls").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = slow.get(API + "/halls")
    assert int(r.headers["retry-after"]) >= 1 and "频繁" in r.json()["error"]["message"]
    assert fast.get(API + "/halls").status_code == 200          # one app's limit is its own


def test_openapi_document(central):
    doc = httpx.get(central.url + API + "/openapi.json").json()
    paths = doc["paths"]
    assert set(paths) == {API + "/halls", API + "/halls/{hall_id}/slots", API + "/bookings",
                          API + "/bookings/{code}/cancel", API + "/bookings/lookup"}
    post = paths[API + "/bookings"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in post["parameters"])
    assert "id_number" in post["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"401", "403", "409", "422", "429"} <= set(post["responses"])
    assert doc["security"]


def test_h5_page_books_through_the_same_idempotent_path(central):
    day = _future_day(central)
    page = httpx.get(central.url + "/book", params={"hall": HALL}).text
    idem = re.search(r"name='idem' value='([^']+)'", page).group(1)
    form = {"hall": HALL, "service": "biz-setup", "date": day, "slot": "09:00", "name": "王小明",
            "id_number": "990000199003070013", "phone": "13812345678", "idem": idem}
    first = httpx.post(central.url + "/book", data=form)
    again = httpx.post(central.url + "/book", data=form)            # a double tap on 提交预约
    code = re.search(r"id='code'>(\d{8})<", first.text).group(1)
    assert first.status_code == again.status_code == 200 and f"id='code'>{code}<" in again.text
    assert central.db.one("SELECT COUNT(*) FROM appointments")[0] == 1
    bad = httpx.post(central.url + "/book", data={**form, "idem": "", "phone": "123"})
    assert bad.status_code == 422 and "手机号" in bad.text
