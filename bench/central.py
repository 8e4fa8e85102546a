"""A city's halls syncing at once into one central on PostgreSQL.

200 simulated halls (default) each push their day's events in signed batches, plus the
health report every round carries, all at the same time (one thread per hall) into the
central running as its own process (uvicorn) over a throwaway PostgreSQL cluster.
Measured: events stored per second across the city and the latency of each push (p50, p99).

Baseline, measured in the same run on the same cluster: PostgreSQL's raw insert rate of the
same rows into the central's events table (one executemany per batch, no HTTP, no signing,
no JSON parsing, one connection). Prints one JSON object on the last line.

    .venv/bin/python bench/central.py [--halls 200] [--events-per-hall 300] [--batch 100]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "sync"))

from sync_testkit import PgCluster, free_port, pg_available, spawn_central  # noqa: E402

from central.db import CentralDB  # noqa: E402
from sync import signing  # noqa: E402
from sync.client import CentralClient  # noqa: E402

DAY = "2026-11-27"


def hall_events(n: int, start_at: float) -> list[dict]:
    """A hall's day: ticket events with realistic payloads (no personal data)."""
    out = []
    for i in range(n):
        ticket = {"id": uuid.uuid4().hex, "number": f"A{i % 1000:03d}", "service_id": "biz-setup",
                  "state": "waiting", "priority": "normal", "issued_at": start_at + i,
                  "business_date": DAY, "source": "kiosk", "has_phone": 0, "rank": 2}
        out.append({"seq": i + 1, "id": uuid.uuid4().hex, "type": "ticket.issued",
                    "at": start_at + i, "business_date": DAY, "payload": {"ticket": ticket}})
    return out


def body(after: int, events: list[dict]) -> bytes:
    return json.dumps({"after": after, "events": events}, ensure_ascii=False,
                      separators=(",", ":")).encode()


REPORT = {"version": "bench", "devices": [{"name": "kiosk-1", "role": "kiosk",
                                           "printer": {"state": "ok"}}],
          "disk": {"free_bytes": 50 * 1024 ** 3, "total_bytes": 100 * 1024 ** 3},
          "last_backup": None, "clock": {"synchronized": True},
          "queue": {"waiting": 3, "pending_events": 0}}


def raw_insert_rate(url: str, halls: dict, batch: int) -> float:
    db = CentralDB(url)
    rows = []
    for hall_id, events in halls.items():
        db.add_hall("raw-" + hall_id, "raw", signing.new_secret())
        rows += [("raw-" + hall_id, e["seq"], e["id"], e["type"], e["at"], e["business_date"],
                  json.dumps(e["payload"], separators=(",", ":")), 0.0) for e in events]
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        with db.transaction():
            db.executemany("INSERT INTO events (hall_id, seq, event_id, type, at, business_date, "
                           "payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           rows[i:i + batch])
    elapsed = time.perf_counter() - started
    db.close()
    return len(rows) / elapsed


def city_sync(url: str, halls: dict, secrets: dict, batch: int, tmp: Path) -> dict:
    port = free_port()
    central = spawn_central(url, port, tmp)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    go = threading.Event()

    def one_hall(hall_id: str) -> None:
        client = CentralClient(f"http://127.0.0.1:{port}", hall_id, secrets[hall_id], timeout=120)
        events = halls[hall_id]
        try:
            go.wait()
            after = 0
            for i in range(0, len(events), batch):
                chunk = events[i:i + batch]
                t0 = time.perf_counter()
                ack = client.push_raw(body(after, chunk))
                dt_ = time.perf_counter() - t0
                after = int(ack["acked_upto"])
                with lock:
                    latencies.append(dt_)
            client.post_report({**REPORT, "at": time.time()})
        except Exception as exc:  # noqa: BLE001 - reported in the result
            with lock:
                errors.append(f"{hall_id}: {exc}")
        finally:
            client.close()

    threads = [threading.Thread(target=one_hall, args=(h,)) for h in halls]
    for t in threads:
        t.start()
    try:
        started = time.perf_counter()
        go.set()
        for t in threads:
            t.join(600)
        elapsed = time.perf_counter() - started
    finally:
        central.terminate()
        central.wait(10)
    db = CentralDB(url)
    stored = db.query("SELECT COUNT(*) FROM events")[0][0]
    reports = db.query("SELECT COUNT(*) FROM hall_reports")[0][0]
    db.close()
    latencies.sort()
    return {"seconds": elapsed, "stored": int(stored), "reports": int(reports),
            "pushes": len(latencies), "errors": errors[:5], "error_count": len(errors),
            "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
            "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--halls", type=int, default=200)
    parser.add_argument("--events-per-hall", type=int, default=300)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    if not pg_available():
        print(json.dumps({"bench": "central", "skipped": "PostgreSQL binaries not installed"}))
        return
    tmp = Path(tempfile.mkdtemp(prefix="ow-bench-central-"))
    cluster = PgCluster()
    try:
        halls = {f"hall-{i:03d}": hall_events(args.events_per_hall, 1764200000.0 + i)
                 for i in range(args.halls)}
        total = sum(len(v) for v in halls.values())
        raw = raw_insert_rate(cluster.new_database(), halls, args.batch)
        url = cluster.new_database()
        db = CentralDB(url)
        secrets = {}
        for hall_id in halls:
            secrets[hall_id] = signing.new_secret()
            db.add_hall(hall_id, hall_id, secrets[hall_id])
        db.close()
        run = city_sync(url, halls, secrets, args.batch, tmp)
        rate = run["stored"] / run["seconds"]
        result = {
            "bench": "central", "database": "postgresql", "halls": args.halls,
            "events_per_hall": args.events_per_hall, "batch": args.batch, "events": total,
            "stored": run["stored"], "all_stored": run["stored"] == total,
            "health_reports": run["reports"], "pushes": run["pushes"],
            "errors": run["error_count"], "first_errors": run["errors"],
            "seconds": round(run["seconds"], 2),
            "city_events_per_s": round(rate), "push_p50_ms": round(run["p50_ms"], 1),
            "push_p99_ms": round(run["p99_ms"], 1),
            "raw_insert_events_per_s": round(raw),
            "ratio_to_raw_insert": round(rate / raw, 3),
        }
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
