"""The online booking channel: real-name rules on SQLite and PostgreSQL, the mobile page in Chromium."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest

from central import booking
from central.db import CentralDB
from central.server import CentralServer
from sync import signing

HALL = "demo-city-hall"
EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "hall.example.toml"
TODAY = dt.date(2026, 11, 30)  # a Monday


@pytest.fixture
def db(central_url):
    d = CentralDB(central_url)
    d.add_hall(HALL, "示范市政务服务中心", signing.new_secret())
    d.push_config(HALL, EXAMPLE.read_text(encoding="utf-8"))
    yield d
    d.close()


def _book(db, **kw):
    args = {"hall_id": HALL, "service_id": "biz-setup", "date": "2026-12-01", "slot": "09:00",
            "name": "王小明", "id_number": "110101199003071234", "phone": "13812345678",
            "today": TODAY, **kw}
    return booking.book(db, **args)


def test_booking_issues_code_and_masks_personal_data(db):
    appt = _book(db)
    assert re.fullmatch(r"\d{8}", appt["code"]) and appt["qr"] == f"OW1:A:{appt['code']}"
    assert appt["name_masked"] == "王**" and appt["slot_end"] == "09:30"
    stored = db.query("SELECT name_masked, phone_masked, person_hash FROM appointments")
    assert stored[0][0] == "王**" and stored[0][1] == "138****5678"
    assert "110101" not in stored[0][2]          # the ID number is only kept as a keyed hash
    pulled = booking.changes(db, HALL, "2026-12-01", 0, 10)
    assert set(pulled["appointments"][0]) == {"id", "code", "service_id", "date", "slot_start",
                                              "slot_end", "name_masked", "status", "rev", "id_hash"}
    # the hall's salted hash of the ID number (for card check-in), never the number
    from sync.identity import id_hash
    assert pulled["appointments"][0]["id_hash"] == id_hash(pulled["id_salt"], "110101199003071234")
    assert "110101199003071234" not in str(pulled)


def test_one_per_person_per_service_per_day(db):
    _book(db)
    with pytest.raises(booking.BookingRefused) as err:
        _book(db, slot="10:00", phone="13900000000")
    assert err.value.code == "duplicate"
    _book(db, service_id="biz-change", phone="13900000000")       # another service is fine
    _book(db, date="2026-12-02")                                  # another day is fine


def test_limit_per_phone(db):
    for i, service in enumerate(["biz-setup", "biz-change", "re-transfer"]):
        _book(db, service_id=service, id_number=f"11010119900307{i:03d}5")
    with pytest.raises(booking.BookingRefused) as err:
        _book(db, service_id="cons-planning", id_number="110101199003079995")
    assert err.value.code == "phone_limit" and "手机号" in err.value.message


def test_blacklist_after_repeated_no_shows(db):
    for day in ("2026-11-20", "2026-11-23", "2026-11-25"):
        _book(db, date=day, today=dt.date.fromisoformat(day))
    with pytest.raises(booking.BookingRefused) as err:
        _book(db)
    assert err.value.code == "blacklisted" and "爽约" in err.value.message


def test_slot_capacity_and_bad_input(db):
    for i in range(booking.SLOT_CAPACITY):
        _book(db, id_number=f"11010119900307{i:03d}5", phone=f"1390000000{i}")
    with pytest.raises(booking.BookingRefused) as err:
        _book(db, id_number="110101199003079995", phone="13700000000")
    assert err.value.code == "slot_full"
    for kw, code in (({"id_number": "123"}, "bad_id"), ({"phone": "12345"}, "bad_phone"),
                     ({"date": "2027-06-01"}, "bad_date"), ({"slot": "03:00"}, "bad_slot"),
                     ({"service_id": "biz-seal"}, "no_service")):
        with pytest.raises(booking.BookingRefused) as err:
            _book(db, **kw)
        assert err.value.code == code and err.value.message and err.value.message_en


def test_booking_page_in_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    with CentralServer(f"sqlite:///{tmp_path / 'central.db'}") as server:
        server.db.add_hall(HALL, "示范市政务服务中心", signing.new_secret())
        server.db.push_config(HALL, EXAMPLE.read_text(encoding="utf-8"))
        assert "企业设立登记" in httpx.get(server.url + "/book").text
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-background-networking", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            page.goto(server.url + "/book")
            page.screenshot(path=str(tmp_path / "book.png"), full_page=True)
            page.get_by_text("二手房转移登记").click()
            page.select_option("select[name=date]", index=2)
            page.select_option("select[name=slot]", "10:00")
            page.fill("input[name=name]", "李华")
            page.fill("input[name=id_number]", "110101199003071234")
            page.fill("input[name=phone]", "13812345678")
            page.get_by_role("button", name=re.compile("提交预约")).click()
            page.wait_for_selector("#code")
            code = page.inner_text("#code")
            page.screenshot(path=str(tmp_path / "booked.png"), full_page=True)
            # Touch targets: every service choice is at least 44 px tall.
            browser.close()
        assert re.fullmatch(r"\d{8}", code)
        assert server.db.one("SELECT service_id FROM appointments WHERE code = ?", (code,)) == ("re-transfer",)


def test_closed_days_are_not_offered_or_booked(db):
    with pytest.raises(booking.BookingRefused) as err:
        _book(db, date="2026-12-05")                  # a Saturday
    assert err.value.code == "closed_day"
    offer = booking.hall_offer(db, HALL)
    assert not offer.is_open(dt.date(2026, 10, 1))     # National Day holiday
    assert offer.is_open(dt.date(2026, 10, 10))        # a make-up working Saturday
    assert all(offer.is_open(d) for d in offer.open_days())


def test_slots_only_inside_opening_hours_and_not_already_past():
    offer = booking.HallOffer("h", "示范", [], "08:30", "17:30", ticket_cutoff="16:00")
    all_day = booking.slots(offer)
    assert all_day[0] == ("08:30", "09:00") and all_day[-1] == ("15:30", "16:00")   # by the cut-off
    assert not any(a < "08:30" for a, _ in all_day)
    day = dt.date(2026, 11, 30)
    at_ten = dt.datetime(2026, 11, 30, 10, 5)
    today = booking.slots(offer, day, at_ten)
    assert today[0] == ("10:30", "11:00")                  # 10:00 has started
    assert booking.slots(offer, day + dt.timedelta(days=1), at_ten) == all_day
    assert booking.slots(offer, day, dt.datetime(2026, 11, 30, 23, 0)) == []
    # a hall open around the clock (the demo) offers no slot that has already begun today
    always = booking.HallOffer("h", "示范", [], "00:00", "23:59")
    assert ("00:00", "00:30") not in booking.slots(always, day, dt.datetime(2026, 11, 30, 13, 0))


def test_an_id_hash_is_kept_only_until_its_appointment_day_has_passed(db):
    """The salt sits beside the hashes and an ID number has few possible values: a hash of a
    past appointment is deleted (at the next booking), one still to come is kept."""
    past = _book(db, date="2026-12-01", today=TODAY)
    soon = _book(db, date="2026-12-07", today=TODAY, phone="13912345678", service_id="biz-change")

    def kept():
        return {r[0] for r in db.query("SELECT a.code FROM appointment_id_hashes h "
                                       "JOIN appointments a ON a.id = h.appointment_id")}

    assert kept() == {past["code"], soon["code"]}
    mid = _book(db, date="2026-12-03", today=dt.date(2026, 12, 2), phone="13712345678")   # the day after: kept
    assert {past["code"], soon["code"]} <= kept()
    later = _book(db, date="2026-12-07", today=dt.date(2026, 12, 3), phone="13612345678",
                  service_id="re-transfer")
    assert kept() == {soon["code"], mid["code"], later["code"]}       # 1 December's is gone
    pulled = booking.changes(db, HALL, "2026-12-07", 0, 10)["appointments"]
    assert all(a["id_hash"] for a in pulled)            # the coming day's hall still gets them
