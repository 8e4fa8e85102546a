"""Report figures against simulated days, each figure recomputed independently from the raw rows
(SQL aggregates and statistics.quantiles rather than the report's own code)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import statistics

import pytest

from hall.config import always_open_text, load_config, parse_config, write_example_config
from hall.engine import Engine, ManualClock
from hall.reports import day_summary
from hall.reports_period import period_range, period_report, render_plot, table_csv
from hall.simday import simulate_day
from hall.store import Store

TZ = "Asia/Shanghai"
DAY1, DAY2 = dt.date(2026, 11, 24), dt.date(2026, 11, 25)   # Tuesday, Wednesday


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """Two simulated business days in one real SQLite file."""
    tmp = tmp_path_factory.mktemp("sim")
    cfg = load_config(write_example_config(tmp / "hall.toml", always_open=False))
    store = Store.open(tmp / "hall.db")
    simulate_day(store, cfg, DAY1, tickets=220, seed=11)
    simulate_day(store, cfg, DAY2, tickets=260, seed=12)
    yield store, cfg
    store.close()


def _p90(values):
    # statistics' "inclusive" method is the same linear interpolation between order statistics
    # that a spreadsheet's PERCENTILE.INC uses: an independent reference.
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def _rows(store, sql, args=()):
    with store.read() as c:
        return c.execute(sql, args).fetchall()


def test_day_totals_match_raw_rows(sim):
    store, _ = sim
    day = DAY2.isoformat()
    rep = period_report(store, day, day, TZ)
    t = rep["totals"]
    issued = _rows(store, "SELECT COUNT(*) FROM tickets WHERE business_date = ? AND seq_no IS NOT NULL", (day,))[0][0]
    no_show = _rows(store, "SELECT COUNT(*) FROM tickets WHERE business_date = ? AND state = 'no_show'", (day,))[0][0]
    served = _rows(store, "SELECT COUNT(*) FROM tickets WHERE business_date = ? AND state IN ('done','refused')", (day,))[0][0]
    assert issued > 150 and t["tickets_issued"] == issued
    assert t["no_show"] == no_show and t["no_show_rate"] == round(no_show / issued, 4)
    assert t["served"] == served
    waits = [r[0] for r in _rows(store, "SELECT called_at - issued_at FROM tickets WHERE business_date = ? "
                                        "AND called_at IS NOT NULL AND transferred_from IS NULL", (day,))]
    assert t["wait_median_min"] == round(statistics.median(waits) / 60, 1)
    assert t["wait_p90_min"] == round(_p90(waits) / 60, 1)
    # ratings: GB/T 39734 indicators
    lv = [r[0] for r in _rows(store, "SELECT level FROM ratings WHERE business_date = ? AND excluded = 0", (day,))]
    n_all = _rows(store, "SELECT COUNT(*) FROM ratings WHERE business_date = ?", (day,))[0][0]
    assert rep["ratings"]["count"] == len(lv) > 50
    assert rep["ratings"]["good_rate"] == round(sum(v >= 4 for v in lv) / len(lv), 4)
    assert rep["ratings"]["bad_rate"] == round(sum(v <= 2 for v in lv) / len(lv), 4)
    assert rep["ratings"]["unrated_rate"] == round((served - n_all) / served, 4)
    # the lead's day summary and the period report agree on what they share
    s = day_summary(store, day)
    assert (s["tickets_issued"], s["wait_median_min"], s["wait_p90_min"]) == (issued, t["wait_median_min"], t["wait_p90_min"])
    assert (s["ratings"]["good_rate"], s["ratings"]["bad_rate"]) == (rep["ratings"]["good_rate"], rep["ratings"]["bad_rate"])


def test_tables_by_service_hour_window_and_refusal_kind(sim):
    store, _ = sim
    day = DAY1.isoformat()
    rep = period_report(store, day, day, TZ)
    tables = {x["id"]: x for x in rep["tables"]}
    by_svc = {r["service_id"]: r for r in tables["services"]["rows"]}
    expected = dict(_rows(store, "SELECT service_id, COUNT(*) FROM tickets WHERE business_date = ? AND seq_no IS NOT NULL "
                                 "GROUP BY service_id", (day,)))
    assert {k: v["issued"] for k, v in by_svc.items() if v["issued"]} == expected
    for sid, row in by_svc.items():
        svc = [r[0] for r in _rows(store, "SELECT finished_at - started_at FROM tickets WHERE business_date = ? AND "
                                          "service_id = ? AND finished_at IS NOT NULL AND started_at IS NOT NULL AND "
                                          "state IN ('done','refused','transferred')", (day, sid))]
        assert row["service_p90_min"] == (round(_p90(svc) / 60, 1) if svc else None), sid
    # by hour of issue, in the hall's time zone (SQLite does the clock arithmetic here)
    hours = dict(_rows(store, "SELECT strftime('%H', issued_at, 'unixepoch', '+8 hours') || ':00', COUNT(*) FROM tickets "
                              "WHERE business_date = ? AND seq_no IS NOT NULL GROUP BY 1", (day,)))
    assert {r["hour"]: r["issued"] for r in tables["hours"]["rows"]} == hours
    # rating rates per window
    for row in tables["windows"]["rows"]:
        lv = [r[0] for r in _rows(store, "SELECT level FROM ratings WHERE business_date = ? AND window_id = ? "
                                         "AND excluded = 0", (day, row["id"]))]
        assert row["ratings"] == len(lv)
        assert row["bad_rate"] == (round(sum(v <= 2 for v in lv) / len(lv), 4) if lv else None)
    # window rows are in window-number order, as on the hall floor
    numbers = [int(re.match(r"(\d+)号", r["window"]).group(1)) for r in tables["windows"]["rows"]]
    assert numbers == sorted(numbers)
    kinds = dict(_rows(store, "SELECT kind, COUNT(*) FROM refusals WHERE business_date = ? GROUP BY kind", (day,)))
    got = {r["kind"]: r["count"] for r in tables["handoffs"]["rows"] if r["kind"] != "transfer"}
    assert {k: v for k, v in got.items() if v} == kinds and sum(kinds.values()) > 0


def test_week_report_spans_both_days_and_plots_render(sim):
    store, _ = sim
    start, end = period_range("week", DAY2)
    assert (start, end) == ("2026-11-23", "2026-11-29")
    rep = period_report(store, start, end, TZ)
    days = {r["business_date"]: r["issued"] for r in {x["id"]: x for x in rep["tables"]}["days"]["rows"]}
    assert set(days) == {DAY1.isoformat(), DAY2.isoformat()}
    assert rep["totals"]["tickets_issued"] == sum(days.values())
    png = render_plot(rep, "waits")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    svg = render_plot(rep, "hours", "svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_csv_export_has_every_row_and_both_languages(sim):
    store, _ = sim
    rep = period_report(store, DAY1.isoformat(), DAY1.isoformat(), TZ)
    table = next(x for x in rep["tables"] if x["id"] == "services")
    text = table_csv(table)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "业务 Service" and len(rows) == len(table["rows"]) + 1
    assert rows[1][0] == table["rows"][0]["service"]


def test_empty_day_gives_empty_figures_not_errors(store):
    rep = period_report(store, "2026-11-26", "2026-11-26", TZ)
    assert rep["totals"]["tickets_issued"] == 0
    assert rep["totals"]["wait_median_min"] is None and rep["ratings"]["good_rate"] is None
    assert rep["ratings"]["unrated_rate"] is None
    assert all(x["rows"] == [] for x in rep["tables"] if x["id"] not in ("ratings", "handoffs", "cases"))
    for name in ("hours", "waits", "ratings", "days"):
        assert render_plot(rep, name)[:4] == b"\x89PNG"


def test_a_day_across_the_rollover_hour_keeps_night_tickets_on_its_business_day(tmp_path):
    # Open around the clock, but the business day changes at 03:00: a ticket at 01:30 still
    # belongs to the evening before.
    text = always_open_text(write_example_config(tmp_path / "h.toml", always_open=False).read_text(encoding="utf-8"))
    text = re.sub(r'(?m)^rollover\s*=.*$', 'rollover = "03:00"', text)
    cfg = parse_config(text)
    store = Store.open(tmp_path / "hall.db")
    tz = cfg.tz

    def at(day, hh, mm):
        return dt.datetime(2026, 11, day, hh, mm, tzinfo=tz).timestamp()

    clock = ManualClock(at(26, 23, 0))
    engine = Engine(store, cfg, clock)
    engine.add_staff("c1", "张晓明", "clerk")
    engine.sign_in("w03", "c1")
    engine.open_window("w03")
    plan = [(at(26, 23, 40), 600), (at(27, 1, 30), 300), (at(27, 4, 0), 120)]
    for when, wait in plan:
        clock.set(when)
        engine.issue_ticket("biz-setup")
        clock.advance(wait)
        if engine.window_state("w03")["state"] != "open":   # the rollover closes every window
            engine.sign_in("w03", "c1")
            engine.open_window("w03")
        engine.call_next("w03")
        engine.start("w03")
        clock.advance(300)
        engine.finish("w03", "completed")
    night = period_report(store, "2026-11-26", "2026-11-26", tz)
    assert night["totals"]["tickets_issued"] == 2
    assert [r["hour"] for r in {x["id"]: x for x in night["tables"]}["hours"]["rows"]] == ["01:00", "23:00"]
    assert night["totals"]["wait_median_min"] == round(statistics.median([600, 300]) / 60, 1)
    morning = period_report(store, "2026-11-27", "2026-11-27", tz)
    assert morning["totals"]["tickets_issued"] == 1 and morning["totals"]["wait_median_min"] == 2.0
    store.close()


def test_case_closure_within_deadline(store, engine, clock):
    # Two complaints on Friday 27 Nov: one closed on Monday (in time: 5 working days), one
    # closed a fortnight later (late); the report counts one in time.
    cases = []
    for text in ("窗口推诿", "等候太久"):
        engine.file_complaint("attitude", text)
    with store.read() as c:
        cases = [r[0] for r in c.execute("SELECT id FROM cases ORDER BY opened_at")]
    for i, case_id in enumerate(cases):
        clock.set(clock.now() + (3 * 86400 if i == 0 else 14 * 86400))
        for step, note in (("verify", ""), ("rectify", "已整改"), ("revisit", "已回访，群众满意"), ("close", "办结")):
            engine.advance_case(case_id, step, "m1", note)
    rep = period_report(store, "2026-11-27", "2026-11-27", TZ)
    row = rep["closure"]["complaint"]
    assert (row["opened"], row["closed"], row["closed_in_time"]) == (2, 2, 1)
    assert row["closed_in_time_rate"] == 0.5
