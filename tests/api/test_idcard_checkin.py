"""Check-in by ID-card hash over HTTP: kiosks only, hashes only, clear answers."""

from __future__ import annotations

from hall import intake
from sync.identity import id_hash

from .conftest import assert_error

NUMBER = "990000199003070013"          # the fictional test person


def test_checkin_by_card_hash(hall, kiosk, clerk):
    assert kiosk.get("/kiosk/idcard-salt").json() == {"salt": ""}        # nothing pulled yet
    assert clerk.get("/kiosk/idcard-salt").status_code == 403            # kiosks only
    engine = hall.engine
    day = engine.business_date()
    engine.upsert_appointments([{"code": "12345678", "service_id": "biz-setup", "date": day,
                                 "slot_start": "00:00", "slot_end": "23:59", "name_masked": "张**"}])
    intake.store_id_salt(hall.store, "c" * 64)
    h = id_hash("c" * 64, NUMBER)
    intake.store_id_hashes(hall.store, [{"code": "12345678", "id_hash": h}])
    assert kiosk.get("/kiosk/idcard-salt").json() == {"salt": "c" * 64}

    assert_error(kiosk.post("/appointments/checkin-idcard", json={"id_hash": NUMBER}), 422)
    assert_error(kiosk.post("/appointments/checkin-idcard", json={"id_hash": h, "id_number": NUMBER}), 422)
    err = assert_error(kiosk.post("/appointments/checkin-idcard", json={"id_hash": "d" * 64}), 404,
                       "no_appointment_for_card")
    assert err["message"] == "没有找到您今天的预约" and err["message_en"]
    r = kiosk.post("/appointments/checkin-idcard", json={"id_hash": h})
    assert r.status_code == 201, r.text
    with hall.store.read() as c:
        state, ticket_id = c.execute("SELECT state, ticket_id FROM appointments WHERE code = '12345678'").fetchone()
    assert state == "checked_in" and ticket_id == r.json()["id"]
    assert clerk.post("/appointments/checkin-idcard", json={"id_hash": h}).status_code == 403
