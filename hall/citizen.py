"""What the citizen's phone page tells about their own ticket beyond the queue position:
the one-time notice after a refusal (一次性告知), the escalation path, the redirect explained,
and where to go after a no-show. Reads only; built field by field so nothing private leaks
(no staff id, no phone, no other citizen)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from hall.config import HallConfig
from hall.workdays import WorkCalendar

ESCALATE_NAMES = {
    "chief_representative": ("首席代表", "the chief representative"),
    "manager": ("大厅负责人", "the hall manager"),
}


def _service_names(config: HallConfig, service_id: str | None) -> dict:
    svc = config.service(service_id) if service_id else None
    return {"id": service_id,
            "name_zh": svc.name_zh if svc else (service_id or ""),
            "name_en": (svc.name_en or svc.name_zh) if svc else (service_id or "")}


def _chain_ids(c: sqlite3.Connection, ticket: dict) -> list[str]:
    """The live ticket and the tickets it came from (newest first), at most a few hops."""
    ids = [ticket["id"]]
    prev = ticket.get("transferred_from")
    while prev and len(ids) < 10:
        ids.append(prev)
        row = c.execute("SELECT transferred_from FROM tickets WHERE id = ?", (prev,)).fetchone()
        prev = row[0] if row else None
    return ids


def help_desk(config: HallConfig) -> dict:
    cz = config.citizen
    return {"zh": cz.help_desk_zh, "en": cz.help_desk_en or cz.help_desk_zh, "hotline": cz.hotline}


def refusal_story(c: sqlite3.Connection, config: HallConfig, ticket: dict) -> dict | None:
    """The latest refusal along the citizen's ticket chain, as the citizen should read it."""
    ids = _chain_ids(c, ticket)
    marks = ",".join("?" * len(ids))
    row = c.execute(f"SELECT r.*, w.number AS window_number FROM refusals r "
                    f"LEFT JOIN windows w ON w.id = r.window_id "
                    f"WHERE r.ticket_id IN ({marks}) ORDER BY r.at DESC LIMIT 1", ids).fetchone()
    if not row:
        return None
    r = dict(row)
    # A refusal of an older ticket in the chain that a later step superseded (e.g. the
    # redirected citizen was then served) is still told for a redirect only.
    if r["kind"] != "redirect" and r["ticket_id"] != ticket["id"]:
        return None
    out: dict = {
        "kind": r["kind"], "at": r["at"], "business_date": r["business_date"],
        "window_number": r["window_number"], "text": r["text"] or "",
        "service": _service_names(config, r["service_id"]),
    }
    if r["kind"] == "missing_materials":
        missing = json.loads(r["materials"] or "[]")
        svc = config.service(r["service_id"])
        names = [str(m) for m in svc.materials] if svc else []
        records = {m.name: m for m in getattr(svc, "material_records", [])} if svc else {}
        electronic = {m.name for m in records.values() if m.electronic}

        def item(name: str) -> dict:
            rec = records.get(name)
            return {"zh": name, "en": (rec.name_en if rec and rec.name_en else name)}

        out["materials_missing"] = [item(m) for m in missing]
        out["materials_handed_in"] = [item(n) for n in names if n not in missing and n not in electronic]
        # 免提交: the platform holds these as electronic licences; nobody needs to bring them
        out["materials_electronic"] = [item(n) for n in names if n in electronic]
    elif r["kind"] == "escalate":
        zh, en = ESCALATE_NAMES.get(r["escalate_to"] or "", ("大厅负责人", "the hall manager"))
        days = config.citizen.escalate_reply_working_days
        cal = WorkCalendar(config.calendar.holidays, config.calendar.workdays)
        start = dt.date.fromisoformat(r["business_date"])
        out["escalate_to"] = {"id": r["escalate_to"], "zh": zh, "en": en}
        out["reply_working_days"] = days
        out["reply_by"] = cal.add_working_days(start, days).isoformat()
    elif r["kind"] == "redirect":
        out["to_service"] = _service_names(config, r["target_service_id"])
    return out


def citizen_story(c: sqlite3.Connection, config: HallConfig, ticket: dict) -> dict:
    """The extra fields of the citizen's view: refusal (if any) and where to ask."""
    return {"refusal": refusal_story(c, config, ticket), "help_desk": help_desk(config),
            "can_leave": ticket["state"] == "waiting"}
