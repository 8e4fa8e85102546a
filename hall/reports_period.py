"""Reports for a day, week or month: tables (with CSV), GB/T 39734 rating indicators, and plots.

Read-only over the state tables, by business date (index tickets_day, ratings_day,
refusals_day), so a month's report costs the month's rows, not the year's history.
Definitions follow hall.reports.day_summary: an issued ticket has a counter number (a
transfer's follow-up has none); a wait runs from issue to first call of an original ticket;
a service time runs from start to finish; 未评价率 = 1 - ratings / tickets served.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hall.models import RATING_ZH, REFUSAL_ZH
from hall.store import Store

PERIODS = ("day", "week", "month")


def period_range(kind: str, date: str | dt.date) -> tuple[str, str]:
    """The first and last business date of the day, ISO week or calendar month holding `date`."""
    d = dt.date.fromisoformat(date) if isinstance(date, str) else date
    if kind == "day":
        start = end = d
    elif kind == "week":
        start = d - dt.timedelta(days=d.isoweekday() - 1)
        end = start + dt.timedelta(days=6)
    elif kind == "month":
        start = d.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    else:
        raise ValueError(f"period must be one of {PERIODS}")
    return start.isoformat(), end.isoformat()


def previous_range(start: str, end: str, kind: str) -> tuple[str, str]:
    """The period of the same kind just before."""
    s = dt.date.fromisoformat(start)
    return period_range(kind, s - dt.timedelta(days=1))


def pct(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (the same rule as hall.reports)."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


@dataclass
class PeriodData:
    """The raw rows of a period, fetched once and shared by the report and the advice."""

    start: str
    end: str
    tickets: list[tuple]
    ratings: list[tuple]
    refusals: list[tuple]
    complaints: list[tuple]
    cases: list[tuple]
    services: dict[str, dict]
    windows: dict[str, dict]
    staff: dict[str, str]


# Column order of the fetched rows (tuples are far cheaper than dicts for a year's rows).
T_ID, T_DATE, T_SVC, T_STATE, T_PRIO, T_ISSUED, T_CALLED, T_STARTED, T_FINISHED, T_SEQ, T_FROM, \
    T_WINDOW, T_STAFF, T_OUTCOME, T_DETAIL, T_SOURCE = range(16)  # noqa: E501
R_LEVEL, R_WINDOW, R_STAFF, R_SVC, R_EXCLUDED, R_DEFAULT, R_TICKET = range(7)
F_KIND, F_SVC, F_WINDOW, F_STAFF, F_MATERIALS, F_STATE = range(6)


def load_period(store: Store, start: str, end: str) -> PeriodData:
    with store.read() as c:
        tickets = c.execute(
            "SELECT id, business_date, service_id, state, priority, issued_at, called_at, started_at, finished_at, "
            "seq_no, transferred_from, window_id, staff_id, outcome, outcome_detail, source "
            "FROM tickets WHERE business_date BETWEEN ? AND ?", (start, end)).fetchall()
        ratings = c.execute(
            "SELECT level, window_id, staff_id, service_id, excluded, is_default, ticket_id FROM ratings "
            "WHERE business_date BETWEEN ? AND ?", (start, end)).fetchall()
        refusals = c.execute(
            "SELECT kind, service_id, window_id, staff_id, materials, review_state FROM refusals "
            "WHERE business_date BETWEEN ? AND ?", (start, end)).fetchall()
        complaints = c.execute(
            "SELECT kind, category, adopted FROM complaints WHERE business_date BETWEEN ? AND ?",
            (start, end)).fetchall()
        cases = c.execute(
            "SELECT source, state, closed_at, reply_due, resolution FROM cases WHERE business_date BETWEEN ? AND ?",
            (start, end)).fetchall()
        services = {r["id"]: dict(r) for r in c.execute(
            "SELECT id, name_zh, name_en, materials, kind, position, active FROM services")}
        windows = {r["id"]: dict(r) for r in c.execute("SELECT id, number, name_zh, services FROM windows")}
        staff = dict(c.execute("SELECT id, name FROM staff").fetchall())
    return PeriodData(start, end, [tuple(t) for t in tickets], [tuple(r) for r in ratings],
                      [tuple(r) for r in refusals], [tuple(r) for r in complaints], [tuple(r) for r in cases],
                      services, windows, staff)


def _table(id_: str, zh: str, en: str, columns: list[tuple[str, str, str]], rows: list[dict]) -> dict:
    return {"id": id_, "title_zh": zh, "title_en": en,
            "columns": [{"key": k, "zh": z, "en": e} for k, z, e in columns], "rows": rows}


def _wait_and_service(tickets: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """(ticket, wait seconds) for original tickets that were called; (ticket, service seconds)."""
    waits = [(t, t[T_CALLED] - t[T_ISSUED]) for t in tickets if t[T_CALLED] and t[T_FROM] is None]
    services = [(t, t[T_FINISHED] - t[T_STARTED]) for t in tickets
                if t[T_FINISHED] and t[T_STARTED] and t[T_STATE] in ("done", "refused", "transferred")]
    return waits, services


def _rating_cols(prefix: str = "") -> list[tuple[str, str, str]]:
    return [("ratings", "评价数", "Ratings"), ("good_rate", "好评率", "Good rate"),
            ("bad_rate", "差评率", "Bad rate"), ("unrated_rate", "未评价率", "Unrated rate")]


def period_report(store: Store, start: str, end: str, tz: str | ZoneInfo = "Asia/Shanghai",
                  data: PeriodData | None = None, today: str | None = None) -> dict:
    """Every figure and table of the manager's report for business dates start..end.

    `today` (the hall's business date) decides which cases are due: a case counts in the
    in-time rate (按时办结率) once it is closed or its reply date has passed."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    today = today or dt.datetime.now(zone).date().isoformat()
    d = data or load_period(store, start, end)
    svc_name = {k: v["name_zh"] for k, v in d.services.items()}
    win_name = {k: f"{v['number']}号 {v['name_zh']}" for k, v in d.windows.items()}
    tickets = d.tickets
    issued = [t for t in tickets if t[T_SEQ] is not None]
    n_issued = len(issued)
    waits, service_times = _wait_and_service(tickets)
    served_states = ("done", "refused")
    by_state: dict[str, int] = defaultdict(int)
    for t in tickets:
        by_state[t[T_STATE]] += 1
    served = by_state["done"] + by_state["refused"]

    # -- tickets by service
    per_svc: dict[str, dict] = defaultdict(lambda: {"issued": 0, "done": 0, "no_show": 0, "walked_out": 0,
                                                    "transferred": 0, "refused": 0, "waits": [], "svc": []})
    for t in issued:
        per_svc[t[T_SVC]]["issued"] += 1
    for t in tickets:
        s = per_svc[t[T_SVC]]
        if t[T_STATE] in ("done", "no_show", "walked_out", "transferred", "refused"):
            s[t[T_STATE]] += 1
    for t, w in waits:
        per_svc[t[T_SVC]]["waits"].append(w)
    for t, x in service_times:
        per_svc[t[T_SVC]]["svc"].append(x)
    svc_rows = []
    for sid, s in sorted(per_svc.items(), key=lambda kv: (-kv[1]["issued"], kv[0])):
        svc_rows.append({
            "service_id": sid, "service": svc_name.get(sid, sid), "issued": s["issued"], "done": s["done"],
            "no_show": s["no_show"], "walked_out": s["walked_out"], "transferred": s["transferred"],
            "refused": s["refused"],
            "wait_median_min": _min(statistics.median(s["waits"]) if s["waits"] else None),
            "wait_p90_min": _min(pct(s["waits"], 0.9)),
            "service_median_min": _min(statistics.median(s["svc"]) if s["svc"] else None),
            "service_p90_min": _min(pct(s["svc"], 0.9)),
        })

    # -- tickets by hour of issue (local time)
    hours: dict[int, int] = defaultdict(int)
    for t in issued:
        hours[dt.datetime.fromtimestamp(t[T_ISSUED], zone).hour] += 1
    hour_rows = [{"hour": f"{h:02d}:00", "issued": hours[h]} for h in sorted(hours)]

    # -- tickets by day
    days: dict[str, int] = defaultdict(int)
    for t in issued:
        days[t[T_DATE]] += 1
    day_rows = [{"business_date": k, "issued": days[k]} for k in sorted(days)]

    # -- waits and service times, ratings by window and by clerk
    def grouped(index: int, names: dict[str, str], label: str) -> list[dict]:
        g: dict[str, dict] = defaultdict(lambda: {"waits": [], "svc": [], "served": 0, "levels": [],
                                                  "rated": 0})
        for t, w in waits:
            if t[index]:
                g[t[index]]["waits"].append(w)
        for t, x in service_times:
            if t[index]:
                g[t[index]]["svc"].append(x)
        for t in tickets:
            if t[T_STATE] in served_states and t[index]:
                g[t[index]]["served"] += 1
        r_index = R_WINDOW if index == T_WINDOW else R_STAFF
        for r in d.ratings:
            if r[r_index]:
                g[r[r_index]]["rated"] += 1
                if not r[R_EXCLUDED]:
                    g[r[r_index]]["levels"].append(r[R_LEVEL])
        rows = []
        order = ({k: (v["number"], "") for k, v in d.windows.items()} if index == T_WINDOW else {})
        for key in sorted(g, key=lambda k: order.get(k, (10**6, names.get(k, k)))):
            x = g[key]
            lv = x["levels"]
            rows.append({
                "id": key, label: names.get(key, key), "served": x["served"],
                "wait_median_min": _min(statistics.median(x["waits"]) if x["waits"] else None),
                "wait_p90_min": _min(pct(x["waits"], 0.9)),
                "service_median_min": _min(statistics.median(x["svc"]) if x["svc"] else None),
                "service_p90_min": _min(pct(x["svc"], 0.9)),
                "ratings": len(lv),
                "good_rate": _rate(sum(1 for v in lv if v >= 4), len(lv)),
                "bad_rate": _rate(sum(1 for v in lv if v <= 2), len(lv)),
                "unrated_rate": _rate(max(x["served"] - x["rated"], 0), x["served"]),
            })
        return rows

    window_rows = grouped(T_WINDOW, win_name, "window")
    clerk_rows = grouped(T_STAFF, d.staff, "clerk")

    # -- ratings (GB/T 39734: 好评率, 差评率, 未评价率)
    counted = [r for r in d.ratings if not r[R_EXCLUDED]]
    by_level = {lv: sum(1 for r in counted if r[R_LEVEL] == lv) for lv in range(5, 0, -1)}
    ratings = {
        "count": len(counted), "excluded": len(d.ratings) - len(counted),
        "default": sum(1 for r in counted if r[R_DEFAULT]),
        "by_level": {str(k): v for k, v in by_level.items()},
        "good_rate": _rate(by_level[5] + by_level[4], len(counted)),
        "bad_rate": _rate(by_level[2] + by_level[1], len(counted)),
        "unrated_rate": _rate(served - len(d.ratings), served) if served else None,
    }
    rating_rows = [{"level": lv, "level_zh": RATING_ZH[lv], "count": by_level[lv],
                    "share": _rate(by_level[lv], len(counted))} for lv in range(5, 0, -1)]

    # -- transfers and refusals by kind
    transfers_back = sum(1 for t in tickets if t[T_SOURCE] == "transfer" and t[T_FROM] is not None) - by_state["transferred"]
    refusal_kinds: dict[str, int] = defaultdict(int)
    refusal_svc: dict[tuple[str, str], int] = defaultdict(int)
    for f in d.refusals:
        refusal_kinds[f[F_KIND]] += 1
        refusal_svc[(f[F_SVC], f[F_KIND])] += 1
    handoff_rows = [{"kind": "transfer", "kind_zh": "转办", "count": by_state["transferred"]}]
    handoff_rows += [{"kind": k, "kind_zh": REFUSAL_ZH.get(k, k), "count": refusal_kinds.get(k, 0)}
                     for k in ("redirect", "missing_materials", "escalate")]
    refusal_service_rows = [{"service_id": s, "service": svc_name.get(s, s), "kind": k,
                             "kind_zh": REFUSAL_ZH.get(k, k), "count": n}
                            for (s, k), n in sorted(refusal_svc.items(), key=lambda kv: -kv[1])]

    # -- complaints and cases
    case_rows = []
    closure = {}
    for source, zh in (("rating", "差评"), ("complaint", "投诉/建议")):
        rows = [c for c in d.cases if c[0] == source]
        closed = [c for c in rows if c[1] == "closed"]
        # Due: closed, or open past its reply date. A case not yet due is neither late nor
        # in time, so it stays out of the rate.
        due = [c for c in rows if c[1] == "closed" or c[3] < today]
        in_time = [c for c in closed if c[2] is not None
                   and dt.datetime.fromtimestamp(c[2], zone).date().isoformat() <= c[3]]
        case_rows.append({"source": source, "source_zh": zh, "opened": len(rows), "closed": len(closed),
                          "due": len(due), "closed_in_time": len(in_time), "open": len(rows) - len(closed),
                          "not_yet_due": len(rows) - len(due),
                          "closed_in_time_rate": _rate(len(in_time), len(due))})
        closure[source] = case_rows[-1]
    complaints = {"complaints": sum(1 for c in d.complaints if c[0] == "complaint"),
                  "suggestions": sum(1 for c in d.complaints if c[0] == "suggestion"),
                  "adopted": sum(1 for c in d.complaints if c[2])}

    totals = {
        "tickets_issued": n_issued, "served": served, "done": by_state["done"],
        "no_show": by_state["no_show"], "walked_out": by_state["walked_out"],
        "no_show_rate": _rate(by_state["no_show"], n_issued), "walk_out_rate": _rate(by_state["walked_out"], n_issued),
        "transferred": by_state["transferred"], "returned_to_window": max(transfers_back, 0),
        "refusals": sum(refusal_kinds.values()), "expired": by_state["expired"],
        "wait_median_min": _min(statistics.median([w for _, w in waits]) if waits else None),
        "wait_p90_min": _min(pct([w for _, w in waits], 0.9)),
        "service_median_min": _min(statistics.median([x for _, x in service_times]) if service_times else None),
        "service_p90_min": _min(pct([x for _, x in service_times], 0.9)),
        "days_open": len(days),
        **complaints,
        "cases_opened": len(d.cases), "cases_closed_in_time": sum(r["closed_in_time"] for r in case_rows),
        "cases_due": sum(r["due"] for r in case_rows),
    }
    wait_cols = [("wait_median_min", "等候中位(分)", "Wait median (min)"), ("wait_p90_min", "等候P90(分)", "Wait p90 (min)"),
                 ("service_median_min", "办理中位(分)", "Service median (min)"),
                 ("service_p90_min", "办理P90(分)", "Service p90 (min)")]
    tables = [
        _table("services", "按业务统计", "By service",
               [("service", "业务", "Service"), ("issued", "取号", "Issued"), ("done", "办结", "Done"),
                ("no_show", "过号", "No-show"), ("walked_out", "离开", "Walked out"),
                ("transferred", "转办", "Transferred"), ("refused", "说No", "Refused"), *wait_cols], svc_rows),
        _table("hours", "按时段取号", "Tickets by hour", [("hour", "时段", "Hour"), ("issued", "取号", "Issued")], hour_rows),
        _table("days", "按日取号", "Tickets by day", [("business_date", "营业日", "Business day"),
                                                  ("issued", "取号", "Issued")], day_rows),
        _table("windows", "按窗口统计", "By window",
               [("window", "窗口", "Window"), ("served", "办理", "Served"), *wait_cols, *_rating_cols()], window_rows),
        _table("clerks", "按工作人员统计", "By clerk",
               [("clerk", "工作人员", "Clerk"), ("served", "办理", "Served"), *wait_cols, *_rating_cols()], clerk_rows),
        _table("ratings", "评价分布", "Ratings distribution",
               [("level", "等级", "Level"), ("level_zh", "评价", "Rating"), ("count", "数量", "Count"),
                ("share", "占比", "Share")], rating_rows),
        _table("handoffs", "转办与说No报告", "Transfers and refusals",
               [("kind_zh", "类型", "Kind"), ("count", "数量", "Count")], handoff_rows),
        _table("refusals_by_service", "说No报告（按业务）", "Refusals by service",
               [("service", "业务", "Service"), ("kind_zh", "类型", "Kind"), ("count", "数量", "Count")],
               refusal_service_rows),
        _table("cases", "工单办结情况", "Case closure",
               [("source_zh", "来源", "Source"), ("opened", "新增", "Opened"), ("closed", "办结", "Closed"),
                ("due", "已到期", "Due"), ("closed_in_time", "按时办结", "Closed in time"),
                ("open", "未办结", "Open"), ("not_yet_due", "未到期", "Not yet due"),
                ("closed_in_time_rate", "按时办结率", "In-time rate")], case_rows),
    ]
    return {"start": start, "end": end, "totals": totals, "ratings": ratings, "closure": closure,
            "tables": tables}


def table_csv(table: dict) -> str:
    """One table as CSV, headers in both languages; UTF-8 with BOM so spreadsheet tools read Chinese."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow([f"{c['zh']} {c['en']}" for c in table["columns"]])
    for row in table["rows"]:
        w.writerow(["" if row.get(c["key"]) is None else row.get(c["key"]) for c in table["columns"]])
    return buf.getvalue()


# -- plots ----------------------------------------------------------------------------------
CJK_FONT = "WenQuanYi Micro Hei"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    # Without a CJK family first, Chinese labels render as empty boxes (tofu).
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [CJK_FONT, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "path"
    return plt


PLOTS = {
    "hours": "按时段取号 Tickets by hour",
    "waits": "各业务等候时间 Waits by service",
    "ratings": "评价分布 Ratings",
    "days": "每日取号 Tickets per day",
}


def render_plot(report: dict, name: str, fmt: str = "png") -> bytes:
    """One plot of a report as PNG or SVG bytes, drawn on this node (no network)."""
    if name not in PLOTS:
        raise ValueError(f"unknown plot {name}")
    plt = _pyplot()
    tables = {t["id"]: t for t in report["tables"]}
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=100)
    try:
        color = "#1f5fa8"
        if name == "hours":
            rows = tables["hours"]["rows"]
            ax.bar([r["hour"][:2] for r in rows], [r["issued"] for r in rows], color=color)
            ax.set_xlabel("时段（时） Hour")
            ax.set_ylabel("取号数 Tickets")
        elif name == "days":
            rows = tables["days"]["rows"]
            # Bars, not a line: days without business (weekends) are gaps, not slopes.
            ax.bar([r["business_date"][5:] for r in rows], [r["issued"] for r in rows], color=color)
            ax.set_ylabel("取号数 Tickets")
            for label in ax.get_xticklabels():
                label.set_rotation(45)
        elif name == "waits":
            # The 12 worst waits (by p90), not the 12 busiest services: the plot is there to
            # show where people wait longest.
            rows = sorted((r for r in tables["services"]["rows"] if r["wait_p90_min"] is not None),
                          key=lambda r: -r["wait_p90_min"])[:12][::-1]
            names = [r["service"][:10] for r in rows]
            ax.barh(names, [r["wait_p90_min"] for r in rows], color="#d98c1f", label="P90")
            ax.barh(names, [r["wait_median_min"] for r in rows], color=color, label="中位 median")
            ax.set_xlabel("等候时间（分钟） Wait (min)")
            ax.legend(loc="lower right")
        elif name == "ratings":
            rows = tables["ratings"]["rows"]
            colors = ["#2e8b57", "#7cb342", "#bdbdbd", "#ef8a3c", "#c62828"]
            ax.bar([r["level_zh"] for r in rows], [r["count"] for r in rows], color=colors)
            ax.set_ylabel("数量 Count")
            rt = report["ratings"]

            def p(v):
                return "—" if v is None else f"{v * 100:.1f}%"

            ax.set_xlabel(f"好评率 {p(rt['good_rate'])}   差评率 {p(rt['bad_rate'])}   未评价率 {p(rt['unrated_rate'])}")
        ax.set_title(f"{PLOTS[name]}（{report['start']}" + (f" – {report['end']}）" if report['end'] != report['start'] else "）"))
        ax.grid(axis="y" if name != "waits" else "x", alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        return buf.getvalue()
    finally:
        plt.close(fig)


def report_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False)
