"""Phone notices: queued inside the engine's transaction when a ticket nears the front or is called."""

from __future__ import annotations

import sqlite3
import time
import uuid

from hall import policy

# Events after which the queue may have moved, so a waiting ticket may now be near the front.
# Issuing is left out: a citizen who just took a ticket is standing at the kiosk.
_QUEUE_MOVES = {"ticket.called", "ticket.no_show", "ticket.walked_out", "ticket.transferred",
                "ticket.refused", "ticket.expired", "ticket.held", "ticket.started",
                "ticket.finished", "ticket.checked_in"}

_TICKET_COLUMNS = "t.id, t.number, t.service_id, t.state, t.rank, t.sort_at, t.business_date"


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
        rows = conn.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets t JOIN ticket_contacts c ON c.ticket_id = t.id "
            "WHERE t.state = 'waiting' AND t.checked_in = 1 AND NOT EXISTS (SELECT 1 FROM notices n "
            "WHERE n.ticket_id = t.id AND n.kind = 'near')").fetchall()
        for row in rows:
            ticket = dict(zip(("id", "number", "service_id", "state", "rank", "sort_at",
                               "business_date"), tuple(row), strict=True))
            ahead = policy.count_ahead(conn, ticket)
            if ahead <= notices.near_front:
                text = notices.template_near.format(hall=hall_name, number=ticket["number"],
                                                    ahead=ahead)
                queued += _insert(conn, ticket, "near", "near", text, now)
    return queued


def _insert(conn: sqlite3.Connection, ticket: dict, kind: str, key: str, text: str,
            now: float) -> int:
    cur = conn.execute(
        "INSERT INTO notices (id, ticket_id, kind, event_key, business_date, text, next_at, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (uuid.uuid4().hex, ticket["id"], kind, key, ticket.get("business_date") or "", text,
         now, now))
    return cur.rowcount
