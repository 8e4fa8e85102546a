"""Upload throughput of a week's backlog (200,000 events) to the central on SQLite and PostgreSQL.

Baseline, measured in the same run: the raw insert rate of the same rows into the same kind of
database (one executemany per batch, no HTTP, no signing, no JSON). Prints one JSON object on
the last line: events per second, the ratio to the baseline, and the wall time of the upload.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "sync"))

from sync_testkit import PgCluster, append_events, free_port, hall_db, pg_available, spawn_central  # noqa: E402

from central.db import CentralDB  # noqa: E402
from sync import hallside, signing  # noqa: E402
from sync.client import CentralClient  # noqa: E402
from sync.runner import Syncer  # noqa: E402

HALL = "bench-hall"


def raw_insert_rate(url: str, conn, batch: int) -> float:
    """The same rows straight into the central's events table of a fresh database."""
    db = CentralDB(url)
    db.add_hall("raw", "raw", signing.new_secret())
    rows = conn.execute("SELECT seq, id, type, at, business_date, payload FROM events ORDER BY seq").fetchall()
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        chunk = rows[i:i + batch]
        with db.transaction():
            db.executemany("INSERT INTO events (hall_id, seq, event_id, type, at, business_date, "
                           "payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [("raw", *r, 0.0) for r in chunk])
    elapsed = time.perf_counter() - started
    db.close()
    return len(rows) / elapsed


def upload(url: str, conn, batch: int, tmp: Path) -> tuple[float, float]:
    """Hall and central in separate processes, as they are in the field (the central is
    another machine; here it shares the two cores)."""
    db = CentralDB(url)
    secret = signing.new_secret()
    db.add_hall(HALL, "bench", secret)
    port = free_port()
    central = spawn_central(url, port, tmp)
    try:
        client = CentralClient(f"http://127.0.0.1:{port}", HALL, secret, timeout=60)
        syncer = Syncer(conn, client, batch_size=batch)
        hallside.set_state(conn, cursor=0)
        started = time.perf_counter()
        syncer.push_all()
        elapsed = time.perf_counter() - started
        client.close()
    finally:
        central.terminate()
        central.wait(10)
    count, _ = db.event_digest(HALL)
    db.close()
    total = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert count == total, (count, total)
    return total / elapsed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ow-bench-sync-"))
    store, conn = hall_db(tmp / "hall.db")
    for _ in range(args.events // 10_000):
        append_events(store, 10_000)
    result = {"bench": "sync", "events": args.events, "batch": args.batch}
    targets = [("sqlite", lambda name: f"sqlite:///{tmp / name}.db")]
    cluster = None
    if pg_available():
        cluster = PgCluster()
        targets.append(("postgresql", lambda name: cluster.new_database()))
    try:
        for label, make in targets:
            raw = raw_insert_rate(make("raw"), conn, args.batch)
            rate, seconds = upload(make("central"), conn, args.batch, tmp)
            result[label] = {"upload_events_per_s": round(rate), "upload_seconds": round(seconds, 1),
                             "raw_insert_events_per_s": round(raw),
                             "ratio_to_raw_insert": round(rate / raw, 3),
                             "meets_60s": seconds < 60, "meets_30pct": rate / raw >= 0.30}
            print(label, result[label], file=sys.stderr)
    finally:
        if cluster:
            cluster.stop()
        conn.close()
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
