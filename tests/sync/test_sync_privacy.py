"""What leaves the hall is what the central needs: no phone numbers, no ticket-page tokens."""

from __future__ import annotations

from central.server import CentralServer
from hall.config import load_config, write_example_config
from hall.engine import Engine
from sync import signing
from sync.client import CentralClient
from sync.runner import Syncer

HALL = "demo-city-hall"


def test_no_phone_or_token_reaches_the_central(tmp_path, hall):
    store, conn = hall
    engine = Engine(store, load_config(write_example_config(tmp_path / "hall.toml")))
    ticket, _ = engine.issue_ticket("consult", phone="13812345678", idempotency_key="kiosk-1:abcdef01")
    complaint = engine.file_complaint("attitude", text="窗口推诿", phone="13987654321")
    assert complaint["code"]
    with CentralServer(f"sqlite:///{tmp_path / 'central.db'}") as server:
        secret = signing.new_secret()
        server.db.add_hall(HALL, "示范", secret)
        client = CentralClient(server.url, HALL, secret)
        Syncer(conn, client).push_all()
        client.close()
        stored = "\n".join(r[0] for r in server.db.query("SELECT payload FROM events"))
        types = {r[0] for r in server.db.query("SELECT type FROM events")}
    assert {"ticket.issued", "complaint.filed"} <= types
    assert ticket["number"] in stored and "窗口推诿" in stored        # the facts arrive
    for secret_value in ("13812345678", "13987654321", ticket["token"], "kiosk-1:abcdef01"):
        assert secret_value not in stored
    # ...while the hall itself keeps the token for the citizen's page.
    assert engine.ticket_by_token(ticket["token"])["id"] == ticket["id"]


def test_restored_hall_database_is_stopped_with_a_reason(tmp_path, hall):
    """A hall whose database went back in time must not have its new events skipped."""
    import pytest
    from sync_testkit import append_events

    from sync import hallside
    from sync.client import SyncError

    store, conn = hall
    with CentralServer(f"sqlite:///{tmp_path / 'central.db'}") as server:
        secret = signing.new_secret()
        server.db.add_hall(HALL, "示范", secret)
        client = CentralClient(server.url, HALL, secret)
        append_events(store, 10)
        Syncer(conn, client).push_all()
        # Simulate the restore: the last 5 events and the cursor are gone, new events follow.
        with store.transaction() as c:
            c.execute("DELETE FROM events WHERE seq > 5")
            c.execute("UPDATE sqlite_sequence SET seq = 5 WHERE name = 'events'")
        hallside.set_state(conn, cursor=5)
        append_events(store, 3)
        syncer = Syncer(conn, client)
        with pytest.raises(SyncError) as err:
            syncer.push_all()
        assert err.value.code == "seq_conflict"
        assert hallside.cursor(conn) == 5
        syncer.record_error(err.value)
        assert "备份" in hallside.status(conn)["last_error"]
        client.close()
