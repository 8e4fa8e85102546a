"""Figures for a business day (and longer periods): tickets, waits, outcomes, ratings, cases."""

from __future__ import annotations

import statistics

from hall.events import count_events_of_day
from hall.store import Store


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _minutes(v: float | None) -> float | None:
    return None if v is None else round(v / 60, 1)


def day_summary(store: Store, date: str) -> dict:
    """The day's summary as plain data (also what `onewindow report day` prints)."""
    with store.read() as c:
        tickets = [dict(r) for r in c.execute(
            "SELECT id, service_id, state, priority, source, issued_at, called_at, started_at, finished_at, "
            "seq_no, transferred_from, outcome FROM tickets WHERE business_date = ?", (date,))]
        ratings = [dict(r) for r in c.execute(
            "SELECT level, is_default, excluded FROM ratings WHERE business_date = ?", (date,))]
        refusals = dict(c.execute("SELECT kind, COUNT(*) FROM refusals WHERE business_date = ? GROUP BY kind", (date,)).fetchall())
        complaints = c.execute("SELECT COUNT(*) FROM complaints WHERE business_date = ?", (date,)).fetchone()[0]
        cases_opened = c.execute("SELECT COUNT(*) FROM cases WHERE business_date = ?", (date,)).fetchone()[0]
        cases_open = c.execute("SELECT COUNT(*) FROM cases WHERE state != 'closed'").fetchone()[0]
        help_raised = c.execute("SELECT COUNT(*) FROM help_requests WHERE business_date = ?", (date,)).fetchone()[0]
        names = dict(c.execute("SELECT id, name_zh FROM services").fetchall())
        events = count_events_of_day(c, date)
    issued = [t for t in tickets if t["seq_no"] is not None]
    by_state: dict[str, int] = {}
    for t in tickets:
        by_state[t["state"]] = by_state.get(t["state"], 0) + 1
    waits = [t["called_at"] - t["issued_at"] for t in tickets if t["called_at"] and t["transferred_from"] is None]
    services = [t["finished_at"] - t["started_at"] for t in tickets
                if t["finished_at"] and t["started_at"] and t["state"] in ("done", "refused", "transferred")]
    by_service: dict[str, dict] = {}
    for t in issued:
        s = by_service.setdefault(t["service_id"], {"service": names.get(t["service_id"], t["service_id"]),
                                                     "issued": 0, "done": 0, "waits": []})
        s["issued"] += 1
    for t in tickets:
        if t["state"] == "done" and t["service_id"] in by_service:
            by_service[t["service_id"]]["done"] += 1
        if t["called_at"] and t["transferred_from"] is None and t["service_id"] in by_service:
            by_service[t["service_id"]]["waits"].append(t["called_at"] - t["issued_at"])
    service_rows = []
    for sid, s in sorted(by_service.items(), key=lambda kv: -kv[1]["issued"]):
        service_rows.append({"service_id": sid, "service": s["service"], "issued": s["issued"], "done": s["done"],
                             "wait_median_min": _minutes(statistics.median(s["waits"]) if s["waits"] else None),
                             "wait_p90_min": _minutes(_pct(s["waits"], 0.9))})
    counted = [r for r in ratings if not r["excluded"]]
    served = sum(1 for t in tickets if t["state"] in ("done", "refused"))
    good = sum(1 for r in counted if r["level"] >= 4)
    bad = sum(1 for r in counted if r["level"] <= 2)
    return {
        "business_date": date,
        "tickets_issued": len(issued),
        "by_priority": {p: sum(1 for t in issued if t["priority"] == p) for p in ("normal", "green", "appointment")},
        "by_state": by_state,
        "served": served,
        "no_show": by_state.get("no_show", 0),
        "walked_out": by_state.get("walked_out", 0),
        "transferred": by_state.get("transferred", 0),
        "refusals": refusals,
        "wait_median_min": _minutes(statistics.median(waits) if waits else None),
        "wait_p90_min": _minutes(_pct(waits, 0.9)),
        "service_median_min": _minutes(statistics.median(services) if services else None),
        "ratings": {
            "count": len(counted),
            "by_level": {str(lv): sum(1 for r in counted if r["level"] == lv) for lv in range(5, 0, -1)},
            "good_rate": round(good / len(counted), 4) if counted else None,       # 好评率
            "bad_rate": round(bad / len(counted), 4) if counted else None,         # 差评率
            "unrated_rate": round(1 - len(ratings) / served, 4) if served else None,  # 未评价率
        },
        "complaints": complaints,
        "cases_opened": cases_opened,
        "cases_open_now": cases_open,
        "help_requests": help_raised,
        "events": events,
        "services": service_rows,
    }


def format_day_summary(s: dict) -> str:
    """Plain text for the terminal, Chinese first."""
    r = s["ratings"]

    def pct(v):
        return "—" if v is None else f"{v * 100:.1f}%"

    lines = [
        f"营业日 Business day: {s['business_date']}",
        f"取号 Tickets issued: {s['tickets_issued']}  (绿色通道 green {s['by_priority']['green']}, "
        f"预约 appointment {s['by_priority']['appointment']})",
        f"办理 Served: {s['served']}   过号 No-show: {s['no_show']}   离开 Walked out: {s['walked_out']}   "
        f"转办 Transferred: {s['transferred']}",
        f"等候 Wait: median {s['wait_median_min']} min, p90 {s['wait_p90_min']} min;  "
        f"办理 service median {s['service_median_min']} min",
        f"说No报告 Refusals: {s['refusals'] or 0}",
        f"评价 Ratings: {r['count']}  好评率 {pct(r['good_rate'])}  差评率 {pct(r['bad_rate'])}  "
        f"未评价率 {pct(r['unrated_rate'])}",
        f"吐槽找茬 Complaints: {s['complaints']}   工单 Cases opened: {s['cases_opened']} (open now {s['cases_open_now']})",
        f"帮办 Help requests: {s['help_requests']}   事件 Events: {s['events']}",
        "",
        f"{'业务 Service':<24}{'取号':>6}{'办结':>6}{'等候中位':>10}{'等候P90':>10}",
    ]
    for row in s["services"]:
        lines.append(f"{row['service'][:12]:<24}{row['issued']:>6}{row['done']:>6}"
                     f"{row['wait_median_min'] if row['wait_median_min'] is not None else '—':>10}"
                     f"{row['wait_p90_min'] if row['wait_p90_min'] is not None else '—':>10}")
    return "\n".join(lines)
