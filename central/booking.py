"""Online appointments on the central: services and slots from the hall's config, real-name rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
import tomllib
import uuid
from dataclasses import dataclass

from central.db import CentralDB

SLOT_MINUTES = 30
SLOT_CAPACITY = 4          # bookings per service per slot
DAYS_AHEAD = 7
PHONE_DAILY_LIMIT = 3      # bookings per phone per day, across services
NO_SHOW_LIMIT = 3          # this many no-shows in NO_SHOW_DAYS stops online booking
NO_SHOW_DAYS = 90

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")


class BookingRefused(Exception):
    """A booking the rules do not allow; the message is for the citizen, in both languages."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(message_en)
        self.code, self.message, self.message_en = code, message, message_en


@dataclass
class HallOffer:
    hall_id: str
    hall_name: str
    services: list[dict]
    open: str
    close: str
    timezone: str = "Asia/Shanghai"
    weekdays: tuple = (1, 2, 3, 4, 5)
    holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()
    ticket_cutoff: str = "23:59"

    def is_open(self, day: dt.date) -> bool:
        """The hall's own calendar: its weekdays, minus holidays, plus make-up working days."""
        if day in self.workdays:
            return True
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def open_days(self) -> list[dt.date]:
        today = self.today()
        days = (today + dt.timedelta(days=i) for i in range(DAYS_AHEAD + 1))
        return [d for d in days if self.is_open(d)]

    def today(self) -> dt.date:
        from zoneinfo import ZoneInfo

        return dt.datetime.now(ZoneInfo(self.timezone)).date()


def hall_offer(db: CentralDB, hall_id: str) -> HallOffer | None:
    """What a hall offers online, read from its current configuration version."""
    current = db.current_config(hall_id)
    if not current:
        return None
    data = tomllib.loads(current[1])
    services = [{"id": s["id"], "name_zh": s.get("name_zh", s["id"]),
                 "name_en": s.get("name_en", "")}
                for s in data.get("services", []) if s.get("appointments")]
    day = data.get("day", {})
    hall = data.get("hall", {})
    calendar = data.get("calendar", {})
    return HallOffer(hall_id, hall.get("name_zh", hall_id), services,
                     day.get("open", "08:30"), day.get("close", "17:30"),
                     hall.get("timezone", "Asia/Shanghai"),
                     tuple(day.get("weekdays", (1, 2, 3, 4, 5))),
                     frozenset(calendar.get("holidays", [])), frozenset(calendar.get("workdays", [])),
                     day.get("ticket_cutoff", "23:59"))


def slots(offer: HallOffer, day: dt.date | None = None, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """Half-hour slots inside the opening hours: from opening time, the last one ending an hour
    before closing and by the ticket cut-off. For today (`day` == the hall's date of `now`),
    only slots that have not started yet."""
    start = dt.datetime.strptime(offer.open, "%H:%M")
    end = min(dt.datetime.strptime(offer.close, "%H:%M") - dt.timedelta(minutes=60),
              dt.datetime.strptime(offer.ticket_cutoff, "%H:%M"))
    earliest = None
    if day is not None and now is not None and day == now.date():
        earliest = now.strftime("%H:%M")
    out = []
    while start + dt.timedelta(minutes=SLOT_MINUTES) <= end:
        stop = start + dt.timedelta(minutes=SLOT_MINUTES)
        if earliest is None or start.strftime("%H:%M") > earliest:
            out.append((start.strftime("%H:%M"), stop.strftime("%H:%M")))
        start = stop
    return out


def hall_now(offer: HallOffer) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(offer.timezone))


def _pepper(db: CentralDB) -> bytes:
    # The pepper lives in the database so identities hash the same across restarts; it is
    # created once, at random, and never leaves the central.
    row = db.one("SELECT value FROM counters WHERE name = 'pepper'")
    if row is None:
        with db.transaction():
            db.execute("INSERT INTO counters (name, value) VALUES ('pepper', ?) "
                       "ON CONFLICT DO NOTHING", (secrets.randbits(62),))
        row = db.one("SELECT value FROM counters WHERE name = 'pepper'")
    return str(row[0]).encode()


def identity_hash(db: CentralDB, kind: str, value: str) -> str:
    return hmac.new(_pepper(db), f"{kind}:{value.strip().upper()}".encode(),
                    hashlib.sha256).hexdigest()


def mask_name(name: str) -> str:
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def book(db: CentralDB, *, hall_id: str, service_id: str, date: str, slot: str, name: str,
         id_number: str, phone: str, today: dt.date | None = None) -> dict:
    """Book one appointment or raise BookingRefused; returns the appointment with its code."""
    offer = hall_offer(db, hall_id)
    if offer is None:
        raise BookingRefused("unknown_hall", "该大厅暂未开放网上预约", "this hall takes no online bookings")
    today = today or offer.today()
    service = next((s for s in offer.services if s["id"] == service_id), None)
    if service is None:
        raise BookingRefused("no_service", "请选择可预约的事项", "choose a service that takes appointments")
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise BookingRefused("bad_date", "请选择预约日期", "choose a date") from None
    if not (today <= day <= today + dt.timedelta(days=DAYS_AHEAD)):
        raise BookingRefused("bad_date", f"只能预约今天起 {DAYS_AHEAD} 天内",
                             f"bookings are open for the next {DAYS_AHEAD} days only")
    if not offer.is_open(day):
        raise BookingRefused("closed_day", "大厅当天不办公，请选择其他日期",
                             "the hall is closed that day, choose another date")
    slot_map = dict(slots(offer))
    if slot not in slot_map:
        raise BookingRefused("bad_slot", "请选择预约时段", "choose a time slot")
    if day == today and slot not in dict(slots(offer, day, hall_now(offer))):
        raise BookingRefused("slot_passed", "该时段已过，请选择稍后的时段或其他日期",
                             "this time has passed; choose a later slot or another day")
    name = (name or "").strip()
    if not (1 <= len(name) <= 30):
        raise BookingRefused("bad_name", "请填写姓名", "enter your name")
    id_number = (id_number or "").strip()
    if not _ID_NUMBER.match(id_number):
        raise BookingRefused("bad_id", "身份证号码应为 18 位", "the ID number has 18 characters")
    phone = (phone or "").strip()
    if not _PHONE.match(phone):
        raise BookingRefused("bad_phone", "请填写 11 位手机号码", "enter an 11-digit mobile number")
    person = identity_hash(db, "id", id_number)
    phone_hash = identity_hash(db, "phone", phone)
    since = (today - dt.timedelta(days=NO_SHOW_DAYS)).isoformat()
    with db.transaction():
        # One booking at a time per hall, so two taps on "book" cannot both pass the rules.
        db.execute("SELECT 1 FROM halls WHERE id = ?" + db.for_update, (hall_id,))
        no_shows = db.execute(
            "SELECT COUNT(*) FROM appointments WHERE person_hash = ? AND status = 'booked' "
            "AND date < ? AND date >= ?", (person, today.isoformat(), since)).fetchone()[0]
        if no_shows >= NO_SHOW_LIMIT:
            raise BookingRefused("blacklisted",
                                 f"近 {NO_SHOW_DAYS} 天爽约 {no_shows} 次，暂停网上预约，请现场取号",
                                 f"{no_shows} missed appointments in {NO_SHOW_DAYS} days: "
                                 "online booking is suspended, please take a ticket at the hall")
        same = db.execute(
            "SELECT COUNT(*) FROM appointments WHERE person_hash = ? AND service_id = ? "
            "AND date = ? AND status IN ('booked', 'checked_in')",
            (person, service_id, date)).fetchone()[0]
        if same:
            raise BookingRefused("duplicate", "同一事项每人每天只能预约一次",
                                 "one booking per person per service per day")
        per_phone = db.execute(
            "SELECT COUNT(*) FROM appointments WHERE phone_hash = ? AND date = ? "
            "AND status IN ('booked', 'checked_in')", (phone_hash, date)).fetchone()[0]
        if per_phone >= PHONE_DAILY_LIMIT:
            raise BookingRefused("phone_limit", f"同一手机号每天最多预约 {PHONE_DAILY_LIMIT} 次",
                                 f"at most {PHONE_DAILY_LIMIT} bookings per phone per day")
        taken = db.execute(
            "SELECT COUNT(*) FROM appointments WHERE hall_id = ? AND service_id = ? AND date = ? "
            "AND slot_start = ? AND status IN ('booked', 'checked_in')",
            (hall_id, service_id, date, slot)).fetchone()[0]
        if taken >= SLOT_CAPACITY:
            raise BookingRefused("slot_full", "该时段已约满，请换一个时段",
                                 "this slot is full, choose another")
        while True:
            code = f"{secrets.randbelow(10**8):08d}"
            if not db.execute("SELECT 1 FROM appointments WHERE code = ?", (code,)).fetchone():
                break
        rev = db.next_counter("appointment_rev")
        row = {"id": uuid.uuid4().hex, "code": code, "hall_id": hall_id,
               "service_id": service_id, "date": date, "slot_start": slot,
               "slot_end": slot_map[slot], "name_masked": mask_name(name),
               "status": "booked"}
        db.execute(
            "INSERT INTO appointments (id, code, hall_id, service_id, date, slot_start, slot_end,"
            " name_masked, person_hash, phone_hash, phone_masked, status, rev, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], code, hall_id, service_id, date, slot, slot_map[slot],
             row["name_masked"], person, phone_hash, mask_phone(phone), "booked", rev,
             time.time()))
        from central.idsalt import purge_past_id_hashes, store_id_hash

        store_id_hash(db, hall_id, row["id"], id_number)   # the hall's salted hash, for card check-in
        purge_past_id_hashes(db, today)                    # and none kept past its day
    return {**row, "service_name_zh": service["name_zh"], "service_name_en": service["name_en"],
            "hall_name": offer.hall_name, "qr": f"OW1:A:{code}"}


def cancel(db: CentralDB, code: str, phone: str) -> dict:
    """Cancel a booking; the citizen proves it is theirs with the phone used to book it."""
    code, phone = (code or "").strip(), (phone or "").strip()
    phone_hash = identity_hash(db, "phone", phone)
    with db.transaction():
        row = db.execute("SELECT status, phone_hash, date, slot_start FROM appointments "
                         "WHERE code = ?" + db.for_update, (code,)).fetchone()
        if row is None or not hmac.compare_digest(row[1], phone_hash):
            raise BookingRefused("not_found", "预约码或手机号不正确", "wrong appointment code or phone")
        if row[0] != "booked":
            raise BookingRefused("not_cancellable", "该预约已签到或已取消，无法取消",
                                 "this appointment was already checked in or cancelled")
        rev = db.next_counter("appointment_rev")
        db.execute("UPDATE appointments SET status = 'cancelled', rev = ? WHERE code = ?",
                   (rev, code))
    return {"code": code, "date": row[2], "slot_start": row[3], "status": "cancelled"}


def changes(db: CentralDB, hall_id: str, date: str, after: int, limit: int) -> dict:
    """Appointments of one hall and date changed after `after`, in rev order (the pull)."""
    rows = db.query(
        "SELECT a.id, a.code, a.service_id, a.date, a.slot_start, a.slot_end, a.name_masked, "
        "a.status, a.rev, COALESCE(h.id_hash, '') FROM appointments a "
        "LEFT JOIN appointment_id_hashes h ON h.appointment_id = a.id "
        "WHERE a.hall_id = ? AND a.date = ? AND a.rev > ? ORDER BY a.rev LIMIT ?",
        (hall_id, date, after, limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    keys = ("id", "code", "service_id", "date", "slot_start", "slot_end", "name_masked",
            "status", "rev", "id_hash")
    items = [dict(zip(keys, r, strict=True)) for r in rows]
    from central.idsalt import hall_salt

    with db.transaction():
        salt = hall_salt(db, hall_id)
    # id_salt: the hall's kiosks hash the number read from an ID card with it (sync-protocol §3)
    return {"appointments": items, "cursor": items[-1]["rev"] if items else after, "more": more,
            "id_salt": salt}
