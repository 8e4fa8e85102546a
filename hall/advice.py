"""Service-optimisation advice (服务动态优化, 五减) and the live hall view with its alerts.

Every piece of advice carries the figures behind it, so a manager can check it before acting.
The thresholds are constants until the lead adds them to hall.toml (keys proposed in the
issue report: [manager] wait_target_p90_minutes, alert_wait_minutes, alert_help_minutes).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import defaultdict
from zoneinfo import ZoneInfo

from hall.reports_period import (
    F_KIND,
    F_MATERIALS,
    F_SVC,
    R_EXCLUDED,
    R_LEVEL,
    R_SVC,
    R_WINDOW,
    T_CALLED,
    T_DETAIL,
    T_FINISHED,
    T_FROM,
    T_ISSUED,
    T_OUTCOME,
    T_SEQ,
    T_STARTED,
    T_STATE,
    T_SVC,
    T_WINDOW,
    PeriodData,
    load_period,
    pct,
)
from hall.store import Store

# Service target: 90% of citizens called within this many minutes.
WAIT_TARGET_P90_MINUTES = 20
# Live alerts: a service whose longest current wait passes this; a help call not answered.
ALERT_WAIT_MINUTES = 30
ALERT_HELP_MINUTES = 3
# Below these sample sizes a figure says too little to act on.
MIN_HOUR_SAMPLES = 8
MIN_RATINGS = 10
BAD_RATE_Z = 2.5


# -- queueing ---------------------------------------------------------------------------------
def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits (M/M/c), load = arrival rate x mean service time."""
    if servers <= load:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    term *= load / servers
    last = term * servers / (servers - load)
    return last / (total + last)


def windows_needed(arrivals_per_hour: float, service_minutes: float, target_minutes: float,
                   share: float = 0.9, limit: int = 60) -> int:
    """Smallest number of windows for which P(wait <= target) >= share (M/M/c estimate)."""
    if arrivals_per_hour <= 0:
        return 0
    mu = 60.0 / max(service_minutes, 0.1)          # services per hour per window
    load = arrivals_per_hour / mu
    for c in range(max(1, math.ceil(load)), limit + 1):
        if c <= load:
            continue
        p_late = erlang_c(c, load) * math.exp(-(c * mu - arrivals_per_hour) * target_minutes / 60.0)
        if p_late <= 1 - share:
            return c
    return limit


# -- advice -----------------------------------------------------------------------------------
def _hour_ranges(hours: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for h in sorted(hours):
        if out and out[-1][1] == h:
            out[-1] = (out[-1][0], h + 1)
        else:
            out.append((h, h + 1))
    return out


def staffing_advice(d: PeriodData, zone: ZoneInfo, target: float = WAIT_TARGET_P90_MINUTES) -> list[dict]:
    days = len({t[1] for t in d.tickets}) or 1
    per: dict[str, dict[int, dict]] = defaultdict(lambda: defaultdict(lambda: {"waits": [], "arrivals": 0,
                                                                               "windows": set()}))
    svc_times: dict[str, list[float]] = defaultdict(list)
    for t in d.tickets:
        hour = dt.datetime.fromtimestamp(t[T_ISSUED], zone).hour
        cell = per[t[T_SVC]][hour]
        if t[T_SEQ] is not None:
            cell["arrivals"] += 1
        if t[T_CALLED] and t[T_FROM] is None:
            cell["waits"].append(t[T_CALLED] - t[T_ISSUED])
            if t[T_WINDOW]:
                cell["windows"].add((t[1], t[T_WINDOW]))
        if t[T_FINISHED] and t[T_STARTED] and t[T_STATE] in ("done", "refused", "transferred"):
            svc_times[t[T_SVC]].append(t[T_FINISHED] - t[T_STARTED])
    out = []
    for sid, hours in per.items():
        flagged = {}
        mean_min = (statistics.fmean(svc_times[sid]) / 60) if svc_times[sid] else None
        if mean_min is None:
            continue
        for h, cell in hours.items():
            if len(cell["waits"]) < MIN_HOUR_SAMPLES:
                continue
            p90 = pct(cell["waits"], 0.9) / 60
            if p90 <= target:
                continue
            rate = cell["arrivals"] / days
            now_windows = len(cell["windows"]) / days
            need = windows_needed(rate, mean_min, target)
            flagged[h] = {"hour": f"{h:02d}:00", "p90_wait_min": round(p90, 1), "arrivals_per_day": round(rate, 1),
                          "windows_now": round(now_windows, 1), "windows_needed": need,
                          "extra_windows": max(0, need - math.ceil(now_windows - 1e-9))}
        if not flagged:
            continue
        name = d.services.get(sid, {}).get("name_zh", sid)
        ranges = "、".join(f"{a:02d}:00–{b:02d}:00" for a, b in _hour_ranges(list(flagged)))
        extra = max(f["extra_windows"] for f in flagged.values())
        worst = max(f["p90_wait_min"] for f in flagged.values())
        if extra:
            zh = (f"{name}在 {ranges} 等候时间 P90 最高 {worst} 分钟，超过目标 {target} 分钟；"
                  f"按到达量和平均办理 {mean_min:.1f} 分钟估算，这些时段再开 {extra} 个窗口可降到目标以内。")
            en = (f"{sid}: p90 wait up to {worst} min at {ranges} (target {target}); about {extra} more "
                  f"window(s) in those hours would bring it under (mean service {mean_min:.1f} min).")
        else:
            zh = (f"{name}在 {ranges} 等候时间 P90 最高 {worst} 分钟，超过目标 {target} 分钟；"
                  "窗口数按到达量估算够用，等候来自高峰前积压：建议提前开窗或错峰安排休息。")
            en = (f"{sid}: p90 wait up to {worst} min at {ranges}; the window count fits the arrivals, the "
                  "wait is a backlog — open earlier or stagger breaks.")
        out.append({"kind": "staffing", "service_id": sid, "service": name, "severity": worst / target,
                    "text_zh": zh, "text_en": en, "mean_service_min": round(mean_min, 1),
                    "extra_windows": extra, "hours": [flagged[h] for h in sorted(flagged)]})
    return sorted(out, key=lambda a: -a["severity"])


def bad_rating_advice(d: PeriodData) -> list[dict]:
    counted = [r for r in d.ratings if not r[R_EXCLUDED]]
    if not counted:
        return []
    hall_bad = sum(1 for r in counted if r[R_LEVEL] <= 2) / len(counted)
    out = []
    for index, kind, names in ((R_WINDOW, "window", {k: f"{v['number']}号窗口" for k, v in d.windows.items()}),
                               (R_SVC, "service", {k: v["name_zh"] for k, v in d.services.items()})):
        groups: dict[str, list[int]] = defaultdict(list)
        for r in counted:
            if r[index]:
                groups[r[index]].append(r[R_LEVEL])
        for key, levels in groups.items():
            n, bad = len(levels), sum(1 for v in levels if v <= 2)
            if n < MIN_RATINGS or bad < 3:
                continue
            rate = bad / n
            p = max(hall_bad, 0.005)
            z = (rate - p) / math.sqrt(p * (1 - p) / n)
            if z < BAD_RATE_Z or rate < 2 * hall_bad:
                continue
            name = names.get(key, key)
            out.append({"kind": "bad_rating", "target": kind, "id": key, "name": name, "severity": z,
                        "ratings": n, "bad": bad, "bad_rate": round(rate, 4), "hall_bad_rate": round(hall_bad, 4),
                        "z": round(z, 1),
                        "text_zh": f"{name}差评率 {rate * 100:.1f}%（{bad}/{n}），全厅 {hall_bad * 100:.1f}%，明显偏高，建议逐条核查并安排培训或整改。",
                        "text_en": f"{name}: bad-rating rate {rate * 100:.1f}% ({bad}/{n}) against the hall's "
                                   f"{hall_bad * 100:.1f}% — unusually high; review the cases."})
    return sorted(out, key=lambda a: -a["severity"])


def missing_materials(d: PeriodData, top: int = 10) -> list[dict]:
    """Materials most often missing: no-veto reports (一次性告知) and 容缺受理 follow-ups."""
    counts: dict[tuple[str, str], dict] = defaultdict(lambda: {"refusals": 0, "pending": 0})
    for f in d.refusals:
        if f[F_KIND] == "missing_materials":
            for m in json.loads(f[F_MATERIALS] or "[]"):
                counts[(f[F_SVC], m)]["refusals"] += 1
    for t in d.tickets:
        if t[T_DETAIL] and t[T_STATE] == "done" and t[T_OUTCOME] == "accepted_pending":
            try:
                pending = json.loads(t[T_DETAIL]).get("pending_materials") or []
            except (ValueError, AttributeError):
                continue
            for m in pending:
                counts[(t[T_SVC], m)]["pending"] += 1
    rows = []
    for (sid, m), c in counts.items():
        total = c["refusals"] + c["pending"]
        name = d.services.get(sid, {}).get("name_zh", sid)
        rows.append({"kind": "materials", "service_id": sid, "service": name, "material": m, "count": total,
                     "refusals": c["refusals"], "pending": c["pending"], "severity": total,
                     "text_zh": f"{name}：“{m}”缺件 {total} 次（一次性告知 {c['refusals']}，容缺受理 {c['pending']}），"
                                "建议在自助机须知和一次性告知单中突出说明。",
                     "text_en": f"{sid}: '{m}' missing {total} times ({c['refusals']} refusals, {c['pending']} "
                                "accepted pending) — make it prominent in the kiosk notice."})
    return sorted(rows, key=lambda r: (-r["count"], r["service_id"], r["material"]))[:top]


def _service_effort(d: PeriodData) -> dict[str, dict]:
    """Per service: tickets, legs per citizen (环节), median total time issue -> finish (时间)."""
    out: dict[str, dict] = defaultdict(lambda: {"citizens": 0, "legs": 0, "times": []})
    by_id = {t[0]: t for t in d.tickets}
    for t in d.tickets:
        root = t
        seen = 0
        while root[T_FROM] and root[T_FROM] in by_id and seen < 20:
            root = by_id[root[T_FROM]]
            seen += 1
        s = out[root[T_SVC]]
        s["legs"] += 1
        if t[T_SEQ] is not None:
            s["citizens"] += 1
        if t[T_STATE] == "done" and t[T_FINISHED]:
            s["times"].append(t[T_FINISHED] - t[T_ISSUED])
    return out


def five_reductions(store: Store, d: PeriodData, prev: PeriodData | None,
                    zone: ZoneInfo | None = None) -> list[dict]:
    """减材料, 减环节, 减时间: per service, this period against the previous one. The materials
    count before is read from the first local edit of the services after the period began."""
    now = _service_effort(d)
    before = _service_effort(prev) if prev else {}
    start_ts = dt.datetime.combine(dt.date.fromisoformat(d.start), dt.time(), zone or ZoneInfo("Asia/Shanghai")).timestamp()
    with store.read() as c:
        row = c.execute("SELECT before FROM config_audit WHERE section = 'services' AND at >= ? ORDER BY id LIMIT 1",
                        (start_ts,)).fetchone()
    old_services = {s["id"]: s for s in json.loads(row[0])} if row else {}
    rows = []
    for sid, s in d.services.items():
        if not s["active"]:
            continue
        cur = now.get(sid, {"citizens": 0, "legs": 0, "times": []})
        old = before.get(sid, {"citizens": 0, "legs": 0, "times": []})
        materials = len(json.loads(s["materials"] or "[]"))
        old_m = len(old_services[sid]["materials"]) if sid in old_services else materials

        def legs(x):
            return round(x["legs"] / x["citizens"], 2) if x["citizens"] else None

        def med(x):
            return round(statistics.median(x["times"]) / 60, 1) if x["times"] else None

        rows.append({"service_id": sid, "service": s["name_zh"], "position": s["position"],
                     "materials": materials, "materials_before": old_m,
                     "steps": legs(cur), "steps_before": legs(old),
                     "time_median_min": med(cur), "time_median_min_before": med(old),
                     "citizens": cur["citizens"], "citizens_before": old["citizens"]})
    return sorted(rows, key=lambda r: r["position"])


def advice(store: Store, start: str, end: str, tz: str | ZoneInfo = "Asia/Shanghai",
           prev_range: tuple[str, str] | None = None, data: PeriodData | None = None,
           target: float = WAIT_TARGET_P90_MINUTES) -> dict:
    """All advice for a period; `prev_range` is the period to compare with for 五减."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    d = data or load_period(store, start, end)
    prev = load_period(store, *prev_range) if prev_range else None
    return {"start": start, "end": end, "target_p90_minutes": target,
            "staffing": staffing_advice(d, zone, target), "bad_ratings": bad_rating_advice(d),
            "materials": missing_materials(d), "five_reductions": five_reductions(store, d, prev, zone),
            "previous": {"start": prev_range[0], "end": prev_range[1]} if prev_range else None,
            "matters": matter_advice(store, start, end, zone)}


def matter_alerts(engine) -> list[dict]:
    """Matters past their promised date and results waiting too long to be collected."""
    if not hasattr(engine, "uncollected_matters"):
        return []
    today = engine.business_date()
    with engine.store.read() as c:
        late = c.execute("SELECT COUNT(*) FROM matters WHERE closed_at IS NULL AND state != 'ready' "
                         "AND due_date < ?", (today,)).fetchone()[0]
    waiting = len(engine.uncollected_matters())
    out = []
    if late:
        out.append({"kind": "matters_overdue", "count": late,
                    "text_zh": f"{late} 件办件已超过承诺办结日期（后台审批 /backoffice）",
                    "text_en": f"{late} matters are past their promised date (back office)"})
    if waiting:
        out.append({"kind": "matters_uncollected", "count": waiting,
                    "text_zh": f"{waiting} 件办结结果超过 {engine.config.matters.uncollected_days} 天未领取（/admin/matters）",
                    "text_en": f"{waiting} results not collected for over {engine.config.matters.uncollected_days} days"})
    return out


def matter_advice(store: Store, start: str, end: str, zone: ZoneInfo) -> dict:
    """一次办好: services whose matters needed most visits, and the materials most often owed
    (容缺), to announce once and up front (一次性告知) — hall/matters_report.py."""
    from hall.matters_report import one_visit_report
    from hall.workdays import WorkCalendar

    rep = one_visit_report(store, WorkCalendar(), start, end, today=end, tz=str(zone))
    visits = [dict(r, text_zh=f"{r['service']}：每件平均跑动 {r['visits_per_matter']} 次（{r['matters']} 件），"
                             "建议梳理材料清单、推行容缺受理和邮寄送达",
                   text_en=f"{r['service_id']}: {r['visits_per_matter']} visits per matter ({r['matters']} matters)")
              for r in rep["most_visits"] if (r["visits_per_matter"] or 0) > 1]
    owed = [dict(m, text_zh=f"“{m['material']}”在 {m['count']} 件中需补交，建议在取号和预约时提前告知",
                 text_en=f"'{m['material']}' was owed in {m['count']} matters; announce it before the visit")
            for m in rep["most_owed"]]
    return {"one_visit_rate": (rep["total"] or {}).get("one_visit_rate"), "most_visits": visits,
            "pre_announce": owed}


# -- live hall --------------------------------------------------------------------------------
def live_view(engine, *, wait_alert_minutes: float | None = None,
              help_alert_minutes: float | None = None) -> dict:
    """The hall now: waiting per service, windows, longest wait, open help calls, alerts.
    Thresholds default to the hall's [manager] settings."""
    if wait_alert_minutes is None:
        wait_alert_minutes = engine.config.manager.alert_wait_minutes
    if help_alert_minutes is None:
        help_alert_minutes = engine.config.manager.alert_help_minutes
    now = engine.clock.now()
    services = engine.services_overview()
    windows = engine.windows_overview()
    with engine.store.read() as c:
        oldest = dict(c.execute("SELECT service_id, MIN(issued_at) FROM tickets WHERE state = 'waiting' "
                                "AND checked_in = 1 GROUP BY service_id").fetchall())
        helps = [dict(r) for r in c.execute("SELECT id, kiosk, note, state, raised_at FROM help_requests "
                                            "WHERE state = 'open' ORDER BY raised_at")]
        refusals_new = c.execute("SELECT COUNT(*) FROM refusals WHERE review_state = 'new'").fetchone()[0]
    alerts = []
    svc_rows = []
    for s in services:
        longest = round((now - oldest[s["id"]]) / 60, 1) if s["id"] in oldest else None
        alert = longest is not None and longest >= wait_alert_minutes
        if s["waiting"] or s["open_windows"] or alert:
            svc_rows.append({"id": s["id"], "name_zh": s["name_zh"], "name_en": s["name_en"], "waiting": s["waiting"],
                             "open_windows": s["open_windows"], "eta_minutes": s["eta_minutes"],
                             "longest_wait_min": longest, "alert": alert})
        if s["waiting"] and not s["open_windows"]:
            # People wait and no open window serves them: nobody will ever call them.
            alerts.append({"kind": "no_window", "service_id": s["id"], "waiting": s["waiting"],
                           "text_zh": f"{s['name_zh']}：{s['waiting']} 人在等，但没有开放的窗口办理此业务",
                           "text_en": f"{s['name_en'] or s['id']}: {s['waiting']} waiting and no open window "
                                      f"serves it"})
            svc_rows[-1]["alert"] = True
        if alert:
            alerts.append({"kind": "wait", "service_id": s["id"], "minutes": longest,
                           "text_zh": f"{s['name_zh']}：最长已等候 {longest:.0f} 分钟（阈值 {wait_alert_minutes} 分钟）",
                           "text_en": f"{s['name_en'] or s['id']}: longest wait {longest:.0f} min "
                                      f"(threshold {wait_alert_minutes})"})
    help_rows = []
    for h in helps:
        age = round((now - h["raised_at"]) / 60, 1)
        alert = age >= help_alert_minutes
        help_rows.append({**h, "age_min": age, "alert": alert})
        if alert:
            alerts.append({"kind": "help", "help_id": h["id"], "minutes": age,
                           "text_zh": f"{h['kiosk']} 求助已 {age:.0f} 分钟无人响应",
                           "text_en": f"help call at {h['kiosk']} unanswered for {age:.0f} min"})
    from hall.timesync import clock_status, warning

    clock = clock_status()
    clock_warning = warning(clock)
    if clock_warning:
        alerts.append({"kind": "clock", "synchronized": clock["synchronized"],
                       "text_zh": clock_warning[0], "text_en": clock_warning[1]})
    alerts += matter_alerts(engine)
    overdue = sum(1 for case in engine.list_cases(overdue=True))
    longest_all = max((r["longest_wait_min"] for r in svc_rows if r["longest_wait_min"] is not None), default=None)
    return {"at": now, "business_date": engine.business_date(), "timezone": engine.config.hall.timezone,
            "services": svc_rows,
            "windows": [{"id": w["id"], "number": w["number"], "name_zh": w["name_zh"], "state": w["state"],
                         "staff_id": w["staff_id"], "staff_name": w["staff_name"],
                         "current": w["current"]["number"] if w["current"] else None,
                         "current_state": w["current"]["state"] if w["current"] else None}
                        for w in windows],
            "waiting_total": sum(s["waiting"] for s in services), "longest_wait_min": longest_all,
            "help_open": help_rows, "refusals_to_review": refusals_new, "cases_overdue": overdue, "alerts": alerts,
            "thresholds": {"wait_minutes": wait_alert_minutes, "help_minutes": help_alert_minutes}}
