"""The fleet view: every hall's latest health report (sent with each sync round), judged
green / amber / red, with the age of the report. Admin pages only."""

from __future__ import annotations

import html
import json
import time

# A hall syncs every few seconds; a report older than this is a hall gone quiet.
AMBER_AFTER_S = 5 * 60
RED_AFTER_S = 30 * 60
DISK_RED_BYTES = 1 * 1024 ** 3
DISK_AMBER_BYTES = 5 * 1024 ** 3
BACKUP_AMBER_S = 2 * 86400
BACKLOG_AMBER = 1000
DEVICE_SILENT_S = 10 * 60     # a kiosk or display that reported before and went quiet

_PRINTER = {"out": ("amber", "打印机缺纸", "printer out of paper"),
            "cover_open": ("amber", "打印机盖未关", "printer cover open"),
            "offline": ("amber", "打印机离线", "printer offline"),
            "near_end": ("amber", "打印纸将尽", "paper running low")}
_RANK = {"green": 0, "amber": 1, "red": 2}


def judge(report: dict | None, received_at: float | None, now: float) -> dict:
    """{"level", "reasons": [(zh, en)], "age_s"} for one hall."""
    if report is None or received_at is None:
        return {"level": "red", "reasons": [("从未上报", "never reported")], "age_s": None}
    age = max(0.0, now - received_at)
    level, reasons = "green", []

    def flag(lvl: str, zh: str, en: str) -> None:
        nonlocal level
        reasons.append((zh, en))
        if _RANK[lvl] > _RANK[level]:
            level = lvl

    if age > RED_AFTER_S:
        flag("red", f"已 {age / 60:.0f} 分钟无上报", f"silent for {age / 60:.0f} min")
    elif age > AMBER_AFTER_S:
        flag("amber", f"已 {age / 60:.0f} 分钟无上报", f"no report for {age / 60:.0f} min")
    for dev in report.get("devices") or []:
        state = (dev.get("printer") or {}).get("state")
        if state in _PRINTER:
            lvl, zh, en = _PRINTER[state]
            flag(lvl, f"{dev.get('name')}：{zh}", f"{dev.get('name')}: {en}")
        age_s = dev.get("reported_age_s")
        if isinstance(age_s, int | float) and age_s > DEVICE_SILENT_S:
            flag("amber", f"{dev.get('name')}：{age_s / 60:.0f} 分钟无消息",
                 f"{dev.get('name')}: silent for {age_s / 60:.0f} min")
        if (dev.get("scanner") or {}).get("state") == "offline":
            flag("amber", f"{dev.get('name')}：扫码器未连接", f"{dev.get('name')}: scanner unplugged")
    free = (report.get("disk") or {}).get("free_bytes")
    if isinstance(free, int | float):
        if free < DISK_RED_BYTES:
            flag("red", f"磁盘剩余 {free / 1024 ** 3:.1f} GB", f"disk free {free / 1024 ** 3:.1f} GB")
        elif free < DISK_AMBER_BYTES:
            flag("amber", f"磁盘剩余 {free / 1024 ** 3:.1f} GB", f"disk free {free / 1024 ** 3:.1f} GB")
    backup = report.get("last_backup")
    at = report.get("at") or received_at
    if not backup:
        flag("amber", "没有备份记录", "no backup recorded")
    elif at - float(backup.get("at") or 0) > BACKUP_AMBER_S:
        flag("amber", "超过两天未备份", "no backup for more than two days")
    synced = (report.get("clock") or {}).get("synchronized")
    if synced is False:
        flag("amber", "时钟未同步", "clock not synchronised")
    elif synced is None:
        flag("amber", "时钟同步未知", "clock sync unknown")
    backlog = (report.get("queue") or {}).get("pending_events") or 0
    if backlog > BACKLOG_AMBER:
        flag("amber", f"{backlog} 条事件待上传", f"{backlog} events waiting to upload")
    return {"level": level, "reasons": reasons, "age_s": round(age)}


def fleet(db, now: float | None = None) -> list[dict]:
    now = now if now is not None else time.time()
    reports = {r["hall_id"]: r for r in db.hall_reports()}
    out = []
    for hall in db.halls():
        r = reports.get(hall["id"])
        report = json.loads(r["report"]) if r else None
        verdict = judge(report, r["received_at"] if r else None, now)
        out.append({"id": hall["id"], "name": hall["name"], **verdict,
                    "reasons": [{"zh": zh, "en": en} for zh, en in verdict["reasons"]],
                    "report": report})
    out.sort(key=lambda h: (-_RANK[h["level"]], h["id"]))
    return out


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds} 秒前 / {seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} 分钟前 / {seconds // 60} min ago"
    return f"{seconds // 3600} 小时前 / {seconds // 3600} h ago"


def fleet_html(halls: list[dict]) -> str:
    e = html.escape
    colours = {"green": "#1b7f3b", "amber": "#b45309", "red": "#b3261e"}
    names = {"green": "正常 OK", "amber": "注意 Attention", "red": "故障 Down"}
    rows = []
    for h in halls:
        rep = h["report"] or {}
        devices = ", ".join(
            f"{d.get('name')}: {(d.get('printer') or {}).get('state', '—')}"
            for d in rep.get("devices") or []) or "—"
        free = (rep.get("disk") or {}).get("free_bytes")
        reasons = "<br>".join(f"{e(r['zh'])} <small>{e(r['en'])}</small>" for r in h["reasons"]) or "—"
        rows.append(
            f"<tr class='hall {h['level']}' data-hall='{e(h['id'])}' data-level='{h['level']}'>"
            f"<td class='name'><span class='dot' style='background:{colours[h['level']]}'></span>"
            f"<b>{e(h['name'])}</b><br><small>{e(h['id'])}</small></td>"
            f"<td class='level' style='color:{colours[h['level']]}'>{names[h['level']]}</td>"
            f"<td class='age'>{_age(h['age_s'])}</td>"
            f"<td>{e(str(rep.get('version', '—')))}</td><td>{e(devices)}</td>"
            f"<td>{'—' if free is None else f'{free / 1024 ** 3:.1f} GB'}</td>"
            f"<td>{(rep.get('queue') or {}).get('waiting', '—')}</td>"
            f"<td class='reasons'>{reasons}</td></tr>")
    counts = {lvl: sum(1 for h in halls if h["level"] == lvl) for lvl in colours}
    summary = " · ".join(f"<span style='color:{colours[k]}'>{names[k]} {v}</span>"
                         for k, v in counts.items())
    return (f"<div class='card' id='fleet-summary'>{summary}</div>"
            "<table id='fleet'><thead><tr><th>大厅 Hall</th><th>状态 State</th>"
            "<th>上报 Report</th><th>版本 Version</th><th>设备 Devices</th><th>磁盘 Disk free</th>"
            "<th>排队 Waiting</th><th>原因 Why</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
            "<style>.dot{display:inline-block;width:14px;height:14px;border-radius:7px;"
            "margin-right:8px;vertical-align:middle}td.reasons{text-align:left}"
            "td.level{font-weight:bold}</style>")
