"""What the central's allow-list (hall/exits.py) costs when the hall builds upload batches.

A simulated day's events are copied until there are --events of them; then the batches are
built as sync builds them (`hallside.batch_body`, every payload parsed, filtered and
re-encoded) and, as the baseline in the same run, with the payloads spliced in unchanged (what
the upload did before the allow-list). Prints one JSON object on the last line: events per
second both ways and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hall.config import load_config, write_example_config  # noqa: E402
from hall.simday import last_working_day, simulate_day  # noqa: E402
from hall.store import Store  # noqa: E402
from sync import hallside  # noqa: E402


def build_all(conn, batch: int) -> tuple[int, float]:
    started = time.perf_counter()
    after, total = 0, 0
    while True:
        _body, n, last = hallside.batch_body(conn, after, batch)
        if n == 0:
            break
        total += n
        after = last
    return total, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ow-bench-exit-"))
    cfg = load_config(write_example_config(tmp / "hall.toml"))
    store = Store.open(tmp / "hall.db")
    simulate_day(store, cfg, last_working_day(cfg, dt.date(2026, 11, 25)), tickets=300, seed=1)
    with store.read() as db:
        day = db.execute("SELECT type, at, business_date, payload FROM events ORDER BY seq").fetchall()
    with store.transaction() as db:
        i = 0
        while db.execute("SELECT COUNT(*) FROM events").fetchone()[0] < args.events:
            rows = [(f"{i:08d}{k:024d}", t, at, d, p) for k, (t, at, d, p) in enumerate(day)]
            db.executemany("INSERT INTO events (id, type, at, business_date, payload) "
                           "VALUES (?, ?, ?, ?, ?)", rows)
            i += 1
    store.close()
    conn = hallside.open_hall_db(tmp / "hall.db")
    n, filtered = build_all(conn, args.batch)
    with mock.patch.object(hallside, "minimise", lambda payload, *a, **k: payload or "{}"):
        n2, spliced = build_all(conn, args.batch)
    conn.close()
    assert n == n2
    print(json.dumps({"events": n, "allow_list_events_per_s": round(n / filtered),
                      "baseline_splice_events_per_s": round(n / spliced),
                      "ratio_to_baseline": round(spliced / filtered, 3),
                      "week_backlog_200k_seconds": round(200_000 * filtered / n, 1)}))


if __name__ == "__main__":
    main()
