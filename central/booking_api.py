"""The booking API for the city's WeChat mini-programme and apps (`/api/booking/v1`, OpenAPI).

Same rules as the H5 page (`central.booking.book`): the page calls `book_once` here too.
Every request is authenticated per client app from its headers before the body is read
(`central.api_clients`), rate-limited per app, and a booking is idempotent by its
`Idempotency-Key`: a retried request gets the first answer, a key reused for another booking
is refused. Nothing here stores or logs the ID number or the full phone number; the
idempotency record keeps the answer (masked name, code) and a hash of the non-personal fields.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from central import booking
from central.api_clients import ApiRefused, Client, RateLimiter, authenticate
from central.db import CentralDB

PREFIX = "/api/booking/v1"
MAX_BODY = 16 * 1024
IDEM_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
IDEM_TTL = 24 * 3600


# -- schemas (also the OpenAPI document) ----------------------------------------------------
class ServiceOut(BaseModel):
    id: str
    name_zh: str
    name_en: str = ""


class HallOut(BaseModel):
    id: str
    name_zh: str
    open: str
    close: str
    days: list[str] = Field(description="open days a booking may be made for (YYYY-MM-DD)")
    services: list[ServiceOut]


class SlotOut(BaseModel):
    start: str
    end: str
    capacity: int
    booked: int
    available: int
    bookable: bool = Field(description="false when full or already started")


class BookIn(BaseModel):
    hall_id: str = Field(max_length=40)
    service_id: str = Field(max_length=40)
    date: str = Field(description="YYYY-MM-DD", max_length=10)
    slot: str = Field(description="slot start HH:MM", max_length=5)
    name: str = Field(min_length=1, max_length=30)
    id_number: str = Field(min_length=18, max_length=18, description="居民身份证号码; kept only as keyed hashes")
    phone: str = Field(min_length=11, max_length=11)


class AppointmentOut(BaseModel):
    code: str = Field(description="8 digits; the kiosk checks in with it or with QR `OW1:A:<code>`")
    qr: str
    hall_id: str
    hall_name: str = ""
    service_id: str
    service_name_zh: str = ""
    service_name_en: str = ""
    date: str
    slot_start: str
    slot_end: str
    name_masked: str
    status: str


class CancelIn(BaseModel):
    phone: str = Field(min_length=11, max_length=11, description="the phone the booking was made with")


class LookupIn(BaseModel):
    phone: str = Field(min_length=11, max_length=11)


class ErrorOut(BaseModel):
    error: dict = Field(description="{code, message (Chinese), message_en}")


_ERRORS = {s: {"model": ErrorOut} for s in (401, 403, 409, 422, 429)}


def _body_doc(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _err(exc: ApiRefused) -> JSONResponse:
    return JSONResponse({"error": {"code": exc.code, "message": exc.message, "message_en": exc.message_en}},
                        status_code=exc.status, headers=exc.headers)


async def _json(request: Request, model: type[BaseModel]):
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiRefused(413, "too_large", "请求过大", "request too large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiRefused(413, "too_large", "请求过大", "request too large")
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5]) or "body"
        raise ApiRefused(422, "invalid_request", f"请求内容不完整或格式不正确：{fields}",
                         f"invalid or incomplete request: {fields}") from None


def _refusal(exc: booking.BookingRefused) -> ApiRefused:
    status = 409 if exc.code in ("duplicate", "slot_full", "phone_limit", "blacklisted", "not_cancellable") else 422
    if exc.code in ("not_found", "unknown_hall"):
        status = 404
    return ApiRefused(status, exc.code, exc.message, exc.message_en)


# -- slots -----------------------------------------------------------------------------------
def slot_table(db: CentralDB, hall_id: str, service_id: str, date: str, *, now: float | None = None) -> list[dict]:
    offer = booking.hall_offer(db, hall_id)
    if offer is None:
        raise ApiRefused(404, "unknown_hall", "该大厅暂未开放网上预约", "this hall takes no online bookings")
    if not any(s["id"] == service_id for s in offer.services):
        raise ApiRefused(404, "no_service", "该事项不可预约", "this service takes no appointments")
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise ApiRefused(422, "bad_date", "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD") from None
    if day not in offer.open_days():
        return []
    taken = dict(db.query(
        "SELECT slot_start, COUNT(*) FROM appointments WHERE hall_id = ? AND service_id = ? AND date = ? "
        "AND status IN ('booked', 'checked_in') GROUP BY slot_start", (hall_id, service_id, date)))
    started = _started(offer, day, now)
    out = []
    for start, end in booking.slots(offer):
        n = int(taken.get(start, 0))
        free = max(0, booking.SLOT_CAPACITY - n)
        out.append({"start": start, "end": end, "capacity": booking.SLOT_CAPACITY, "booked": n,
                    "available": free, "bookable": free > 0 and start not in started})
    return out


def _started(offer, day: dt.date, now: float | None) -> set[str]:
    from zoneinfo import ZoneInfo

    local = dt.datetime.fromtimestamp(now if now is not None else time.time(), ZoneInfo(offer.timezone))
    if day != local.date():
        return set() if day > local.date() else {s for s, _ in booking.slots(offer)}
    hhmm = local.strftime("%H:%M")
    return {s for s, _ in booking.slots(offer) if s <= hhmm}


# -- idempotent booking ------------------------------------------------------------------------
def _fingerprint(data: BookIn) -> str:
    # Only the non-personal fields: enough to tell a retry from a different booking under the
    # same key, without keeping any hash of the ID number or phone.
    return hashlib.sha256(f"{data.hall_id}|{data.service_id}|{data.date}|{data.slot}".encode()).hexdigest()


def book_once(db: CentralDB, app_id: str, idem_key: str, data: BookIn, *, now: float | None = None) -> tuple[int, dict, bool]:
    """Book, or replay the answer already given under (app_id, idem_key). Returns (status, body, replayed)."""
    now = time.time() if now is None else now
    fp = _fingerprint(data)
    with db.transaction():
        if int(now) % 32 == 0:
            db.execute("DELETE FROM api_idempotency WHERE created_at < ?", (now - IDEM_TTL,))
        cur = db.execute("INSERT INTO api_idempotency (app_id, idem_key, request_hash, state, created_at) "
                         "VALUES (?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING", (app_id, idem_key, fp, now))
        fresh = cur.rowcount == 1
        if not fresh:
            row = db.execute("SELECT request_hash, state, status, response FROM api_idempotency "
                             "WHERE app_id = ? AND idem_key = ?", (app_id, idem_key)).fetchone()
    if not fresh:
        if row[0] != fp:
            raise ApiRefused(422, "idempotency_mismatch", "该幂等键已用于另一笔预约，请换一个新的键",
                             "this Idempotency-Key was used for a different booking; use a new key")
        if row[1] != "done":
            raise ApiRefused(409, "in_progress", "同一笔预约正在处理，请稍后重试",
                             "the same booking is being processed; retry shortly", {"Retry-After": "1"})
        return int(row[2]), json.loads(row[3]), True
    try:
        # the slot must not have started (book() itself checks the day, slot, caps and rules)
        offer = booking.hall_offer(db, data.hall_id)
        if offer is not None and data.slot in _started(offer, _date(data.date), now):
            raise booking.BookingRefused("slot_started", "该时段已开始，请选择其他时段",
                                         "this slot has already started; choose another")
        appt = booking.book(db, hall_id=data.hall_id, service_id=data.service_id, date=data.date,
                            slot=data.slot, name=data.name, id_number=data.id_number, phone=data.phone)
    except BaseException:
        # nothing was booked: free the key so a corrected request may use it
        with db.transaction():
            db.execute("DELETE FROM api_idempotency WHERE app_id = ? AND idem_key = ? AND state = 'pending'",
                       (app_id, idem_key))
        raise
    out = AppointmentOut(**{**appt, "hall_id": data.hall_id}).model_dump()
    with db.transaction():
        db.execute("UPDATE api_idempotency SET state = 'done', status = 201, response = ? "
                   "WHERE app_id = ? AND idem_key = ?", (json.dumps(out, ensure_ascii=False), app_id, idem_key))
    return 201, out, False


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.date.min


def lookup(db: CentralDB, phone: str, client: Client, *, today: str) -> list[dict]:
    phone = (phone or "").strip()
    if not booking._PHONE.match(phone):
        raise ApiRefused(422, "bad_phone", "请填写 11 位手机号码", "enter an 11-digit mobile number")
    rows = db.query("SELECT code, hall_id, service_id, date, slot_start, slot_end, name_masked, status "
                    "FROM appointments WHERE phone_hash = ? AND date >= ? ORDER BY date, slot_start",
                    (booking.identity_hash(db, "phone", phone), today))
    keys = ("code", "hall_id", "service_id", "date", "slot_start", "slot_end", "name_masked", "status")
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    return [{**a, "qr": f"OW1:A:{a['code']}"} for a in out if not client.halls or a["hall_id"] in client.halls]


# -- routes ----------------------------------------------------------------------------------
def register(app: FastAPI, db: CentralDB, *, clock=time.time) -> None:
    limiter = RateLimiter()
    app.state.booking_limiter = limiter

    async def client_for(request: Request, hall_id: str | None = None) -> Client:
        client = await run_in_threadpool(authenticate, db, request.headers)
        limiter.check(f"app:{client.app_id}", client.rate_per_minute)
        client.may("booking", hall_id)
        return client

    def guarded(fn):
        @functools.wraps(fn)          # FastAPI reads the parameters through __wrapped__
        async def wrapper(*args, **kwargs):
            try:
                return await fn(*args, **kwargs)
            except ApiRefused as exc:
                return _err(exc)
            except booking.BookingRefused as exc:
                return _err(_refusal(exc))
        return wrapper

    tags = ["booking"]

    @app.get(PREFIX + "/halls", tags=tags, response_model=list[HallOut], responses=_ERRORS)
    @guarded
    async def list_halls(request: Request):
        """Halls this app may book for, with their services that take appointments and open days."""
        client = await client_for(request)
        out = []
        for h in await run_in_threadpool(db.halls):
            if client.halls and h["id"] not in client.halls:
                continue
            offer = await run_in_threadpool(booking.hall_offer, db, h["id"])
            if offer and offer.services:
                out.append(HallOut(id=offer.hall_id, name_zh=offer.hall_name, open=offer.open, close=offer.close,
                                   days=[d.isoformat() for d in offer.open_days()],
                                   services=[ServiceOut(**s) for s in offer.services]).model_dump())
        return out

    @app.get(PREFIX + "/halls/{hall_id}/slots", tags=tags, response_model=list[SlotOut], responses=_ERRORS)
    @guarded
    async def list_slots(request: Request, hall_id: str, service: str, date: str):
        """Half-hour slots of one service on one day, within opening hours, with the cap and what is left."""
        await client_for(request, hall_id)
        return await run_in_threadpool(lambda: slot_table(db, hall_id, service, date, now=clock()))

    @app.post(PREFIX + "/bookings", tags=tags, status_code=201, response_model=AppointmentOut,
              responses=_ERRORS, openapi_extra={**_body_doc(BookIn), "parameters": [
                  {"name": "Idempotency-Key", "in": "header", "required": True,
                   "schema": {"type": "string", "pattern": IDEM_KEY.pattern},
                   "description": "one per booking attempt; a retry with the same key gets the first answer"}]})
    @guarded
    async def create_booking(request: Request):
        """Book one appointment (real name, ID number, mobile). Idempotent by Idempotency-Key."""
        idem = request.headers.get("idempotency-key", "")
        client = await client_for(request)
        if not IDEM_KEY.match(idem):
            raise ApiRefused(400, "idempotency_key_required", "缺少 Idempotency-Key（8-64 位字母数字）",
                             "an Idempotency-Key header (8-64 letters, digits, _ . : -) is required")
        data = await _json(request, BookIn)
        client.may("booking", data.hall_id)
        status, body, replayed = await run_in_threadpool(lambda: book_once(db, client.app_id, idem, data, now=clock()))
        return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true"} if replayed else {})

    @app.post(PREFIX + "/bookings/{code}/cancel", tags=tags, response_model=AppointmentOut | dict,
              responses=_ERRORS, openapi_extra=_body_doc(CancelIn))
    @guarded
    async def cancel_booking(request: Request, code: str):
        """Cancel with the phone used to book. Cancelling a cancelled booking answers the same (idempotent)."""
        client = await client_for(request)
        data = await _json(request, CancelIn)
        row = await run_in_threadpool(db.one, "SELECT hall_id, status FROM appointments WHERE code = ?", (code,))
        if row is not None:
            client.may("booking", row[0])
        try:
            return await run_in_threadpool(booking.cancel, db, code, data.phone)
        except booking.BookingRefused as exc:
            if exc.code == "not_cancellable" and row is not None and row[1] == "cancelled":
                return {"code": code, "status": "cancelled"}
            raise

    @app.post(PREFIX + "/bookings/lookup", tags=tags, responses=_ERRORS, openapi_extra=_body_doc(LookupIn))
    @guarded
    async def lookup_bookings(request: Request):
        """A citizen's bookings from today on, by the phone they booked with (in the body, not the URL)."""
        client = await client_for(request)
        data = await _json(request, LookupIn)
        today = dt.date.fromtimestamp(clock()).isoformat()
        return {"appointments": await run_in_threadpool(lookup, db, data.phone, client, today=today)}

    @app.get(PREFIX + "/openapi.json", include_in_schema=False)
    def booking_openapi():
        """The OpenAPI document of this API only (for the mini-programme's developers)."""
        spec = app.openapi()
        paths = {p: v for p, v in spec["paths"].items() if p.startswith(PREFIX)}
        doc = {**spec, "paths": paths, "info": {"title": "OneWindow booking API", "version": "1",
                                                  "description": "Authenticate with X-OW-App and "
                                                                 "Authorization: Bearer <key>."}}
        doc["components"] = {**spec.get("components", {}), "securitySchemes": {
            "app": {"type": "apiKey", "in": "header", "name": "X-OW-App"},
            "key": {"type": "http", "scheme": "bearer"}}}
        doc["security"] = [{"app": [], "key": []}]
        return doc


# -- the H5 page goes through the same path ------------------------------------------------------
H5_APP = "h5"
H5_PER_MINUTE = 30


def new_form_key() -> str:
    import secrets

    return "h5-" + secrets.token_urlsafe(18)


async def page_book(app: FastAPI, db: CentralDB, request: Request, form: dict, now: float) -> dict:
    """The H5 form's booking: the API's rules, idempotency (one key per rendered form, so a
    double tap books once) and a rate limit per client address. Raises BookingRefused."""
    limiter: RateLimiter = app.state.booking_limiter
    ip = request.client.host if request.client else "?"
    try:
        limiter.check(f"ip:{ip}", H5_PER_MINUTE)
    except ApiRefused as exc:
        raise booking.BookingRefused(exc.code, exc.message, exc.message_en) from None
    # not validated here: book() checks every field with the page's own messages
    data = BookIn.model_construct(hall_id=form.get("hall", ""), service_id=form.get("service", ""),
                                  date=form.get("date", ""), slot=form.get("slot", ""),
                                  name=form.get("name", ""), id_number=form.get("id_number", ""),
                                  phone=form.get("phone", ""))
    key = form.get("idem") or new_form_key()
    if not IDEM_KEY.match(key):
        key = new_form_key()
    try:
        _status, body, _replayed = await run_in_threadpool(lambda: book_once(db, H5_APP, key, data, now=now))
    except ApiRefused as exc:
        raise booking.BookingRefused(exc.code, exc.message, exc.message_en) from None
    return {**body, "qr": f"OW1:A:{body['code']}"}
