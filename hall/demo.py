"""Demo stage of the hall core: the previous business day simulated into the demo database."""

from __future__ import annotations

import datetime as dt

from hall.check import check_invariants
from hall.config import always_open_text, load_config
from hall.reports import format_day_summary
from hall.simday import last_working_day, simulate_day
from hall.store import Store


def run(ctx) -> None:
    cfg = load_config(ctx.config_path)
    # The scripted day is yesterday's (or the last working day's); the live stages that follow
    # run today, around the clock, so the demo works at any hour.
    today = dt.datetime.now(cfg.tz).date()
    day = last_working_day(cfg, today - dt.timedelta(days=1))
    store = Store.open(ctx.db_path)
    try:
        result = simulate_day(store, cfg, day, tickets=600, seed=7)
        problems = check_invariants(store)
    finally:
        store.close()
    ctx.config_path.write_text(always_open_text(ctx.config_path.read_text(encoding="utf-8")), encoding="utf-8")
    ctx.path("day-summary.txt").write_text(format_day_summary(result.summary) + "\n", encoding="utf-8")
    ctx.summary["day"] = result.summary
    ctx.summary["db_check"] = problems or "ok"
    if problems:
        raise RuntimeError(f"db check found {len(problems)} problems: {problems[:3]}")
