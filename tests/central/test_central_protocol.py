"""The central's sync endpoints over real HTTP, on SQLite and on PostgreSQL (same code)."""

from __future__ import annotations

import json

import httpx
import pytest

from central.server import CentralServer
from sync import signing
from sync.client import CentralClient, SyncError

HALL = "demo-city-hall"


@pytest.fixture
def central(central_url):
    with CentralServer(central_url) as server:
        secret = signing.new_secret()
        server.db.add_hall(HALL, "示范市政务服务中心", secret)
        server.secret = secret
        yield server


def _events(start: int, n: int) -> list[dict]:
    return [{"seq": s, "id": f"ev{s:06d}", "type": "ticket.issued", "at": 1764290000.0 + s,
             "business_date": "2026-11-28", "payload": {"ticket": {"number": f"A{s:03d}"}}}
            for s in range(start, start + n)]


def _body(after: int, events: list[dict]) -> bytes:
    return json.dumps({"after": after, "events": events}).encode()


def test_push_is_idempotent_and_acknowledged(central):
    client = CentralClient(central.url, HALL, central.secret)
    ack = client.push_raw(_body(0, _events(1, 5)))
    assert ack == {"acked_upto": 5, "stored": 5, "duplicates": 0}
    # The same batch again (a retry after a lost response) stores nothing new.
    again = client.push_raw(_body(0, _events(1, 5)))
    assert again == {"acked_upto": 5, "stored": 0, "duplicates": 5}
    # An overlapping batch stores only the new tail.
    more = client.push_raw(_body(3, _events(4, 4)))
    assert more["acked_upto"] == 7 and more["stored"] == 2
    count, _ = central.db.event_digest(HALL)
    assert count == 7
    client.close()


def test_cursor_ahead_of_central_is_answered_with_its_mark(central):
    client = CentralClient(central.url, HALL, central.secret)
    client.push_raw(_body(0, _events(1, 3)))
    with pytest.raises(SyncError) as err:
        client.push_raw(_body(10, _events(11, 2)))
    assert err.value.code == "cursor_ahead" and err.value.acked_upto == 3 and err.value.retry
    client.close()


def test_malformed_batch_is_refused_with_reason(central):
    client = CentralClient(central.url, HALL, central.secret)
    with pytest.raises(SyncError) as err:
        client.push_raw(b'{"after": 0, "events": [{"seq": "x"}]}')
    assert err.value.code == "invalid_batch" and "批次" in err.value.message
    with pytest.raises(SyncError):
        client.push_raw(_body(0, list(reversed(_events(1, 3)))))
    assert central.db.event_digest(HALL)[0] == 0
    client.close()


def test_config_versions_with_etag(central):
    client = CentralClient(central.url, HALL, central.secret)
    assert client.get_config(None)[0] == 204
    v1 = central.db.push_config(HALL, "version = 1\n")
    status, etag, data = client.get_config(None)
    assert (status, etag, data["version"]) == (200, '"v1"', v1)
    assert client.get_config(etag)[0] == 304
    central.db.push_config(HALL, "version = 1\n# second\n")
    status, etag2, data = client.get_config(etag)
    assert status == 200 and etag2 == '"v2"' and data["toml"].endswith("# second\n")
    client.close()


def test_summary_counts_what_halls_pushed(central):
    client = CentralClient(central.url, HALL, central.secret)
    events = _events(1, 3)
    events.append({"seq": 4, "id": "r1", "type": "rating.given", "at": 1764290100.0,
                   "business_date": "2026-11-28", "payload": {"rating": {"level": 1}}})
    events.append({"seq": 5, "id": "c1", "type": "case.opened", "at": 1764290100.0,
                   "business_date": "2026-11-28",
                   "payload": {"case": {"id": "k1", "state": "open", "revisit_due": "2026-11-01",
                                        "reply_due": "2099-12-01"}}})
    events.append({"seq": 7, "id": "c2", "type": "case.opened", "at": 1764290100.0,
                   "business_date": "2026-11-28",
                   "payload": {"case": {"id": "k2", "state": "open", "revisit_due": "2099-11-01"}}})
    events.append({"seq": 6, "id": "f1", "type": "ticket.refused", "at": 1764290200.0,
                   "business_date": "2026-11-28",
                   "payload": {"refusal": {"kind": "missing_materials"}}})
    client.push_raw(_body(0, sorted(events, key=lambda e: e["seq"])))
    summary = httpx.get(central.url + "/api/v1/summary").json()
    hall = summary["halls"][0]
    assert hall["tickets"] == 3 and hall["bad_ratings"] == 1 and hall["rating_avg"] == 1
    assert hall["cases_open"] == 2 and hall["cases_overdue"] == 1
    assert hall["refusals_by_kind"] == {"missing_materials": 1}
    page = httpx.get(central.url + "/summary").text
    assert "示范市政务服务中心" in page and "差评" in page
    client.close()


def test_a_reset_hall_reusing_seqs_is_refused_not_silently_skipped(central):
    client = CentralClient(central.url, HALL, central.secret)
    client.push_raw(_body(0, _events(1, 10)))
    # The hall's database was restored from an old backup: seq 4..6 now carry other events.
    reused = [{**e, "id": "restored-" + e["id"]} for e in _events(4, 3)]
    with pytest.raises(SyncError) as err:
        client.push_raw(_body(3, reused))
    assert err.value.code == "seq_conflict" and "备份" in err.value.message
    assert not err.value.retry
    assert central.db.event_digest(HALL)[0] == 10
    assert client.push_raw(_body(3, _events(4, 3)))["duplicates"] == 3   # true resends pass
    client.close()
