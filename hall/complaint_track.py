"""What a citizen sees of their complaint by its tracking code (/c/CODE): the status timeline,
the promised reply date in working days and the outcome. Reads only; no phone, no staff, no
case notes except the final reply (the close or appeal note, written for the citizen)."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from hall.config import HallConfig
from hall.errors import NotFound
from hall.workdays import WorkCalendar

CODE = re.compile(r"^TS\d{8}-\d{4}$")

STEP_NAMES = {
    "filed": ("已受理", "Received"),
    "assign": ("已指派专人处理", "Assigned to a handler"),
    "contact": ("已联系您（回访核实）", "We contacted you"),
    "verify": ("已核实", "Checked"),
    "rectify": ("已整改", "Put right"),
    "revisit": ("整改后已回访", "Follow-up call made"),
    "close": ("已办结", "Closed"),
    "appeal": ("申诉复核中", "Under review"),
    "appeal_upheld": ("复核完成", "Review finished"),
    "appeal_rejected": ("复核完成，继续处理", "Review finished; handling continues"),
}
STATE_NAMES = {
    "open": ("处理中", "Being handled"), "verified": ("已核实，整改中", "Checked; being put right"),
    "rectified": ("已整改，待回访", "Put right; follow-up pending"),
    "revisited": ("已回访，待办结", "Followed up; closing"),
    "appealing": ("复核中", "Under review"), "closed": ("已办结", "Closed"),
}
_FINAL_STEPS = ("close", "appeal_upheld")


def valid_code(code: str) -> bool:
    return bool(CODE.match(code or ""))


def track(c: sqlite3.Connection, config: HallConfig, code: str, today: str) -> dict:
    """The public view of one complaint; NotFound (404, both languages) for an unknown code."""
    if not valid_code(code):
        raise NotFound("unknown_complaint", "编号格式不正确，应形如 TS20261126-0001",
                       "a tracking code looks like TS20261126-0001")
    row = c.execute("SELECT * FROM complaints WHERE code = ?", (code,)).fetchone()
    if not row:
        raise NotFound("unknown_complaint", "找不到该编号的反映，请核对编号", "no complaint with this code")
    complaint = dict(row)
    case = c.execute("SELECT * FROM cases WHERE complaint_id = ?", (complaint["id"],)).fetchone()
    case = dict(case) if case else None
    steps = [dict(r) for r in c.execute("SELECT step, note, at FROM case_steps WHERE case_id = ? "
                                        "ORDER BY at, rowid", (case["id"],))] if case else []
    timeline = [{"step": "filed", "zh": STEP_NAMES["filed"][0], "en": STEP_NAMES["filed"][1],
                 "at": complaint["at"]}]
    for s in steps:
        zh, en = STEP_NAMES.get(s["step"], (s["step"], s["step"]))
        timeline.append({"step": s["step"], "zh": zh, "en": en, "at": s["at"]})
    cats = {cat.id: cat for cat in config.kiosk.complaint_categories}
    cat = cats.get(complaint["category"])
    out: dict = {
        "code": complaint["code"], "kind": complaint["kind"],
        "category": {"id": complaint["category"], "zh": cat.zh if cat else complaint["category"],
                     "en": (cat.en or cat.zh) if cat else complaint["category"]},
        "filed_at": complaint["at"], "business_date": complaint["business_date"],
        "timeline": timeline, "state": None, "state_zh": None, "state_en": None,
        "reply_due": None, "reply_working_days": None, "working_days_left": None, "overdue": False,
        "outcome": None, "hotline": config.citizen.hotline,
    }
    if case:
        zh, en = STATE_NAMES.get(case["state"], (case["state"], case["state"]))
        cal = WorkCalendar(config.calendar.holidays, config.calendar.workdays)
        due = dt.date.fromisoformat(case["reply_due"])
        left = cal.working_days_between(dt.date.fromisoformat(today), due)
        out.update({
            "state": case["state"], "state_zh": zh, "state_en": en, "reply_due": case["reply_due"],
            "reply_working_days": cal.working_days_between(dt.date.fromisoformat(case["business_date"]), due),
            "working_days_left": max(left, 0) if case["state"] != "closed" else None,
            "overdue": case["state"] != "closed" and left < 0,
        })
        if case["state"] == "closed":
            final = next((s for s in reversed(steps) if s["step"] in _FINAL_STEPS), None)
            out["outcome"] = {"closed_at": case["closed_at"], "reply": final["note"] if final else "",
                              "resolution": case["resolution"]}
    return out
