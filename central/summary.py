"""The central's read side: per-hall figures folded from the events the halls pushed."""

from __future__ import annotations

import datetime as dt
import json
import time

from central.db import CentralDB

_COUNTED = ("ticket.issued", "ticket.called", "rating.given", "complaint.filed",
            "ticket.refused", "case.opened", "ticket.no_show")


_STAGE_DUE = {"open": "revisit_due", "verified": "rectify_due", "rectified": "reply_due",
              "revisited": "reply_due"}


def _overdue(case: dict, now: float) -> bool:
    """Past the due date of the stage the case is in (回访, 整改, 答复), in China time."""
    due = case.get(_STAGE_DUE.get(case.get("state"), "reply_due")) or case.get("reply_due")
    if isinstance(due, int | float):
        return due < now
    if isinstance(due, str) and len(due) == 10:
        from zoneinfo import ZoneInfo

        today = dt.datetime.fromtimestamp(now, ZoneInfo("Asia/Shanghai")).date().isoformat()
        return due < today
    return False


def hall_summaries(db: CentralDB, date: str | None = None, now: float | None = None) -> dict:
    """Figures for every hall (all days, or one business date)."""
    now = now if now is not None else time.time()
    where, params = ("", ()) if not date else (" AND business_date = ?", (date,))
    halls = {h["id"]: {"hall": h["id"], "name": h["name"], "acked_upto": h["hwm"],
                       "last_push_at": h["last_push_at"], "tickets": 0, "called": 0,
                       "no_shows": 0, "wait_avg_minutes": None, "wait_max_minutes": None,
                       "ratings": 0, "rating_avg": None, "bad_ratings": 0, "complaints": 0,
                       "refusals": 0, "refusals_by_kind": {}, "cases_open": 0,
                       "cases_overdue": 0}
             for h in db.halls()}
    counts = db.query(
        "SELECT hall_id, type, COUNT(*) FROM events WHERE type IN "
        f"({','.join('?' * len(_COUNTED))}){where} GROUP BY hall_id, type",
        (*_COUNTED, *params))
    key = {"ticket.issued": "tickets", "ticket.called": "called", "rating.given": "ratings",
           "complaint.filed": "complaints", "ticket.refused": "refusals",
           "ticket.no_show": "no_shows"}
    for hall_id, etype, n in counts:
        if hall_id in halls and etype in key:
            halls[hall_id][key[etype]] = int(n)
    # Waits, rating levels, refusal kinds and case states need the payloads; the reference
    # central folds them in Python (a production one keeps projection tables).
    rows = db.query(
        "SELECT hall_id, type, payload FROM events WHERE type IN "
        f"('ticket.called', 'rating.given', 'ticket.refused', 'case.opened', 'case.advanced')"
        f"{where} ORDER BY hall_id, seq", params)
    waits: dict[str, list[float]] = {}
    levels: dict[str, list[int]] = {}
    cases: dict[tuple, dict] = {}
    for hall_id, etype, payload_text in rows:
        if hall_id not in halls:
            continue
        payload = json.loads(payload_text)
        if etype == "ticket.called":
            t = payload.get("ticket") or {}
            if t.get("called_at") and t.get("issued_at") and not t.get("recalls"):
                waits.setdefault(hall_id, []).append((t["called_at"] - t["issued_at"]) / 60)
        elif etype == "rating.given":
            level = (payload.get("rating") or {}).get("level")
            if isinstance(level, int):
                levels.setdefault(hall_id, []).append(level)
        elif etype == "ticket.refused":
            kind = (payload.get("refusal") or {}).get("kind", "other")
            by_kind = halls[hall_id]["refusals_by_kind"]
            by_kind[kind] = by_kind.get(kind, 0) + 1
        else:
            case = payload.get("case") or {}
            if case.get("id"):
                cases[(hall_id, case["id"])] = case
    for hall_id, values in waits.items():
        halls[hall_id]["wait_avg_minutes"] = round(sum(values) / len(values), 1)
        halls[hall_id]["wait_max_minutes"] = round(max(values), 1)
    for hall_id, values in levels.items():
        halls[hall_id]["rating_avg"] = round(sum(values) / len(values), 2)
        halls[hall_id]["bad_ratings"] = sum(1 for v in values if v <= 2)
    for (hall_id, _), case in cases.items():
        if case.get("state") != "closed":
            halls[hall_id]["cases_open"] += 1
            if _overdue(case, now):
                halls[hall_id]["cases_overdue"] += 1
    return {"date": date, "generated_at": now, "halls": list(halls.values())}
