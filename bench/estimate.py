"""How wrong is the wait a citizen is told? A simulated business day against the real engine.

The shipped example hall (18 windows: shared fifo windows, an `order` window, a `ratio`
window, one window for three services), all windows open with one clerk each, citizens
arriving through the day in two peaks, service times drawn around each service's configured
average (log-normal, so some take much longer). At every issue the bench records the
estimate the engine gave (hall/estimate.py: per open window, by its profile) and, on the
same database at the same instant, the estimate of the formula used before (people ahead in
the same service x average / open windows serving it, at most 3). When the ticket is called,
the actual wait is known. Reported: median and p90 of |estimated - actual| in minutes for
both, their ratio, the bias, and the cost of one estimate for each (microseconds).

Also the reported case alone: one clerk at w14 (trans-permit JT, tal-graduate GX, fifo), five
JT waiting, then GX001: what each formula tells GX001, and when it is really called.

The last line of output is one JSON object; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall.config import EXAMPLE_PATH, always_open_text, parse_config  # noqa: E402
from hall.engine import Engine, ManualClock  # noqa: E402
from hall.estimate import estimate, naive_estimate  # noqa: E402
from hall.store import Store  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 11, 27)             # a Friday
OPEN = dt.datetime(2026, 11, 27, 8, 30, tzinfo=TZ).timestamp()
CLOSE = dt.datetime(2026, 11, 27, 17, 0, tzinfo=TZ).timestamp()
STEP = 15.0


def log(msg: str) -> None:
    print(f"[bench/estimate] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def config():
    text = always_open_text(EXAMPLE_PATH.read_text(encoding="utf-8"))
    return parse_config(text, "bench")


def open_engine(tmp: Path, name: str, cfg, start: float) -> tuple[Engine, ManualClock, Store]:
    store = Store.open(tmp / f"{name}.db")
    clock = ManualClock(start)
    engine = Engine(store, cfg, clock)
    return engine, clock, store


def simulate_day(tmp: Path, tickets: int, seed: int) -> dict:
    cfg = config()
    rng = random.Random(seed)
    engine, clock, store = open_engine(tmp, "day", cfg, OPEN - 600)
    default = cfg.queue.default_service_minutes
    for w in cfg.windows:
        engine.add_staff(f"s{w.number:02d}", f"窗口{w.number}", "clerk")
        engine.sign_in(w.id, f"s{w.number:02d}")
        engine.open_window(w.id)
    means = {s.id: 60.0 * (s.avg_minutes or default) for s in cfg.services}
    served_by = {s.id: sum(1 for w in cfg.windows if s.id in w.services) for s in cfg.services}
    # Demand per service: pinned services are busier; scaled so each window is busy ~85%.
    weight = {s.id: (3.0 if s.pinned else 1.0) for s in cfg.services}
    services = list(weight)
    day_len = CLOSE - OPEN

    def intensity(x: float) -> float:
        return 0.6 + math.exp(-((x - 0.2) / 0.12) ** 2) + 0.8 * math.exp(-((x - 0.65) / 0.12) ** 2)

    arrivals = []
    while len(arrivals) < tickets:
        x = rng.random()
        if rng.random() * 2.0 < intensity(x):
            arrivals.append((OPEN + x * day_len, rng.choices(services, [weight[s] for s in services])[0]))
    arrivals.sort()
    desks = {w.id: {"until": 0.0, "busy": False} for w in cfg.windows}
    told: dict[str, dict] = {}
    cost_new: list[float] = []
    cost_old: list[float] = []
    i = 0
    now = OPEN
    while now < CLOSE + 4 * 3600 and (i < len(arrivals) or any(d["busy"] for d in desks.values())
                                     or _waiting(store)):
        clock.set(now)
        while i < len(arrivals) and arrivals[i][0] <= now:
            sid = arrivals[i][1]
            t, _ = engine.issue_ticket(sid, priority_reason="elderly" if rng.random() < 0.05 else None)
            with store.read() as c:
                t0 = time.perf_counter()
                new = estimate(c, sid, t["rank"], t["sort_at"], default)
                t1 = time.perf_counter()
                old = naive_estimate(c, sid, t["rank"], t["sort_at"], default)
                t2 = time.perf_counter()
            cost_new.append(t1 - t0)
            cost_old.append(t2 - t1)
            told[t["id"]] = {"service": sid, "new": t["eta_at_issue"], "old": old.eta_minutes,
                             "new_check": new.eta_minutes}
            i += 1
        for wid, d in desks.items():
            if d["busy"] and d["until"] <= now:
                engine.finish(wid, "completed")
                d["busy"] = False
            if not d["busy"]:
                t = engine.call_next(wid)
                if t is not None:
                    mean = means[t["service_id"]]
                    sigma = 0.5
                    d["until"] = now + rng.lognormvariate(math.log(mean) - sigma ** 2 / 2, sigma)
                    d["busy"] = True
        now += STEP
    with store.read() as c:
        actual = {r[0]: (r[1] - r[2]) / 60 for r in c.execute(
            "SELECT id, called_at, issued_at FROM tickets WHERE called_at IS NOT NULL")}
    store.close()
    err_new, err_old, bias_new, bias_old = [], [], [], []
    for tid, est in told.items():
        if tid not in actual or est["new"] is None:
            continue
        err_new.append(abs(est["new"] - actual[tid]))
        err_old.append(abs(est["old"] - actual[tid]))
        bias_new.append(est["new"] - actual[tid])
        bias_old.append(est["old"] - actual[tid])
    waits = list(actual.values())
    return {
        "tickets": len(told), "called": len(err_new),
        "wait_median_min": round(statistics.median(waits), 1), "wait_p90_min": round(pct(waits, 0.9), 1),
        "new": {"abs_err_median_min": round(statistics.median(err_new), 2),
                "abs_err_p90_min": round(pct(err_new, 0.9), 2),
                "bias_median_min": round(statistics.median(bias_new), 2),
                "estimate_us_p50": round(pct(cost_new, 0.5) * 1e6, 1),
                "estimate_us_p99": round(pct(cost_new, 0.99) * 1e6, 1)},
        "old": {"abs_err_median_min": round(statistics.median(err_old), 2),
                "abs_err_p90_min": round(pct(err_old, 0.9), 2),
                "bias_median_min": round(statistics.median(bias_old), 2),
                "estimate_us_p50": round(pct(cost_old, 0.5) * 1e6, 1),
                "estimate_us_p99": round(pct(cost_old, 0.99) * 1e6, 1)},
        "windows_shared": sum(1 for n in served_by.values() if n > 1),
    }


def _waiting(store: Store) -> bool:
    with store.read() as c:
        return c.execute("SELECT 1 FROM tickets WHERE state = 'waiting' LIMIT 1").fetchone() is not None


def reported_case(tmp: Path) -> dict:
    """One clerk at w14 (JT and GX, fifo), five JT waiting, then GX001."""
    cfg = config()
    engine, clock, store = open_engine(tmp, "w14", cfg, OPEN + 3600)
    default = cfg.queue.default_service_minutes
    engine.add_staff("c14", "窗口14", "clerk")
    engine.sign_in("w14", "c14")
    engine.open_window("w14")
    for _ in range(5):
        engine.issue_ticket("trans-permit")
        clock.advance(20)
    gx, _ = engine.issue_ticket("tal-graduate")
    with store.read() as c:
        old = naive_estimate(c, "tal-graduate", gx["rank"], gx["sort_at"], default)
    order = []
    while (t := engine.call_next("w14")) is not None:
        order.append(t["number"])
        engine.finish("w14", "completed")
    store.close()
    return {"gx_number": gx["number"], "new": {"ahead": gx["ahead_at_issue"], "eta_min": gx["eta_at_issue"]},
            "old": {"ahead": old.ahead, "eta_min": old.eta_minutes},
            "called_as": order.index(gx["number"]) + 1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, nargs="+", default=[550, 800],
                    help="tickets per simulated day: a busy day, and an overloaded one")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    days = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        log("the reported case (w14)")
        case = reported_case(tmp)
        log(json.dumps(case, ensure_ascii=False))
        for n in args.tickets:
            log(f"a simulated day of {n} tickets")
            sub = tmp / str(n)
            sub.mkdir()
            day = simulate_day(sub, n, args.seed)
            new, old = day["new"], day["old"]
            day["abs_err_median_new_vs_old"] = round(new["abs_err_median_min"] / max(old["abs_err_median_min"], 1e-9), 3)
            day["abs_err_p90_new_vs_old"] = round(new["abs_err_p90_min"] / max(old["abs_err_p90_min"], 1e-9), 3)
            day["estimate_cost_p50_new_vs_old"] = round(new["estimate_us_p50"] / max(old["estimate_us_p50"], 1e-9), 2)
            log(json.dumps(day))
            days[str(n)] = day
    print(json.dumps({"bench": "estimate", "reported_case": case, "days": days}, ensure_ascii=False))


if __name__ == "__main__":
    main()
