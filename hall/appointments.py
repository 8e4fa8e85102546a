"""Appointments pulled from central and checked in on site.

Rules kept here:
- an appointment code has 8 digits (a QR may prefix it with OW1:A:);
- a checked-in appointment keeps its state when central sends it again;
- check-in opens `checkin_early_minutes` before the slot; inside the window the citizen gets an
  appointment ticket, not callable before the slot starts and called first in it;
- late arrivals get a normal ticket, or are refused when late_policy is "refuse";
- appointment tickets do not count against the daily cap; checking in twice returns the same ticket.
"""

from __future__ import annotations

import re
import uuid

from hall.errors import (
    InvalidInput,
    NotFound,
    Refused,
)
from hall.models import (
    Priority,
)

_APPT_CODE = re.compile(r"^\d{8}$")


class AppointmentsMixin:
    """Engine methods: appointments pulled from central and checked in on site. Composed into hall.engine.Engine."""

    def upsert_appointments(self, appointments: list[dict]) -> int:
        """Store appointments pulled from central (by code). A checked-in one keeps its state."""
        with self._op() as op:
            n = 0
            for a in appointments:
                code = str(a.get("code", ""))
                if not _APPT_CODE.match(code):
                    raise InvalidInput("bad_appointment_code", f"预约码格式不正确：{code}", f"bad appointment code: {code}")
                if not op.c.execute("SELECT 1 FROM services WHERE id = ?", (a.get("service_id"),)).fetchone():
                    raise NotFound("unknown_service", f"预约的业务不存在：{a.get('service_id')}",
                                   f"appointment for unknown service {a.get('service_id')}")
                for key in ("date", "slot_start", "slot_end"):
                    if not isinstance(a.get(key), str):
                        raise InvalidInput("bad_appointment", f"预约缺少 {key}", f"appointment {code}: {key} is missing")
                old = op.c.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
                old = dict(old) if old else {}
                state = old.get("state") if old.get("state") == "checked_in" else a.get("state", "booked")
                op.put("appointment", {
                    "id": old.get("id") or a.get("id") or uuid.uuid4().hex, "code": code,
                    "service_id": a["service_id"], "date": a["date"], "slot_start": a["slot_start"],
                    "slot_end": a["slot_end"], "name_masked": a.get("name_masked", ""), "state": state,
                    "ticket_id": old.get("ticket_id"), "checked_in_at": old.get("checked_in_at"),
                    "updated_at": op.now})
                n += 1
            if n:
                op.emit("appointment.upserted", count=n)
            return n

    @staticmethod
    def parse_appointment_code(code: str) -> str:
        code = (code or "").strip()
        if code.upper().startswith("OW1:A:"):
            code = code[6:]
        code = re.sub(r"\s", "", code)
        if not _APPT_CODE.match(code):
            raise InvalidInput("bad_appointment_code", "预约码应为 8 位数字，请核对后重新输入",
                               "an appointment code has 8 digits; please check it")
        return code

    def check_in_appointment(self, code: str) -> dict:
        """Check in on site. Inside the window: an appointment ticket, called first in its slot.
        Early: refused with the time to come back. Late: a normal ticket (or refused)."""
        code = self.parse_appointment_code(code)
        with self._op() as op:
            row = op.c.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
            if not row:
                raise NotFound("unknown_appointment", "未找到该预约，请核对预约码，或到咨询台咨询",
                               "no appointment with this code; please check it or ask at the enquiry desk")
            appt = dict(row)
            if appt["state"] == "checked_in" and appt["ticket_id"]:
                return self._ticket(op.c, appt["ticket_id"])
            if appt["state"] == "cancelled":
                raise Refused("appointment_cancelled", "该预约已取消，请重新取号", "this appointment was cancelled")
            if appt["date"] != op.business_date:
                raise Refused("wrong_date", f"您预约的是 {appt['date']}，请在预约当天前来签到",
                              f"this appointment is for {appt['date']}")
            service = self._service(op.c, appt["service_id"])
            start = self._at(appt["date"], appt["slot_start"])
            early = start - 60 * self.config.appointments.checkin_early_minutes
            late = start + 60 * self.config.appointments.checkin_late_minutes
            if op.now < early:
                opens = self._hhmm(early)
                raise Refused("too_early", f"签到时间未到，请于 {opens} 后签到（预约时段 {appt['slot_start']}–{appt['slot_end']}）",
                              f"too early: check-in opens at {opens} (slot {appt['slot_start']}-{appt['slot_end']})")
            late_arrival = op.now > late
            if late_arrival and self.config.appointments.late_policy == "refuse":
                raise Refused("too_late", "已超过预约签到时间，请重新预约或取普通号",
                              "too late for this appointment; please book again or take a normal ticket")
            if late_arrival:
                ticket = self._new_ticket(op, service, priority=Priority.NORMAL, source="appointment_late",
                                          source_detail=code, appointment_id=appt["id"], enforce_cap=False)
            else:
                ticket = self._new_ticket(op, service, priority=Priority.APPOINTMENT, source="appointment",
                                          source_detail=code, not_before=start, appointment_id=appt["id"],
                                          enforce_cap=False)
            op.put("appointment", {**appt, "state": "checked_in", "ticket_id": ticket["id"],
                                   "checked_in_at": op.now, "updated_at": op.now})
            op.emit("ticket.checked_in", late=late_arrival, number=ticket["number"])
            return ticket
