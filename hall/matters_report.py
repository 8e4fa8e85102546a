"""一次办好率: the one-visit rate of matters and their time against the promise.

Definitions (by the month a matter was accepted, per service):
- visits: the citizen's visits for a matter (matter_visits): the acceptance, each visit to
  bring owed materials, each pickup visit;
- settled: the matter is closed (collected, mailed or rejected); rates are over settled ones;
- one visit: a settled matter with a single visit not counting pickup (one_visit_rate), and
  with a single visit counting pickup too (one_visit_incl_pickup_rate: 即办件, mailed);
- actual working days: from the acceptance day to the decision day (approved or rejected),
  in the hall's work calendar; the reform's target is half the promised 承诺时限;
- overdue: decided after the promised date, or still undecided past it.
Read-only, one indexed range over matters (matters_day) plus their visits.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

CSV_COLUMNS = [
    ("month", "月份"), ("service_id", "事项"), ("service", "事项名称"), ("matters", "办件数"),
    ("settled", "已办结"), ("one_visit_rate", "一次办好率（不含取件）"),
    ("one_visit_incl_pickup_rate", "一次办好率（含取件）"), ("visits_per_matter", "平均跑动次数"),
    ("actual_days", "平均实际用时（工作日）"), ("promised_days", "平均承诺时限（工作日）"),
    ("time_ratio", "实际/承诺"), ("within_half_rate", "半数时限内办结率"), ("overdue", "超期件数"),
    ("owed_matters", "容缺件数"),
]


def _local_date(t: float, tz: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(t, tz).date()


def one_visit_report(store, calendar, start: str | None = None, end: str | None = None, *,
                     today: str | None = None, tz: str = "Asia/Shanghai") -> dict:
    """Rows by (month, service), a total row per month and overall, the materials most often
    owed (overall and per service)."""
    zone = ZoneInfo(tz)
    today = today or dt.date.today().isoformat()
    end = end or today
    start = start or (dt.date.fromisoformat(end).replace(day=1) - dt.timedelta(days=335)).replace(day=1).isoformat()
    with store.read() as c:
        names = dict(c.execute("SELECT id, name_zh FROM services").fetchall())
        matters = c.execute(
            "SELECT m.id, m.service_id, m.business_date, m.state, m.promise_days, m.due_date, m.owed, "
            "m.decided_at, m.closed_at, "
            "(SELECT COUNT(*) FROM matter_visits v WHERE v.matter_id = m.id AND v.kind != 'pickup'), "
            "(SELECT COUNT(*) FROM matter_visits v WHERE v.matter_id = m.id) "
            "FROM matters m WHERE m.business_date BETWEEN ? AND ?", (start, end)).fetchall()
    groups: dict[tuple[str, str], list] = defaultdict(list)
    owed_all: Counter = Counter()
    owed_by_service: dict[str, Counter] = defaultdict(Counter)
    for r in matters:
        (mid, sid, day, state, promise, due, owed, decided_at, closed_at, v_nopick, v_all) = tuple(r)
        accepted = dt.date.fromisoformat(day)
        decided = _local_date(decided_at, zone) if decided_at else None
        actual = calendar.working_days_between(accepted, decided) if decided else None
        owed_names = [o["name"] for o in json.loads(owed or "[]")]
        for name in owed_names:
            owed_all[name] += 1
            owed_by_service[sid][name] += 1
        late = (decided.isoformat() > due) if decided else (closed_at is None and today > due)
        rec = {"settled": closed_at is not None, "v1": v_nopick, "v": v_all, "promise": promise,
               "actual": actual, "late": late,
               "owed": bool(owed_names)}
        for key in ((day[:7], sid), (day[:7], "*"), ("*", sid), ("*", "*")):
            groups[key].append(rec)

    def summarise(month: str, sid: str, recs: list[dict]) -> dict:
        settled = [x for x in recs if x["settled"]]
        timed = [x for x in recs if x["actual"] is not None]
        ratio = [x["actual"] / x["promise"] for x in timed if x["promise"]]

        def rate(n: int, d: int):
            return round(n / d, 4) if d else None

        return {
            "month": month if month != "*" else "合计", "service_id": sid if sid != "*" else "",
            "service": names.get(sid, sid) if sid != "*" else "全部事项 All services",
            "matters": len(recs), "settled": len(settled),
            "one_visit_rate": rate(sum(1 for x in settled if x["v1"] <= 1), len(settled)),
            "one_visit_incl_pickup_rate": rate(sum(1 for x in settled if x["v"] <= 1), len(settled)),
            "visits_per_matter": round(sum(x["v"] for x in recs) / len(recs), 2) if recs else None,
            "actual_days": round(sum(x["actual"] for x in timed) / len(timed), 2) if timed else None,
            "promised_days": round(sum(x["promise"] for x in timed) / len(timed), 2) if timed else None,
            "time_ratio": round(sum(ratio) / len(ratio), 3) if ratio else None,
            "within_half_rate": rate(sum(1 for x in timed if x["promise"] and x["actual"] <= x["promise"] / 2),
                                     sum(1 for x in timed if x["promise"])),
            "overdue": sum(1 for x in recs if x["late"]),
            "owed_matters": sum(1 for x in recs if x["owed"]),
        }

    rows = [summarise(m, s, recs) for (m, s), recs in groups.items()]
    rows.sort(key=lambda r: (r["month"] == "合计", r["month"], r["service_id"] != "", -r["matters"]))
    by_service = sorted((r for r in rows if r["month"] == "合计" and r["service_id"]),
                        key=lambda r: -(r["visits_per_matter"] or 0))
    return {
        "start": start, "end": end, "rows": rows,
        "total": next((r for r in rows if r["month"] == "合计" and not r["service_id"]), None),
        "most_visits": [{"service_id": r["service_id"], "service": r["service"],
                         "visits_per_matter": r["visits_per_matter"], "matters": r["matters"]}
                        for r in by_service[:5]],
        "most_owed": [{"material": k, "count": v} for k, v in owed_all.most_common(10)],
        "most_owed_by_service": {sid: [{"material": k, "count": v} for k, v in cnt.most_common(3)]
                                 for sid, cnt in owed_by_service.items()},
        "target_time_ratio": 0.5,
    }


def plot_png(report: dict) -> bytes:
    """Monthly one-visit rate (with and without pickup) and the actual/promised time ratio."""
    from hall.reports_period import _pyplot

    plt = _pyplot()
    months = sorted({r["month"] for r in report["rows"] if r["month"] != "合计" and not r["service_id"]})
    by_month = {r["month"]: r for r in report["rows"] if not r["service_id"]}
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=100)
    try:
        def series(key):
            return [(by_month[m][key] or 0) * 100 if key.endswith("rate") else (by_month[m][key] or 0)
                    for m in months]

        ax.plot(months, series("one_visit_rate"), marker="o", color="#1f5fa8", label="一次办好率（不含取件）")
        ax.plot(months, series("one_visit_incl_pickup_rate"), marker="s", color="#2e8b57",
                label="一次办好率（含取件）")
        ax.set_ylabel("%")
        ax.set_ylim(0, 105)
        ax2 = ax.twinx()
        ax2.bar(months, series("time_ratio"), alpha=0.25, color="#d98c1f", label="实际/承诺用时")
        ax2.axhline(0.5, color="#c62828", linestyle="--", linewidth=1, label="目标：承诺时限的一半")
        ax2.set_ylabel("实际/承诺 Actual / promised")
        ax2.set_ylim(0, max([1.0] + series("time_ratio")) * 1.1)
        lines = ax.get_legend_handles_labels()
        bars = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + bars[0], lines[1] + bars[1], loc="lower left", fontsize=8)
        ax.set_title(f"一次办好率与办理用时 One-visit rate and time vs promise（{report['start']} – {report['end']}）",
                     fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)
