"""12345 hotline items at the hall: pulled from the central, filed as complaints and ratings.

`receive_hotline(engine, items)` files each new item in one engine transaction:

- a complaint → a complaint with `source = "hotline"` (tracking code TS…, its case with the
  complaint deadlines), exactly as one filed at the kiosk;
- a rating that names a finished ticket (number + date) not yet rated → a rating with
  `channel = "hotline"` (a 差评 opens its case with the rating deadlines);
- a rating without such a ticket → for a 差评, a case with the rating deadlines and no rating
  row (the figures count only ratings tied to a service); for a good rating, only the record.

Each item is also written to `hotline_items` (event `hotline.received`), which the push
carries to the central; the case's later steps (`case.advanced`) carry the outcome up.
An item already received (by the central's id) is skipped, so re-pulling changes nothing.
"""

from __future__ import annotations

import logging

from hall.models import BAD_RATING_MAX, RATING_ZH

log = logging.getLogger(__name__)


def receive_hotline(engine, items: list[dict]) -> int:
    """File new hotline items; returns how many were new."""
    n = 0
    for item in items:
        if not isinstance(item, dict) or not item.get("id") or item.get("kind") not in ("complaint", "rating"):
            log.warning("hotline item skipped: malformed")
            continue
        with engine._op() as op:
            if op.c.execute("SELECT 1 FROM hotline_items WHERE id = ?", (item["id"],)).fetchone():
                continue
            _file(engine, op, item)
            n += 1
    return n


def _file(engine, op, item: dict) -> None:
    cats = {c.id: c for c in engine.config.kiosk.complaint_categories}
    content = str(item.get("content") or "").strip()[:1000]
    reason = str(item.get("reason") or "").strip()[:200]
    row = {"id": item["id"], "ref": str(item.get("ref", ""))[:40], "kind": item["kind"], "level": None,
           "category": str(item.get("category") or "")[:40], "content": content, "reason": reason,
           "ticket_id": None, "rating_id": None, "complaint_id": None, "case_id": None, "hall_code": None,
           "received_at": op.now}
    ticket = _ticket(op, item)
    if item["kind"] == "complaint":
        category = row["category"] if row["category"] in cats else "12345"   # shown as 吐槽（12345）
        text = f"12345 工单 {row['ref']}：{content}" if content else f"12345 工单 {row['ref']}"
        complaint = engine._insert_complaint(op, kind="complaint", category=category, text=text, phrases=[],
                                             phone=None, source="hotline", ticket=ticket, cats=cats)
        case = op.c.execute("SELECT id FROM cases WHERE complaint_id = ?", (complaint["id"],)).fetchone()
        row.update(complaint_id=complaint["id"], hall_code=complaint["code"], case_id=case[0] if case else None,
                   ticket_id=ticket["id"] if ticket else None)
    else:
        level = int(item.get("level") or 0)
        if not 1 <= level <= 5:
            log.warning("hotline rating %s skipped: bad level", row["ref"])
            return
        row["level"] = level
        reasons = [reason] if reason else (["12345 热线差评"] if level <= BAD_RATING_MAX else [])
        rated = ticket is not None and ticket["state"] in ("done", "refused") and not op.c.execute(
            "SELECT 1 FROM ratings WHERE ticket_id = ?", (ticket["id"],)).fetchone()
        if rated:
            rating = engine._rate(op, ticket, level, reasons, content or None, "hotline", False)
            case = op.c.execute("SELECT id FROM cases WHERE rating_id = ?", (rating["id"],)).fetchone()
            row.update(rating_id=rating["id"], ticket_id=ticket["id"], case_id=case[0] if case else None)
        elif level <= BAD_RATING_MAX:
            summary = (f"12345 工单 {row['ref']} 差评（{RATING_ZH[level]}）：{'、'.join(reasons)}"
                       + (f"；{content}" if content else ""))
            case = engine._open_case(op, "rating", summary, ticket=ticket)
            row.update(case_id=case["id"], ticket_id=ticket["id"] if ticket else None)
    op.put("hotline_item", row)
    op.emit("hotline.received", ref=row["ref"], kind=row["kind"])


def _ticket(op, item: dict) -> dict | None:
    number = str(item.get("ticket_number") or "").strip().upper()
    date = str(item.get("ticket_date") or "").strip()
    if not number or not date:
        return None
    row = op.c.execute("SELECT * FROM tickets WHERE number = ? AND business_date = ? "
                       "ORDER BY issued_at DESC LIMIT 1", (number, date)).fetchone()
    if row is None:
        return None
    # a transferred ticket: the live end of the chain is the one that was served
    ticket = dict(row)
    seen = 0
    while ticket.get("transferred_to") and seen < 10:
        nxt = op.c.execute("SELECT * FROM tickets WHERE id = ?", (ticket["transferred_to"],)).fetchone()
        if nxt is None:
            break
        ticket = dict(nxt)
        seen += 1
    return ticket
