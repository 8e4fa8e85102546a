"""Many halls and many phones at once: the rules and the dedupe hold under concurrency."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from central.server import CentralServer
from sync import signing
from sync.client import CentralClient

EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "hall.example.toml"


def test_parallel_bookings_by_one_person_make_one_appointment(central_url):
    with CentralServer(central_url) as server:
        server.db.add_hall("demo-city-hall", "示范", signing.new_secret())
        server.db.push_config("demo-city-hall", EXAMPLE.read_text(encoding="utf-8"))
        from central.booking import hall_offer

        day = hall_offer(server.db, "demo-city-hall").open_days()[-1].isoformat()
        form = {"hall": "demo-city-hall", "service": "biz-setup", "date": day, "slot": "09:00",
                "name": "王小明", "id_number": "110101199003071234", "phone": "13812345678"}
        with ThreadPoolExecutor(12) as pool:
            codes = list(pool.map(lambda slot: httpx.post(server.url + "/book", timeout=30,
                                                          data={**form, "slot": slot}).status_code,
                                  ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"] * 2))
        assert sorted(codes) == [200] + [422] * 11
        assert server.db.one("SELECT COUNT(*) FROM appointments")[0] == 1
        revs = server.db.query("SELECT rev FROM appointments")
        assert len(set(revs)) == len(revs)


def test_many_halls_push_at_once(central_url):
    with CentralServer(central_url) as server:
        halls = {f"hall-{i}": signing.new_secret() for i in range(6)}
        for hall_id, secret in halls.items():
            server.db.add_hall(hall_id, hall_id, secret)

        def push(item):
            hall_id, secret = item
            client = CentralClient(server.url, hall_id, secret)
            after = 0
            for start in range(1, 601, 100):
                events = [{"seq": s, "id": f"{hall_id}-{s}", "type": "ticket.issued", "at": 1.0,
                           "business_date": "2026-11-28", "payload": {}}
                          for s in range(start, start + 100)]
                body = json.dumps({"after": after, "events": events}).encode()
                ack = client.push_raw(body)
                after = ack["acked_upto"]
                assert client.push_raw(body)["duplicates"] == 100   # a retry of the same batch
            client.close()
            return after

        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(push, halls.items())) == [600] * 6
        for hall_id in halls:
            assert server.db.event_digest(hall_id)[0] == 600
