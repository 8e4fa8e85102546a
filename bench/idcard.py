"""Benchmark of ID-card check-in (issue 16).

1. The reader: card placed on the simulator (pty, real GA 467 frames) → CardInfo delivered by
   the polling driver. A pty has no baud rate, so the wire time a real 115200-baud reader adds
   (1295-byte base reply plus the short frames, 10 bits a byte) is printed beside it.
2. The hall: check-in by ID hash (hash lookup + check-in) against check-in by the typed code
   (the baseline, same run, same database), with `--appointments` bookings on the day.

    .venv/bin/python bench/idcard.py [--taps 20] [--appointments 2000]
Prints one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def reader(taps: int) -> dict:
    from drivers.idcard import IdCardReader
    from drivers.sim.idcard import TEST_PERSON, IdCardSimulator

    cards: queue.Queue = queue.Queue()
    lat = []
    with IdCardSimulator() as sim, IdCardReader(sim.url, cards.put, poll_interval=0.02):
        time.sleep(0.3)
        for _ in range(taps):
            t0 = time.perf_counter()
            sim.place(TEST_PERSON)
            cards.get(timeout=5)
            lat.append(time.perf_counter() - t0)
            sim.remove()
            time.sleep(0.05)
    wire_bytes = 1295 + 15 + 19 + 3 * 10
    return {"taps": taps, "pty_p50_ms": round(pct(lat, 50) * 1000, 1), "pty_p95_ms": round(pct(lat, 95) * 1000, 1),
            "poll_interval_ms": 20, "wire_ms_at_115200": round(wire_bytes * 10 / 115200 * 1000, 1)}


def hall(n: int) -> dict:
    from hall import intake
    from hall.config import write_example_config
    from hall.engine import Engine
    from hall.op import ManualClock
    from hall.store import Store
    from sync.identity import id_hash

    tmp = Path(tempfile.mkdtemp(prefix="ow-bench-idcard-"))
    from hall.config import load_config

    config = load_config(write_example_config(tmp / "hall.toml"))
    store = Store.open(tmp / "hall.db")
    import datetime as dt
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    day = now.date()
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    clock = ManualClock(dt.datetime(day.year, day.month, day.day, 9, 50, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
    engine = Engine(store, config, clock)
    salt = "b" * 64
    intake.store_id_salt(store, salt)
    rows, hashes = [], []
    for i in range(n):
        number = f"99000019800101{i:04d}"
        rows.append({"code": f"{10000000 + i}", "service_id": "biz-setup", "date": day.isoformat(),
                     "slot_start": "10:00", "slot_end": "10:30", "name_masked": "测**", "id_hash": id_hash(salt, number)})
        hashes.append(rows[-1]["id_hash"])
    engine.upsert_appointments(rows)
    intake.store_id_hashes(store, rows)
    half = n // 2
    card, code = [], []
    for i in range(min(200, half)):
        t0 = time.perf_counter()
        engine.check_in_appointment(rows[i]["code"])                  # baseline: the typed code
        code.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        codes = intake.appointment_codes_for_hash(store, hashes[half + i], day.isoformat())
        engine.check_in_appointment(codes[0])                          # by card: lookup + check-in
        card.append(time.perf_counter() - t0)
    store.close()
    return {"appointments": n, "checkins": len(card), "code_p50_ms": round(pct(code, 50) * 1000, 3),
            "card_p50_ms": round(pct(card, 50) * 1000, 3),
            "card_vs_code_p50": round(pct(card, 50) / pct(code, 50), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--taps", type=int, default=20)
    ap.add_argument("--appointments", type=int, default=2000)
    a = ap.parse_args()
    out = {"reader": reader(a.taps), "hall": hall(a.appointments)}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
