"""Phone notices: queued inside the engine's transaction when a ticket nears the front or is called,
and for matters (办件) when the result is ready, is rejected, or owed materials fall due."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

# Events after which the queue may have moved, so a waiting ticket may now be near the front.
# Issuing is left out: a citizen who just took a ticket is standing at the kiosk.
_QUEUE_MOVES = {"ticket.called", "ticket.no_show", "ticket.walked_out", "ticket.transferred",
                "ticket.refused", "ticket.expired", "ticket.held", "ticket.started",
                "ticket.finished", "ticket.checked_in"}

_TICKET_COLUMNS = "t.id, t.number, t.service_id, t.state, t.rank, t.sort_at, t.business_date"


def _rows(value) -> list[dict]:
    return [r for r in (value if isinstance(value, list) else [value]) if isinstance(r, dict)]


def queue_notices(conn: sqlite3.Connection, event_type: str, payload: dict, config) -> int:
    """Queue the notices this event calls for, in the caller's transaction; returns how many.

    Called by the engine for every event it appends. A notice is unique per (ticket, kind,
    event), so it can never be queued twice; the text holds the ticket number, the window
    and the hall's name only (the phone is looked up by the sender at sending time).
    """
    notices = getattr(config, "notices", None)
    if notices is None or not notices.enabled:
        return 0
    now = time.time()
    hall_name = config.hall.name_zh
    queued = 0
    if event_type in ("ticket.called", "ticket.recalled"):
        ticket = payload.get("ticket") or {}
        call = payload.get("call") or {}
        if ticket.get("has_phone") and ticket.get("id"):
            window = payload.get("window_number") or (payload.get("window") or {}).get("number", "")
            text = notices.template_called.format(hall=hall_name, number=ticket.get("number", ""),
                                                  window=window)
            queued += _insert(conn, ticket, "called", call.get("id") or f"call@{now}", text, now)
    if event_type in _QUEUE_MOVES or event_type == "ticket.recalled":
        # Only the queues of the services this event touched moved. In each, the first
        # near_front + 1 checked-in waiting tickets in call order (rank, then sort time) are
        # the ones with at most near_front ahead: the k-th has k ahead.
        # A few index steps per service, whatever the queue's length (issue 12).
        touched = {t.get("service_id") for t in _rows(payload.get("ticket")) if t.get("service_id")}
        for service_id in sorted(touched):
            rows = conn.execute(
                f"SELECT {_TICKET_COLUMNS}, EXISTS (SELECT 1 FROM ticket_contacts c WHERE c.ticket_id = t.id) "
                "FROM tickets t WHERE t.service_id = ? AND t.state = 'waiting' AND t.checked_in = 1 "
                "ORDER BY t.rank, t.sort_at LIMIT ?", (service_id, notices.near_front + 1)).fetchall()
            for ahead, row in enumerate(rows):
                if not row[-1]:
                    continue
                ticket = dict(zip(("id", "number", "service_id", "state", "rank", "sort_at",
                                   "business_date"), tuple(row)[:-1], strict=True))
                if conn.execute("SELECT 1 FROM notices WHERE ticket_id = ? AND kind = 'near'",
                                (ticket["id"],)).fetchone():
                    continue
                text = notices.template_near.format(hall=hall_name, number=ticket["number"], ahead=ahead)
                queued += _insert(conn, ticket, "near", "near", text, now)
    if event_type.startswith("matter.") or event_type == "day.opened":
        queued += _matter_notices(conn, event_type, payload, config, now)
    return queued


def _matter_notices(conn: sqlite3.Connection, event_type: str, payload: dict, config, now: float) -> int:
    """Matters (hall/matters.py): the result is ready, the application was rejected, or owed
    materials (容缺) fall due within [matters] remind_working_days (checked once a day, at the
    day's opening). The text holds the code, the service and the date only."""
    mc = config.matters
    hall_name = config.hall.name_zh
    queued = 0
    rows = payload.get("matter") or []
    for m in rows if isinstance(rows, list) else [rows]:
        if not m.get("has_phone"):
            continue
        service = config.service(m["service_id"])
        name = service.name_zh if service else m["service_id"]
        if event_type == "matter.ready" and m.get("state") == "ready":
            text = mc.template_ready.format(hall=hall_name, code=m["code"], service=name)
            queued += _insert(conn, {"id": m["ticket_id"], "business_date": m["business_date"]}, "matter_ready",
                              f"ready:{m['id']}", text, now, matter_id=m["id"])
        elif event_type == "matter.advanced" and m.get("state") == "rejected":
            text = mc.template_decided.format(hall=hall_name, code=m["code"], service=name, reason=m.get("reason") or "")
            queued += _insert(conn, {"id": m["ticket_id"], "business_date": m["business_date"]}, "matter_decided",
                              f"rejected:{m['id']}", text, now, matter_id=m["id"])
    if event_type == "day.opened":
        import datetime as dt

        from hall.workdays import WorkCalendar

        today = payload.get("business_date")
        if not today:
            return queued
        cal = WorkCalendar(config.calendar.holidays, config.calendar.workdays, (1, 2, 3, 4, 5))
        for row in conn.execute("SELECT id, code, ticket_id, service_id, owed, owed_due, business_date FROM matters "
                                "WHERE closed_at IS NULL AND has_phone = 1 AND owed_due IS NOT NULL AND owed_due >= ?",
                                (today,)).fetchall():
            mid, code, ticket_id, _sid, owed, due, bd = tuple(row)
            left = [o["name"] for o in json.loads(owed or "[]") if not o.get("supplied_at")]
            if not left or cal.working_days_between(dt.date.fromisoformat(today), dt.date.fromisoformat(due)) \
                    > mc.remind_working_days:
                continue
            text = mc.template_owed.format(hall=hall_name, code=code, materials="、".join(left), due=due)
            queued += _insert(conn, {"id": ticket_id, "business_date": bd}, "matter_owed", f"owed:{mid}:{due}",
                              text, now, matter_id=mid)
    return queued


def _insert(conn: sqlite3.Connection, ticket: dict, kind: str, key: str, text: str,
            now: float, matter_id: str | None = None) -> int:
    cur = conn.execute(
        "INSERT INTO notices (id, ticket_id, kind, event_key, business_date, text, next_at, "
        "created_at, matter_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (uuid.uuid4().hex, ticket["id"], kind, key, ticket.get("business_date") or "", text,
         now, now, matter_id))
    return cur.rowcount
