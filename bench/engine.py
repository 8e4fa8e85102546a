"""Benchmark the queue engine at hall scale with durable commits, against raw SQLite.

Scenario (issue 2): 200 windows; a day of 20,000 tickets, 10,000 of them served so 10,000
wait; then a steady phase at 10,000 waiting (issue one, call one, finish one) where
latencies are taken. The baseline, measured in the same run on the same disk: a raw
durable two-row transaction (WAL, synchronous=FULL, BEGIN IMMEDIATE, two INSERTs, COMMIT)
through the same stdlib sqlite3. Then the same day again on a database holding a year of
history (5 million events, 1 million finished tickets with their calls), loaded in bulk
straight into the tables (that is the bench's set-up, not the engine's work).

The last line of output is one JSON object; progress goes to stderr.
Also: pages written per issue (`pages_per_issue`, WAL frames per durable issue, with the
B-trees they belong to, and `wal_kb_per_issue`) beside the raw commit's; and issue / call-next p99 with 0, 1,000 and
5,000 waiting per service (the queue-length phase, on its own database).
Targets: issue_vs_raw >= 0.5 (issues while the day fills; `issue_vs_raw_steady` is the same
ratio while windows call and finish between issues); call_next_p99_ms <= 2; call_next_p99_ms_year <= 2 x call_next_p99_ms;
issue_p99 at 5,000 waiting per service <= 1.5 x with an empty queue.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import random
import re
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall.config import EXAMPLE_PATH, always_open_text, load_config  # noqa: E402
from hall.engine import Engine, ManualClock  # noqa: E402
from hall.store import Store  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=8))
DAY_START = dt.datetime(2026, 11, 27, 8, 30, tzinfo=TZ).timestamp()   # a Friday
STEP = 0.2            # simulated seconds per operation: the whole run stays inside one day


def log(msg: str) -> None:
    print(f"[bench/engine] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(values: list[float], p: float) -> float:
    return round(pct(values, p) * 1000, 3)


# ---------------------------------------------------------------------- the hall
def write_config(dest: Path, windows: int) -> Path:
    """The shipped example, open all day, caps raised, and `windows` windows built from the
    example's window profiles in turn (so every service is served by several windows)."""
    text = always_open_text(EXAMPLE_PATH.read_text(encoding="utf-8"))
    text = re.sub(r"(?m)^daily_cap\s*=.*$", "daily_cap = 9999", text)
    example = load_config(EXAMPLE_PATH)
    head = text[:text.index("[[windows]]")]
    blocks = []
    for i in range(windows):
        w = example.windows[i % len(example.windows)]
        block = [f'[[windows]]\nid = "b{i + 1:03d}"\nnumber = {i + 1}\nname_zh = "{w.name_zh}"\n'
                 f'name_en = "{w.name_en}"\nkind = "{w.kind}"\nservices = {json.dumps(w.services)}\n'
                 f'mode = "{w.mode}"\n']
        if w.weights:
            block.append("weights = { " + ", ".join(f'{k} = {v}' for k, v in w.weights.items()) + " }\n")
        blocks.append("".join(block))
    dest.write_text(head + "\n".join(blocks), encoding="utf-8")
    return dest


def open_hall(db: Path, config, clock) -> Engine:
    engine = Engine(Store.open(db), config, clock)
    for w in config.windows:
        engine.add_staff(f"s{w.id}", f"工作人员{w.number}", "clerk")
        engine.sign_in(w.id, f"s{w.id}")
        engine.open_window(w.id)
    return engine


def run_day(engine: Engine, clock: ManualClock, tickets: int, steady: int, rng: random.Random,
            baseline: RawBaseline | None = None, raw_per_block: int = 0) -> dict:
    """Issue `tickets`, serve half, then `steady` rounds of issue + call + finish at half waiting.
    With a baseline, a block of raw commits runs after every 500 issues."""
    services = [s.id for s in engine.config.services]
    windows = [w.id for w in engine.config.windows]
    issue_lat: list[float] = []

    t0 = None
    for i in range(tickets):
        clock.advance(STEP)
        s = time.perf_counter()
        engine.issue_ticket(rng.choice(services), priority_reason="elderly" if rng.random() < 0.05 else None)
        issue_lat.append(time.perf_counter() - s)
        if baseline and (i + 1) % 500 == 0:
            baseline.run(raw_per_block)
        if (i + 1) % 5000 == 0:
            log(f"  issued {i + 1}")
    del t0

    def serve(count: int, calls: list, finishes: list) -> float:
        done, k, t = 0, 0, time.perf_counter()
        while done < count:
            window_id = windows[k % len(windows)]
            k += 1
            clock.advance(STEP)
            s = time.perf_counter()
            ticket = engine.call_next(window_id)
            calls.append(time.perf_counter() - s)
            if ticket is None:
                continue
            clock.advance(STEP)
            s = time.perf_counter()
            engine.finish(window_id, "completed")
            finishes.append(time.perf_counter() - s)
            done += 1
        return time.perf_counter() - t

    fill_calls: list[float] = []
    fill_finishes: list[float] = []
    serve_wall = serve(tickets // 2, fill_calls, fill_finishes)
    with engine.store.read() as c:
        waiting = c.execute("SELECT COUNT(*) FROM tickets WHERE state = 'waiting'").fetchone()[0]
    log(f"  served {tickets // 2}; {waiting} waiting; steady phase")

    steady_issue, steady_call, steady_finish = [], [], []
    k = 0
    for _ in range(steady):
        clock.advance(STEP)
        s = time.perf_counter()
        engine.issue_ticket(rng.choice(services))
        steady_issue.append(time.perf_counter() - s)
        ticket = None
        while ticket is None:
            window_id = windows[k % len(windows)]
            k += 1
            clock.advance(STEP)
            s = time.perf_counter()
            ticket = engine.call_next(window_id)
            steady_call.append(time.perf_counter() - s)
        clock.advance(STEP)
        s = time.perf_counter()
        engine.finish(window_id, "completed")
        steady_finish.append(time.perf_counter() - s)

    # The read models the consoles and kiosks poll: they must not grow with history either.
    overview_w, overview_s = [], []
    for _ in range(20):
        s = time.perf_counter()
        engine.windows_overview()
        overview_w.append(time.perf_counter() - s)
        s = time.perf_counter()
        engine.services_overview()
        overview_s.append(time.perf_counter() - s)

    return {
        "windows_overview_p50_ms": ms(overview_w, 50), "services_overview_p50_ms": ms(overview_s, 50),
        "issue_per_s": round(tickets / sum(issue_lat)),
        "call_finish_pairs_per_s": round((tickets // 2) / serve_wall),
        "call_next_per_s": round(len(fill_calls) / sum(fill_calls)),
        "finish_per_s": round(len(fill_finishes) / sum(fill_finishes)),
        "issue_p50_ms": ms(steady_issue, 50), "issue_p99_ms": ms(steady_issue, 99),
        "issue_per_s_steady": round(len(steady_issue) / sum(steady_issue)),
        "call_next_p50_ms": ms(steady_call, 50), "call_next_p99_ms": ms(steady_call, 99),
        "finish_p50_ms": ms(steady_finish, 50), "finish_p99_ms": ms(steady_finish, 99),
        "issue_p99_ms_whole_day": ms(issue_lat, 99), "call_next_p99_ms_filling": ms(fill_calls, 99),
        "waiting_during_steady_phase": waiting,
    }


# ---------------------------------------------------------------------- the baseline
class RawBaseline:
    """Durable two-row transactions (WAL, FULL, BEGIN IMMEDIATE, two INSERTs, COMMIT) through
    the same stdlib sqlite3, run in blocks between the engine's blocks so both see the same
    disk and the same machine load (a shared 2-core box drifts by several times)."""

    def __init__(self, db: Path):
        self.conn = sqlite3.connect(str(db), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        assert self.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        self.conn.execute("CREATE TABLE a (id TEXT PRIMARY KEY, n INTEGER NOT NULL, body TEXT NOT NULL)")
        self.conn.execute("CREATE TABLE b (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)")
        self.latencies: list[float] = []

    def run(self, n: int) -> None:
        body = "x" * 300
        for _ in range(n):
            i = len(self.latencies)
            s = time.perf_counter()
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT INTO a VALUES (?, ?, ?)", (f"{i:032x}", i, body))
            self.conn.execute("INSERT INTO b (body) VALUES (?)", (body,))
            self.conn.execute("COMMIT")
            self.latencies.append(time.perf_counter() - s)

    def per_s(self) -> float:
        return len(self.latencies) / sum(self.latencies)

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------- pages per commit
def wal_pages(conn: sqlite3.Connection, db: Path, run, n: int) -> tuple[float, dict, float]:
    """WAL frames (pages) written per operation over `n` calls of run(i), by B-tree, and KiB.
    The WAL is truncated first and no checkpoint runs inside the sample (the caller holds
    the idle checkpointer off), so every frame in the file belongs to the sample."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    for i in range(n):
        run(i)
    wal = Path(str(db) + "-wal").read_bytes()
    size = struct.unpack(">I", wal[8:12])[0]         # the WAL header's page size
    pages = [struct.unpack(">I", wal[o:o + 4])[0] for o in range(32, len(wal) - size + 1, size + 24)]
    try:
        owner = dict(conn.execute("SELECT pageno, name FROM dbstat").fetchall())
    except sqlite3.Error:            # SQLite built without dbstat: the total is still right
        owner = {}
    by = collections.Counter(owner.get(p, "page 1 (header)" if p == 1 else "?") for p in pages)
    kb = round(len(pages) * (size + 24) / 1024 / n, 1)      # what the disk must take per operation
    return round(len(pages) / n, 2), {k: round(v / n, 2) for k, v in by.most_common()}, kb


def issue_pages(engine: Engine, clock: ManualClock, db: Path, n: int, rng: random.Random) -> tuple[float, dict, float]:
    services = [s.id for s in engine.config.services]
    store = engine.store
    held, store._commits_since_checkpoint = store._commits_since_checkpoint, -10**9

    def one(i: int) -> None:
        clock.advance(STEP)
        engine.issue_ticket(rng.choice(services))
    try:
        with store.read() as c:
            return wal_pages(c, db, one, n)
    finally:
        store._commits_since_checkpoint = held


# ---------------------------------------------------------------------- queue length
def queue_phase(tmp: Path, config, levels: list[int], n_services: int, samples: int) -> dict:
    """Issue and call-next latency with `level` citizens waiting in each of `n_services`
    services: one database per level, filled through the engine, then sampled in small
    interleaved blocks (10 operations per level in turn) so every level sees the same machine
    load. While sampling, every issue is matched by a call and a finish, so each queue stays
    at its level."""
    services = [s.id for s in config.services][:n_services]
    windows = [w.id for w in config.windows if set(w.services) & set(services)]
    halls = []
    for level in levels:
        clock = ManualClock(DAY_START)
        engine = open_hall(tmp / f"queue-{level}.db", config, clock)
        for _ in range(level):
            for sid in services:
                clock.advance(0.01)
                engine.issue_ticket(sid)
        halls.append({"level": level, "engine": engine, "clock": clock, "k": 0, "issue": [], "call": []})
        log(f"  filled {level} per service")
    block = 10
    for r in range(0, samples, block):
        for h in halls:
            engine, clock = h["engine"], h["clock"]
            for i in range(r, r + block):
                clock.advance(0.01)
                s = time.perf_counter()
                engine.issue_ticket(services[i % len(services)])
                h["issue"].append(time.perf_counter() - s)
                ticket = None
                while ticket is None:
                    window_id = windows[h["k"] % len(windows)]
                    h["k"] += 1
                    clock.advance(0.01)
                    s = time.perf_counter()
                    ticket = engine.call_next(window_id)
                    h["call"].append(time.perf_counter() - s)
                engine.finish(window_id, "completed")
    out: dict = {}
    for h in halls:
        engine = h["engine"]
        with engine.store.read() as c:
            waiting = c.execute("SELECT COUNT(*) FROM tickets WHERE state = 'waiting'").fetchone()[0]
        out[str(h["level"])] = {"waiting_per_service": round(waiting / len(services)),
                                "issue_p50_ms": ms(h["issue"], 50), "issue_p99_ms": ms(h["issue"], 99),
                                "call_next_p50_ms": ms(h["call"], 50), "call_next_p99_ms": ms(h["call"], 99)}
        engine.store.close()
        log(f"  queue {h['level']}/service: {out[str(h['level'])]}")
    return out


# ---------------------------------------------------------------------- a year of history
def load_history(db: Path, config, events: int, day: dt.date) -> dict:
    """Bulk-load finished tickets, their calls and `events` events over the past working
    days, directly into the tables (one connection, big transactions, executemany)."""
    per_ticket = 5                        # issued, called, started, finished, rating.requested
    n_tickets = events // per_ticket
    days = []
    d = day - dt.timedelta(days=1)
    while len(days) < 250:
        if d.isoweekday() <= 5:
            days.append(d)
        d -= dt.timedelta(days=1)
    days.reverse()
    per_day = n_tickets // len(days)
    services = [(s.id, s.prefix) for s in config.services]
    windows = [w.id for w in config.windows]
    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")           # set-up only; the engine runs with FULL
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("PRAGMA foreign_keys=OFF")
    base_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
    types = ["ticket.issued", "ticket.called", "ticket.started", "ticket.finished", "rating.requested"]
    t0 = time.perf_counter()
    seq = base_seq
    tid = 0
    for di, d in enumerate(days):
        bd = d.isoformat()
        start = dt.datetime(d.year, d.month, d.day, 8, 30, tzinfo=TZ).timestamp()
        counters: dict[str, int] = {}
        tickets, calls, evs = [], [], []
        for j in range(per_day):
            sid, prefix = services[j % len(services)]
            n = counters[sid] = counters.get(sid, 0) + 1
            number = f"{prefix}{n:03d}"
            at = start + j * (30600 / per_day)
            tid += 1
            ticket_id = f"{tid:032x}"
            w = windows[j % len(windows)]
            tickets.append((ticket_id, bd, sid, number, n, "normal", 2, "kiosk", "done",
                            at, at, at + 600, at + 660, at + 1200, w, f"s{w}", "completed"))
            calls.append((f"c{tid:031x}", ticket_id, w, f"s{w}", "call", at + 600))
            for k, type_ in enumerate(types):
                seq += 1
                payload = (f'{{"ticket":{{"id":"{ticket_id}","number":"{number}","service_id":"{sid}",'
                           f'"state":"{type_.split(".")[1]}","window_id":"{w}","business_date":"{bd}"}},'
                           f'"number":"{number}","window_number":{j % len(windows) + 1}}}')
                evs.append((seq, f"e{seq:031x}", type_, at + 300 * k, bd, payload))
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO tickets (id, business_date, service_id, number, seq_no, priority, rank, source, "
            "state, issued_at, sort_at, called_at, started_at, finished_at, window_id, staff_id, outcome) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tickets)
        conn.executemany("INSERT INTO calls (id, ticket_id, window_id, staff_id, kind, at) VALUES (?,?,?,?,?,?)", calls)
        conn.executemany("INSERT INTO events (seq, id, type, at, business_date, payload) VALUES (?,?,?,?,?,?)", evs)
        # (the tickets' insert trigger has written the day's counters rows: schema 1200)
        conn.execute("COMMIT")
        if (di + 1) % 25 == 0:
            log(f"  history: {di + 1}/{len(days)} days, {seq - base_seq:,} events, "
                f"{time.perf_counter() - t0:.0f} s")
    # The day's own events must come after the history in seq order, as they would have.
    conn.execute("ANALYZE")
    conn.close()
    return {"history_events": seq - base_seq, "history_tickets": tid,
            "history_load_s": round(time.perf_counter() - t0, 1),
            "db_mb_with_history": round(db.stat().st_size / 1e6)}


# ---------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--steady", type=int, default=2_000, help="issue+call+finish rounds at half waiting")
    parser.add_argument("--history-events", type=int, default=5_000_000)
    parser.add_argument("--raw", type=int, default=3_000, help="raw two-row transactions for the baseline")
    parser.add_argument("--pages-sample", type=int, default=300, help="issues sampled for pages_per_issue")
    parser.add_argument("--queue-levels", default="0,1000,5000", help="waiting per service, comma-separated")
    parser.add_argument("--queue-services", type=int, default=4, help="services filled in the queue phase")
    parser.add_argument("--queue-samples", type=int, default=500, help="issues sampled at each queue level")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ow-bench-engine-"))
    try:
        config = load_config(write_config(tmp / "hall.toml", args.windows))
        result: dict = {"bench": "engine", "windows": len(config.windows), "services": len(config.services),
                        "tickets": args.tickets, "synchronous": "FULL"}

        log(f"day on an empty database: {args.tickets} tickets, {len(config.windows)} windows, "
            f"raw durable two-row transactions interleaved")
        baseline = RawBaseline(tmp / "raw.db")
        clock = ManualClock(DAY_START)
        engine = open_hall(tmp / "day.db", config, clock)
        day = run_day(engine, clock, args.tickets, args.steady, random.Random(1), baseline,
                      max(1, args.raw * 500 // args.tickets))
        result["pages_per_issue"], result["pages_per_issue_by_btree"], result["wal_kb_per_issue"] = issue_pages(
            engine, clock, tmp / "day.db", args.pages_sample, random.Random(2))
        engine.store.close()
        result["raw_pages_per_commit"], _, result["raw_wal_kb_per_commit"] = wal_pages(baseline.conn, tmp / "raw.db",
                                                      lambda i: baseline.run(1), min(args.pages_sample, 200))
        baseline.close()
        result.update(day)
        log(json.dumps(day))
        raw = baseline.per_s()
        result["raw_commit_per_s"] = round(raw)
        result["raw_commits"] = len(baseline.latencies)
        result["issue_vs_raw"] = round(day["issue_per_s"] / raw, 3)
        # The same ratio while windows call and finish between issues (the steady phase):
        # printed beside the target, which is measured while the day fills.
        result["issue_vs_raw_steady"] = round(day["issue_per_s_steady"] / raw, 3)
        # p99 of an engine call cannot beat the p99 of one durable commit: report it beside.
        result["raw_commit_p50_ms"] = ms(baseline.latencies, 50)
        result["raw_commit_p99_ms"] = ms(baseline.latencies, 99)

        levels = [int(x) for x in args.queue_levels.split(",") if x.strip()]
        log(f"queue length: {levels} waiting in each of {args.queue_services} services")
        queue = queue_phase(tmp, config, levels, args.queue_services, args.queue_samples)
        result["queue_length"] = queue
        lo, hi = str(min(levels)), str(max(levels))
        result[f"issue_p99_{hi}_vs_{lo}_waiting"] = round(queue[hi]["issue_p99_ms"] / queue[lo]["issue_p99_ms"], 2)
        result[f"call_next_p99_{hi}_vs_{lo}_waiting"] = round(
            queue[hi]["call_next_p99_ms"] / queue[lo]["call_next_p99_ms"], 2)

        log(f"a year of history: {args.history_events:,} events")
        year_db = tmp / "year.db"
        clock = ManualClock(DAY_START - 3600)
        Engine(Store.open(year_db), config, clock).store.close()
        result.update(load_history(year_db, config, args.history_events,
                                   dt.datetime.fromtimestamp(DAY_START, TZ).date()))
        log(f"day on the year database: {args.tickets} tickets")
        clock = ManualClock(DAY_START)
        engine = open_hall(year_db, config, clock)
        year = run_day(engine, clock, args.tickets, args.steady, random.Random(1))
        engine.store.close()
        for key in ("issue_per_s", "call_next_per_s", "finish_per_s", "issue_p99_ms", "call_next_p50_ms",
                    "call_next_p99_ms", "finish_p99_ms", "windows_overview_p50_ms", "services_overview_p50_ms"):
            result[f"{key}_year"] = year[key]
        result["call_next_p99_year_vs_empty"] = round(year["call_next_p99_ms"] / day["call_next_p99_ms"], 2)
        result["targets"] = {
            "issue_vs_raw>=0.5": result["issue_vs_raw"] >= 0.5,
            "call_next_p99_ms<=2": day["call_next_p99_ms"] <= 2,
            "year_costs_call_next<=2x": result["call_next_p99_year_vs_empty"] <= 2,
            "issue_p99_full_queue<=1.5x_empty": result[f"issue_p99_{hi}_vs_{lo}_waiting"] <= 1.5,
        }
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept {tmp}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
