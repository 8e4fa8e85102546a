"""Card check-in data at the hall: salted hashes only, outside the event log, purged after the day."""

from __future__ import annotations

from hall import intake
from sync.identity import id_hash

NUMBER = "990000199003070013"          # the fictional test person (drivers/sim/idcard.py)


def test_hashes_match_only_with_the_salt_stay_out_of_events_and_are_purged(engine):
    day = engine.business_date()
    engine.upsert_appointments([{"code": "12345678", "service_id": "biz-setup", "date": day,
                                 "slot_start": "09:00", "slot_end": "09:30", "name_masked": "张**"},
                                {"code": "87654321", "service_id": "biz-setup", "date": "2000-01-01",
                                 "slot_start": "09:00", "slot_end": "09:30", "name_masked": "李**"}])
    intake.store_id_salt(engine.store, "s" * 64)
    assert intake.id_salt(engine.store) == "s" * 64
    h = id_hash("s" * 64, NUMBER)
    stored = intake.store_id_hashes(engine.store, [{"code": "12345678", "id_hash": h},
                                                   {"code": "87654321", "id_hash": h},
                                                   {"code": "00000000", "id_hash": h},      # unknown code
                                                   {"code": "12345678", "id_hash": NUMBER}])  # not a hash
    assert stored == 2
    assert intake.appointment_codes_for_hash(engine.store, h, day) == ["12345678"]
    assert intake.appointment_codes_for_hash(engine.store, id_hash("t" * 64, NUMBER), day) == []
    assert intake.appointment_codes_for_hash(engine.store, NUMBER, day) == []
    with engine.store.read() as c:
        events = " ".join(p for (p,) in c.execute("SELECT payload FROM events"))
    assert h not in events and NUMBER not in events
    assert intake.purge_id_hashes(engine.store, day) == 1              # the past day's hash goes
    assert intake.appointment_codes_for_hash(engine.store, h, day) == ["12345678"]
