"""Service-optimisation advice and the live hall's alerts, on data with known answers."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from hall import advice
from hall.reports_period import PeriodData

TZ = dt.timezone(dt.timedelta(hours=8))


def _erlang_c_textbook(c: int, a: float) -> float:
    # The closed form, written independently of hall.advice's recurrence.
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize("c, a", [(2, 1.0), (3, 2.5), (6, 5.0), (12, 9.7)])
def test_erlang_c_matches_the_closed_form(c, a):
    assert advice.erlang_c(c, a) == pytest.approx(_erlang_c_textbook(c, a), rel=1e-9)


@pytest.mark.parametrize("per_hour, minutes", [(30, 10), (24, 10), (40, 6), (9, 20)])
def test_windows_needed_is_the_smallest_count_meeting_the_target(per_hour, minutes):
    # The target: 90% of citizens called within 20 minutes (M/M/c).
    n = advice.windows_needed(per_hour, minutes, 20)
    load = per_hour * minutes / 60

    def late(c):
        if c <= load:
            return 1.0
        return _erlang_c_textbook(c, load) * math.exp(-(c * 60 / minutes - per_hour) * 20 / 60)

    assert late(n) <= 0.1 < late(n - 1)


def test_windows_needed_known_values():
    assert advice.windows_needed(30, 10, 20) == 6
    assert advice.windows_needed(0, 10, 20) == 0
    assert advice.windows_needed(60, 10, 20) > advice.windows_needed(30, 10, 20)


def _ticket(i, day, svc, issued, called, started=None, finished=None, state="done", window="w03", seq=1,
            outcome="completed", detail=None, from_=None):
    return (f"t{i}", day, svc, state, "normal", issued, called, started, finished, seq, from_, window, "c1",
            outcome, json.dumps(detail) if detail else None, "kiosk")


def _data(tickets=(), ratings=(), refusals=()):
    services = {"biz-setup": {"name_zh": "企业设立登记", "materials": "[\"章程\", \"申请书\"]", "position": 0, "active": 1,
                              "kind": "accept", "name_en": ""},
                "biz-seal": {"name_zh": "印章刻制备案", "materials": "[]", "position": 1, "active": 1,
                             "kind": "accept", "name_en": ""}}
    windows = {"w03": {"number": 3, "name_zh": "企业综合受理", "services": "[]"},
               "w04": {"number": 4, "name_zh": "企业综合受理", "services": "[]"}}
    return PeriodData("2026-11-24", "2026-11-24", list(tickets), list(ratings), list(refusals), [], [],
                      services, windows, {"c1": "张晓明"})


def test_staffing_advice_for_a_peak_hour_with_the_figures_behind_it():
    base = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TZ).timestamp()
    tickets = []
    # 10:00-11:00: 24 arrivals, each waited 40 min, served 10 min by one window (w03)
    for i in range(24):
        issued = base + i * 150
        tickets.append(_ticket(i, "2026-11-24", "biz-setup", issued, issued + 2400, issued + 2400, issued + 3000))
    # 14:00: a quiet hour, short waits: no advice for it
    for i in range(10):
        issued = base + 4 * 3600 + i * 300
        tickets.append(_ticket(100 + i, "2026-11-24", "biz-setup", issued, issued + 60, issued + 60, issued + 660))
    [a] = advice.staffing_advice(_data(tickets), TZ)
    assert a["service_id"] == "biz-setup" and [h["hour"] for h in a["hours"]] == ["10:00"]
    h = a["hours"][0]
    assert h["p90_wait_min"] == 40.0 and h["arrivals_per_day"] == 24 and h["windows_now"] == 1
    assert h["windows_needed"] == advice.windows_needed(24, 10, advice.WAIT_TARGET_P90_MINUTES)
    assert h["extra_windows"] == h["windows_needed"] - 1 >= 1
    assert "10:00–11:00" in a["text_zh"] and "再开" in a["text_zh"]


def test_unusual_bad_rating_rate_is_flagged_only_where_it_is_unusual():
    ratings = [(5, "w04", "c2", "biz-seal", 0, 0, f"x{i}") for i in range(190)]
    ratings += [(1, "w04", "c2", "biz-seal", 0, 0, f"y{i}") for i in range(4)]          # 2% at w04
    ratings += [(5, "w03", "c1", "biz-setup", 0, 0, f"z{i}") for i in range(28)]
    ratings += [(2, "w03", "c1", "biz-setup", 0, 0, f"v{i}") for i in range(12)]          # 30% at w03
    out = advice.bad_rating_advice(_data(ratings=ratings))
    assert {(a["target"], a["id"]) for a in out} == {("window", "w03"), ("service", "biz-setup")}
    w = next(a for a in out if a["target"] == "window")
    assert (w["ratings"], w["bad"], w["bad_rate"]) == (40, 12, 0.3)
    assert w["hall_bad_rate"] == round(16 / 234, 4)


def test_missing_materials_counts_refusals_and_accepted_pending():
    refusals = [("missing_materials", "biz-setup", "w03", "c1", json.dumps(["章程", "申请书"]), "new"),
                ("missing_materials", "biz-setup", "w03", "c1", json.dumps(["章程"]), "new"),
                ("redirect", "biz-setup", "w03", "c1", "[]", "new")]
    t = _ticket(1, "2026-11-24", "biz-setup", 0, 10, 10, 20, outcome="accepted_pending",
                detail={"pending_materials": ["章程"]})
    done = _ticket(2, "2026-11-24", "biz-setup", 0, 10, 10, 20, detail={"pending_materials": ["申请书"]})
    rows = advice.missing_materials(_data([t, done], refusals=refusals))
    assert [(r["material"], r["refusals"], r["pending"]) for r in rows] == [("章程", 2, 1), ("申请书", 1, 0)]


def test_live_view_alerts_on_long_waits_and_unanswered_help(engine, clock, open_window):
    open_window("w03")          # a window serves biz-setup (else: the no-window alert)
    engine.issue_ticket("biz-setup")
    help_request = engine.raise_help("kiosk-1", "老人需要帮助")
    view = advice.live_view(engine)
    assert view["alerts"] == [] and view["waiting_total"] == 1
    clock.advance(advice.ALERT_HELP_MINUTES * 60 + 5)
    assert [a["kind"] for a in advice.live_view(engine)["alerts"]] == ["help"]
    clock.advance(advice.ALERT_WAIT_MINUTES * 60)
    view = advice.live_view(engine)
    assert sorted(a["kind"] for a in view["alerts"]) == ["help", "wait"]
    row = next(s for s in view["services"] if s["id"] == "biz-setup")
    assert row["alert"] and row["longest_wait_min"] >= advice.ALERT_WAIT_MINUTES
    engine.acknowledge_help(help_request["id"], "c1")
    assert [a["kind"] for a in advice.live_view(engine)["alerts"]] == ["wait"]


def test_five_reductions_compares_materials_steps_and_time_with_the_previous_period(store, engine, hall_config,
                                                                                  open_window):
    from hall import config_layers

    open_window("w03", "c1")
    for _ in range(2):
        engine.issue_ticket("biz-setup")
        engine.call_next("w03")
        engine.start("w03")
        engine.clock.advance(600)
        engine.finish("w03", "completed")
    services = [dict(s) for s in config_layers.config_dict(hall_config)["services"]]
    services[0]["materials"] = services[0]["materials"][:2]          # 减材料: 5 -> 2
    config_layers.set_section(store, engine, hall_config, "services", services, "m1")
    out = advice.advice(store, "2026-11-01", "2026-11-30", "Asia/Shanghai", prev_range=("2026-10-01", "2026-10-31"))
    row = next(r for r in out["five_reductions"] if r["service_id"] == "biz-setup")
    assert (row["materials"], row["materials_before"]) == (2, 5)
    assert (row["citizens"], row["citizens_before"], row["steps"]) == (2, 0, 1.0)
    assert row["time_median_min"] == 10.0 and row["time_median_min_before"] is None
