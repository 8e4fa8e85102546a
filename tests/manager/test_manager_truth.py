"""The manager's figures tell the truth: in-time rates over due cases only, the waits plot
shows the worst waits, and a queue nobody serves raises an alert."""

from __future__ import annotations

from hall.reports_period import period_report

TZ = "Asia/Shanghai"


def test_cases_not_yet_due_are_not_counted_late(store, engine, clock):
    # Friday 27 Nov: two complaints (reply due in 5 working days: Friday 4 Dec). One is
    # closed on Monday; the other is still open on Tuesday, not yet due.
    for text in ("窗口推诿", "等候太久"):
        engine.file_complaint("attitude", text)
    with store.read() as c:
        first = c.execute("SELECT id FROM cases ORDER BY opened_at").fetchone()[0]
    clock.set(clock.now() + 3 * 86400)
    for step, note in (("verify", ""), ("rectify", "已整改"), ("revisit", "已回访"), ("close", "办结")):
        engine.advance_case(first, step, "m1", note)
    row = period_report(store, "2026-11-27", "2026-11-27", TZ, today="2026-12-01")["closure"]["complaint"]
    assert (row["opened"], row["due"], row["closed_in_time"], row["not_yet_due"]) == (2, 1, 1, 1)
    assert row["closed_in_time_rate"] == 1.0          # was 0.5: the open case counted as late
    # after its reply date the open case is due, and late
    row = period_report(store, "2026-11-27", "2026-11-27", TZ, today="2026-12-07")["closure"]["complaint"]
    assert (row["due"], row["closed_in_time"]) == (2, 1) and row["closed_in_time_rate"] == 0.5
    # nothing due yet: no rate rather than 0.0 %
    engine.file_complaint("attitude", "新的一条")
    rep = period_report(store, "2026-12-01", "2026-12-01", TZ, today="2026-12-01")
    assert rep["closure"]["complaint"]["closed_in_time_rate"] is None


def test_waits_plot_shows_the_worst_p90_first(monkeypatch):
    from hall import reports_period as rp

    rows = [{"service": f"忙{i}", "wait_p90_min": 5.0, "wait_median_min": 2.0} for i in range(14)]
    rows.append({"service": "冷门但久等", "wait_p90_min": 95.0, "wait_median_min": 60.0})
    report = {"tables": [{"id": "services", "rows": rows}], "start": "2026-11-27", "end": "2026-11-27",
              "ratings": {}}
    seen = {}
    plt = rp._pyplot()
    real = plt.Axes.barh

    def spy(self, names, values, **kw):
        seen.setdefault("names", list(names))
        return real(self, names, values, **kw)

    monkeypatch.setattr(plt.Axes, "barh", spy)
    png = rp.render_plot(report, "waits")
    assert png[:4] == b"\x89PNG"
    assert seen["names"][-1] == "冷门但久等"     # the top bar (barh draws bottom-up)
    assert len(seen["names"]) == 12


def test_people_waiting_with_no_open_window_raise_an_alert(store, engine, clock, open_window):
    from hall.advice import live_view

    open_window("w03")
    engine.issue_ticket("cons-permit")        # 建筑工程施工许可: only w06 serves it, and it is closed
    engine.issue_ticket("biz-setup")
    view = live_view(engine)
    alerts = [a for a in view["alerts"] if a.get("kind") == "no_window"]
    assert len(alerts) == 1 and "建筑工程施工许可" in alerts[0]["text_zh"] and "1 人在等" in alerts[0]["text_zh"]
    assert "no open window" in alerts[0]["text_en"]
    row = next(r for r in view["services"] if r["id"] == "cons-permit")
    assert row["alert"] is True and row["open_windows"] == 0
