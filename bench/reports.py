"""Benchmark: the month report and the advice for a hall with a year of history (5 million events).

Builds a real SQLite hall database (the shipped migrations and example config) holding a
year of business days: tickets, ratings, refusals, cases, and an events table of the given
size. Then times, on the last full month:
- baseline: fetching the month's ticket rows alone (the floor any report pays);
- the month report (every table and figure), the advice (with the previous month for 五减),
  and the four plots rendered to PNG.
Prints one JSON object on the last line; `ratio` is (report + advice) / baseline.
Target: report + advice <= 3 s on the 2-core development machine. The advice includes the
one-visit figures of the month's matters (办件); the one-visit report is also timed alone, for the
month and for the year the /admin/matters page opens on.

    .venv/bin/python bench/reports.py [--events 5000000] [--days 250] [--per-day 1000] [--db PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall.advice import advice  # noqa: E402
from hall.config import load_config  # noqa: E402
from hall.engine import Engine, ManualClock  # noqa: E402
from hall.reports_period import (  # noqa: E402
    PLOTS,
    load_period,
    period_range,
    period_report,
    previous_range,
    render_plot,
)
from hall.store import Store  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "hall.example.toml"
TICKET_COLS = ("id", "business_date", "service_id", "number", "seq_no", "priority", "rank", "source",
               "state", "issued_at", "sort_at", "called_at", "started_at", "finished_at", "window_id", "staff_id",
               "outcome", "outcome_detail", "transferred_from")


def working_days(cfg, end: dt.date, n: int) -> list[dt.date]:
    from hall.workdays import WorkCalendar

    cal = WorkCalendar(cfg.calendar.holidays, cfg.calendar.workdays, cfg.day.weekdays)
    out, d = [], end
    while len(out) < n:
        if cal.is_working_day(d):
            out.append(d)
        d -= dt.timedelta(days=1)
    return out[::-1]


def build(path: Path, events: int, days: int, per_day: int, seed: int = 1) -> dict:
    """A year of synthetic history written straight into the tables (bench fixture only)."""
    cfg = load_config(EXAMPLE)
    tz = cfg.tz
    rng = random.Random(seed)
    store = Store.open(path, synchronous="OFF")
    end = dt.date(2026, 11, 20)
    dates = working_days(cfg, end, days)
    Engine(store, cfg, ManualClock(dt.datetime(end.year, end.month, end.day, 8, 0, tzinfo=tz).timestamp()))
    services = [s for s in cfg.services]
    by_service = {s.id: [w.id for w in cfg.windows if s.id in w.services] for s in services}
    weights = [3.0 if s.pinned else 1.0 for s in services]
    materials = {s.id: s.material_names or ["补充材料"] for s in services}
    n_tickets = 0
    events_per_ticket = max(1, events // (days * per_day))
    ev_left = events
    with store.transaction() as c:
        c.executemany("INSERT OR IGNORE INTO staff (id, name, role) VALUES (?, ?, 'clerk')",
                      [(f"c{i:02d}", f"工作人员{i}") for i in range(1, 19)])
    for day in dates:
        date = day.isoformat()
        t0 = dt.datetime(day.year, day.month, day.day, 8, 30, tzinfo=tz).timestamp()
        tickets, ratings, refusals, cases, evs = [], [], [], [], []
        matters, visits = [], []
        counters: dict[str, int] = {}
        for i in range(per_day):
            svc = rng.choices(services, weights)[0]
            counters[svc.id] = counters.get(svc.id, 0) + 1
            seq = counters[svc.id]
            issued = t0 + rng.random() * 8.5 * 3600
            called = issued + rng.expovariate(1 / 900)
            started = called + rng.uniform(20, 120)
            finished = started + rng.gammavariate(4, 60 * (svc.avg_minutes or 8) / 4)
            window = rng.choice(by_service[svc.id] or ["w01"])
            roll = rng.random()
            state = "done" if roll < 0.9 else ("no_show" if roll < 0.95 else ("refused" if roll < 0.98 else "walked_out"))
            tid = f"{date}-{i}"
            r_out = rng.random()
            outcome = (("accepted_pending" if r_out < 0.05 else "accepted" if r_out < 0.15 else "completed")
                       if state == "done" else None)
            detail = json.dumps({"pending_materials": [rng.choice(materials[svc.id])]}, ensure_ascii=False) if outcome == "accepted_pending" else None
            tickets.append((tid, date, svc.id, f"{svc.prefix}{seq:03d}", seq, "normal", 2, "kiosk", state,
                            issued, issued, None if state == "walked_out" else called,
                            started if state in ("done", "refused") else None,
                            finished if state in ("done", "refused") else (called if state == "no_show" else issued + 600),
                            window, f"c{int(window[1:]):02d}", outcome, detail, None))
            if outcome in ("accepted", "accepted_pending"):
                # A matter (办件) with 1-3 visits; decided within 0.2-1.3 of its promise.
                mid = f"m{tid}"
                owed = [{"name": rng.choice(materials[svc.id]), "supplied_at": finished + 86400, "supplied_by": "c01"}] \
                    if outcome == "accepted_pending" else []
                decided = finished + 86400 * max(1, round(svc.promise_days * rng.uniform(0.2, 1.3)))
                matters.append((mid, f"BJ{date.replace('-', '')}-{i:04d}", svc.id, tid, window, finished, date,
                                svc.matter_kind, svc.promise_days, date, "collected",
                                json.dumps(materials[svc.id], ensure_ascii=False), json.dumps(owed, ensure_ascii=False),
                                decided, decided, decided + 86400, finished))
                visits.append((f"v{tid}", mid, tid, "accept", finished, date))
                if owed:
                    visits.append((f"w{tid}", mid, None, "supply", finished + 86400, date))
                if rng.random() < 0.85:
                    visits.append((f"p{tid}", mid, None, "pickup", decided + 86400, date))
            if state in ("done", "refused") and rng.random() < 0.7:
                level = rng.choices([5, 4, 3, 2, 1], [70, 18, 7, 3, 2])[0]
                rid = f"r{tid}"
                ratings.append((rid, tid, window, f"c{int(window[1:]):02d}", svc.id, date, level, "[]", "pad", finished + 30))
                if level <= 2:
                    cases.append((f"k{tid}", "rating", rid, tid, window, svc.id, "差评", "closed", finished + 30, date,
                                  date, date, date, finished + 86400))
            if state == "refused":
                refusals.append((f"f{tid}", tid, window, svc.id, "missing_materials",
                                 json.dumps([rng.choice(materials[svc.id])], ensure_ascii=False), date, finished))
        with store.transaction() as c:
            c.executemany(f"INSERT INTO tickets ({','.join(TICKET_COLS)}) VALUES ({','.join('?' * len(TICKET_COLS))})",
                          tickets)
            c.executemany("INSERT INTO ratings (id, ticket_id, window_id, staff_id, service_id, business_date, level, "
                          "reasons, channel, at) VALUES (?,?,?,?,?,?,?,?,?,?)", ratings)
            c.executemany("INSERT INTO refusals (id, ticket_id, window_id, service_id, kind, materials, business_date, at, "
                          "text) VALUES (?,?,?,?,?,?,?,?,'')", refusals)
            c.executemany("INSERT INTO cases (id, source, rating_id, ticket_id, window_id, service_id, summary, state, "
                          "opened_at, business_date, revisit_due, rectify_due, reply_due, closed_at) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", cases)
            c.executemany("INSERT INTO matters (id, code, service_id, ticket_id, window_id, accepted_at, business_date, "
                          "kind, promise_days, due_date, state, received, owed, decided_at, ready_at, closed_at, "
                          "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", matters)
            c.executemany("INSERT INTO matter_visits (id, matter_id, ticket_id, kind, at, business_date) "
                          "VALUES (?,?,?,?,?,?)", visits)
            n = min(ev_left, events_per_ticket * len(tickets)) if day != dates[-1] else ev_left
            types = ("ticket.issued", "ticket.called", "ticket.started", "ticket.finished", "rating.given")
            for k in range(n):
                evs.append((f"e{date}-{k}", types[k % 5], t0 + k, date, '{"ticket":{"id":"x"}}'))
            c.executemany("INSERT INTO events (id, type, at, business_date, payload) VALUES (?,?,?,?,?)", evs)
            ev_left -= n
        n_tickets += len(tickets)
    store.close()
    return {"tickets": n_tickets, "days": len(dates), "first_day": dates[0].isoformat(), "last_day": dates[-1].isoformat()}


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--per-day", type=int, default=1000)
    ap.add_argument("--db", help="reuse or keep the database here (built when missing)")
    args = ap.parse_args()
    tmp = None
    if args.db:
        path = Path(args.db)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="ow-bench-reports-")
        path = Path(tmp.name) / "hall.db"
    built = None
    t_build = time.perf_counter()
    if not path.exists():
        built = build(path, args.events, args.days, args.per_day)
    t_build = time.perf_counter() - t_build
    store = Store.open(path)
    with store.read() as c:
        n_events = c.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        n_tickets = c.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        last = c.execute("SELECT MAX(business_date) FROM tickets").fetchone()[0]
    # the last full month before the newest day
    month_start, month_end = period_range("month", (dt.date.fromisoformat(last).replace(day=1) - dt.timedelta(days=1)))
    prev = previous_range(month_start, month_end, "month")

    def baseline():
        with store.read() as c:
            return len(c.execute("SELECT * FROM tickets WHERE business_date BETWEEN ? AND ?",
                                 (month_start, month_end)).fetchall())

    t_base, month_rows = timed(baseline)
    t_report, rep = timed(lambda: period_report(store, month_start, month_end, "Asia/Shanghai"))
    t_advice, adv = timed(lambda: advice(store, month_start, month_end, "Asia/Shanghai", prev_range=prev))
    t_both, _ = timed(lambda: (period_report(store, month_start, month_end, "Asia/Shanghai",
                                             data=load_period(store, month_start, month_end)),
                               advice(store, month_start, month_end, "Asia/Shanghai", prev_range=prev)))
    t_plots, _ = timed(lambda: [render_plot(rep, name) for name in PLOTS], repeat=1)
    # 一次办好率 (hall/matters_report.py): the month, and the year the /admin/matters page opens on.
    from hall.matters_report import one_visit_report
    from hall.workdays import WorkCalendar

    cal = WorkCalendar()
    t_matters_month, mrep = timed(lambda: one_visit_report(store, cal, month_start, month_end, today=last))
    t_matters_year, _ = timed(lambda: one_visit_report(store, cal, None, last, today=last))
    store.close()
    total = t_report + t_advice
    out = {
        "bench": "reports", "events": n_events, "tickets": n_tickets, "month": [month_start, month_end],
        "month_tickets": month_rows, "build_seconds": round(t_build, 1) if built else None,
        "baseline_fetch_s": round(t_base, 3), "month_report_s": round(t_report, 3), "advice_s": round(t_advice, 3),
        "report_plus_advice_s": round(total, 3), "plots_png_s": round(t_plots, 3),
        "ratio": round(total / t_base, 1) if t_base else None, "target_s": 3.0, "within_target": total <= 3.0,
        "advice_items": {k: len(adv[k]) for k in ("staffing", "bad_ratings", "materials")},
        "month_tickets_issued": rep["totals"]["tickets_issued"], "report_and_advice_one_fetch_s": round(t_both, 3),
        "one_visit_month_s": round(t_matters_month, 3), "one_visit_year_s": round(t_matters_year, 3),
        "month_matters": (mrep["total"] or {}).get("matters"),
    }
    if tmp is not None:
        tmp.cleanup()
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
