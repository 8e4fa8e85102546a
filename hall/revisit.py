"""电话回访: a manager may see a case's full contact number to call the citizen back.

Rules kept here:
- the number was left by the citizen with a case (a complaint, or a 差评 on the phone page)
  and only with their consent, recorded when it was entered; without consent it stays masked;
- every reveal is written to `contact_reveals` (who, when, why), in the same transaction that
  reads the number; the number itself is never written there, nor to events or logs;
- numbers are purged with the other contacts (privacy.phone_retention_days, at least 30 days).
"""

from __future__ import annotations

import sqlite3
import uuid

from hall.errors import InvalidInput, NotFound, Refused
from hall.models import mask_phone


def case_contact(c: sqlite3.Connection, case: dict) -> dict | None:
    """{source, phone, consent} of a case's contact, or None (full number: callers mask it)."""
    row = None
    source = None
    if case.get("complaint_id"):
        row = c.execute("SELECT phone, consent FROM complaint_contacts WHERE complaint_id = ?",
                        (case["complaint_id"],)).fetchone()
        source = "complaint"
    elif case.get("rating_id"):
        row = c.execute("SELECT phone, consent FROM rating_contacts WHERE rating_id = ?",
                        (case["rating_id"],)).fetchone()
        source = "rating"
    if not row:
        return None
    return {"source": source, "phone": row[0], "consent": bool(row[1])}


def masked_contact(c: sqlite3.Connection, case: dict) -> dict | None:
    """What the case board shows: the masked number, whether a revisit call is allowed, and
    how often the number was revealed."""
    contact = case_contact(c, case)
    if contact is None:
        return None
    reveals = c.execute("SELECT COUNT(*) FROM contact_reveals WHERE case_id = ?", (case["id"],)).fetchone()[0]
    return {"masked": mask_phone(contact["phone"]), "consent": contact["consent"], "source": contact["source"],
            "reveals": reveals}


def reveal(store, case_id: str, staff_id: str, reason: str, now: float) -> dict:
    """The full number for a revisit call, with an audit row in the same transaction."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput("reason_required", "请写明查看号码的原因（如：差评回访）",
                           "say why you need the number (e.g. revisit of a bad rating)")
    with store.transaction() as c:
        row = c.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
        if not row:
            raise NotFound("unknown_case", "找不到该工单", "no such case")
        contact = case_contact(c, dict(row))
        if contact is None:
            raise NotFound("no_contact", "群众没有留下联系电话（或已按规定删除）",
                           "the citizen left no number (or it was purged)")
        if not contact["consent"]:
            raise Refused("no_consent", "群众未同意回访，不能显示完整号码",
                          "the citizen did not consent to a call back; the number stays masked")
        c.execute("INSERT INTO contact_reveals (id, case_id, staff_id, reason, at) VALUES (?, ?, ?, ?, ?)",
                  (uuid.uuid4().hex, case_id, staff_id, reason[:200], now))
        reveals = c.execute("SELECT COUNT(*) FROM contact_reveals WHERE case_id = ?", (case_id,)).fetchone()[0]
    return {"phone": contact["phone"], "masked": mask_phone(contact["phone"]), "reveals": reveals}


def reveals_of(store, case_id: str) -> list[dict]:
    with store.read() as c:
        rows = c.execute("SELECT r.staff_id, s.name AS staff_name, r.reason, r.at FROM contact_reveals r "
                         "LEFT JOIN staff s ON s.id = r.staff_id WHERE r.case_id = ? ORDER BY r.at",
                         (case_id,)).fetchall()
    return [dict(r) for r in rows]
