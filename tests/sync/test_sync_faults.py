"""Push survives every fault between hall and central: byte cuts, lost responses, 500s, slowness,
a central killed mid-batch; the same harness fails against a central without dedupe."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from sync_testkit import FaultProxy, append_events, free_port, hall_digest, spawn_central

from central.db import CentralDB
from central.server import CentralServer
from sync import hallside, signing
from sync.client import CentralClient, SyncError
from sync.runner import Syncer

HALL = "demo-city-hall"


class NoDedupeDB(CentralDB):
    """Negative control: appends whatever arrives and acknowledges it, like a naive server."""

    def __init__(self, url):
        super().__init__(url)
        with self.transaction():
            self.execute("CREATE TABLE naive_events (hall_id TEXT, seq BIGINT, event_id TEXT)")

    def apply_events(self, hall_id, events, now):
        with self.transaction():
            self.executemany("INSERT INTO naive_events VALUES (?, ?, ?)",
                             [(hall_id, e["seq"], e["id"]) for e in events])
            hwm = max(int(e["seq"]) for e in events)
            self.execute("UPDATE hall_cursor SET hwm = MAX(hwm, ?) WHERE hall_id = ?", (hwm, hall_id))
        return {"acked_upto": hwm, "stored": len(events), "duplicates": 0}

    def event_digest(self, hall_id):
        import hashlib

        rows = self.query("SELECT seq, event_id FROM naive_events WHERE hall_id = ? ORDER BY seq",
                          (hall_id,))
        h = hashlib.sha256()
        for seq, event_id in rows:
            h.update(f"{seq}:{event_id}\n".encode())
        return len(rows), h.hexdigest()


def _setup(tmp_path, hall, db=None, timeout=5.0):
    store, conn = hall
    url = f"sqlite:///{tmp_path / 'central.db'}"
    server = CentralServer(url, db=db(url) if db else None).start()
    secret = signing.new_secret()
    server.db.add_hall(HALL, "示范", secret)
    proxy = FaultProxy(server.port)
    client = CentralClient(proxy.url, HALL, secret, timeout=timeout)
    return server, proxy, client, Syncer(conn, client, batch_size=3)


def _cut_harness(syncer, proxy, store, conn, server, kinds, ks_for) -> list[str]:
    """For each fault kind and each k: add 3 events, fault the push, retry until acknowledged,
    then compare the central with the hall. Returns the mismatches seen."""
    problems = []
    for kind in kinds:
        for k in ks_for(kind):
            append_events(store, 3)
            proxy.arm(kind, k)
            for _ in range(5):
                try:
                    syncer.push_all()
                    break
                except SyncError:
                    continue  # the hall's loop backs off; here we retry at once
            assert proxy.armed() == 0, f"fault {kind} {k} never fired"
            syncer.push_all()
            # A count per cut point (cheap), the full digest once at the end.
            central_count = server.db.event_digest(HALL)[0] if isinstance(server.db, NoDedupeDB) \
                else server.db.one("SELECT COUNT(*) FROM events WHERE hall_id = ?", (HALL,))[0]
            hall_count = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            if central_count != hall_count:
                problems.append(f"{kind} at byte {k}: central {central_count} events, "
                                f"hall {hall_count}")
                return problems
    if server.db.event_digest(HALL) != hall_digest(conn):
        problems.append("central and hall hold different events")
    return problems


def _sizes(syncer, proxy, store) -> dict:
    append_events(store, 3)
    before = dict(proxy.bytes)
    syncer.push_all()
    return {"cut_request": proxy.bytes["c2s"] - before["c2s"],
            "cut_response": proxy.bytes["s2c"] - before["s2c"]}


def test_cut_at_every_byte_of_request_and_response(tmp_path, hall):
    store, conn = hall
    server, proxy, client, syncer = _setup(tmp_path, hall)
    try:
        sizes = _sizes(syncer, proxy, store)
        print("cut points", sizes)
        assert sizes["cut_request"] > 300 and sizes["cut_response"] > 100
        problems = _cut_harness(syncer, proxy, store, conn, server,
                                ["cut_request", "cut_response"], lambda kind: range(sizes[kind]))
        assert problems == []
        count, _ = server.db.event_digest(HALL)
        assert count == 3 * (1 + sizes["cut_request"] + sizes["cut_response"])
        assert hallside.pending(conn) == 0
    finally:
        client.close()
        proxy.close()
        server.stop()


def test_negative_control_without_dedupe_duplicates(tmp_path, hall):
    store, conn = hall
    server, proxy, client, syncer = _setup(tmp_path, hall, db=NoDedupeDB)
    try:
        sizes = _sizes(syncer, proxy, store)
        problems = _cut_harness(syncer, proxy, store, conn, server, ["cut_response"],
                                lambda kind: range(0, sizes[kind], 37))
        assert problems, "the harness must catch a central that does not dedupe"
    finally:
        client.close()
        proxy.close()
        server.stop()


def test_500s_and_slow_responses(tmp_path, hall):
    store, conn = hall
    server, proxy, client, syncer = _setup(tmp_path, hall, timeout=0.5)
    try:
        append_events(store, 10)
        proxy.arm("status_500")
        with pytest.raises(SyncError) as err:
            syncer.push_all()
        assert err.value.retry and err.value.code == "http_500"
        # A response slower than the client's patience: the central committed, the hall
        # times out, resends, and the central skips what it already has.
        proxy.arm("slow", 1.5)
        with pytest.raises(SyncError) as err:
            syncer.push_all()
        assert err.value.code == "timeout"
        time.sleep(1.6)
        syncer.push_all()
        assert server.db.event_digest(HALL) == hall_digest(conn)
        assert hallside.pending(conn) == 0
    finally:
        client.close()
        proxy.close()
        server.stop()


def test_central_killed_and_restarted_mid_backlog(tmp_path, hall, central_url):
    """On SQLite and on PostgreSQL: kill -9 while batches are in flight, restart, finish."""
    store, conn = hall
    db_url = central_url
    secret = signing.new_secret()
    CentralDB(db_url).add_hall(HALL, "示范", secret)
    port = free_port()
    central = spawn_central(db_url, port, tmp_path)
    append_events(store, 20_000)
    client = CentralClient(f"http://127.0.0.1:{port}", HALL, secret, timeout=5)
    syncer = Syncer(conn, client, batch_size=200)
    stop = threading.Event()
    runner = threading.Thread(target=syncer.run, args=(stop,),
                              kwargs={"interval": 0.05, "base_delay": 0.05, "cap": 0.2})
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while hallside.cursor(conn) < 2000 and time.monotonic() < deadline:
            time.sleep(0.01)
        central.send_signal(signal.SIGKILL)   # mid-batch: the loop is pushing back to back
        central.wait()
        killed_at = hallside.cursor(conn)
        assert 0 < killed_at < 20_000
        time.sleep(0.5)                       # the hall keeps failing and backing off
        assert hallside.get_state(conn, "last_error")
        central = spawn_central(db_url, port, tmp_path)
        deadline = time.monotonic() + 60
        while hallside.cursor(conn) < 20_000 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        runner.join(10)
        central.terminate()
        central.wait(10)
        client.close()
    db = CentralDB(db_url)
    assert db.event_digest(HALL) == hall_digest(conn)
    assert db.hwm(HALL) == 20_000
    db.close()
