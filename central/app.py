"""The reference central's HTTP service: the sync endpoints, the booking page, the summaries."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import html
import io
import json
import time
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from central import booking, booking_api
from central.db import CentralDB, SeqConflict
from central.summary import hall_summaries
from sync import signing

MAX_BATCH = 5000
MAX_BODY = 16 * 1024 * 1024      # one sync batch (1000 events are ~0.5 MiB)
MAX_FORM = 16 * 1024             # a booking or cancel form


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, message_en: str, **extra):
        super().__init__(message_en)
        self.status, self.code, self.message, self.message_en = status, code, message, message_en
        self.extra = extra


def _error(status: int, code: str, message: str, message_en: str, _headers=None,
           **extra) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "message_en": message_en},
                         **extra}, status_code=status, headers=_headers)


def _admin_header_ok(header: str, admin_token: str) -> bool:
    """`Bearer <token>` for programs; `Basic` with the token as the password for a browser
    (it asks once and then sends the header itself)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        given = value.strip()
    elif scheme.lower() == "basic":
        try:
            given = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return False
    else:
        return False
    return hmac.compare_digest(given.encode("utf-8"), admin_token.encode("utf-8"))


def _too_large(limit: int) -> Refused:
    return Refused(413, "too_large", f"请求过大（上限 {limit} 字节）",
                   f"request too large (limit {limit} bytes)")


def _declared_length(request: Request, limit: int) -> None:
    """Refuse on the declared Content-Length alone, before reading anything."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.isascii() or not declared.strip().isdigit():
        raise Refused(400, "bad_length", "请求长度无效", "invalid Content-Length")
    if int(declared) > limit:
        raise _too_large(limit)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, streamed and refused as soon as it passes `limit` (chunked uploads too)."""
    _declared_length(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(db: CentralDB, *, admin_token: str | None = None, clock=time.time) -> FastAPI:
    """The central as an ASGI app over `db`; `clock` is injectable for skew tests."""
    app = FastAPI(title="OneWindow central", version="1", docs_url=None, redoc_url=None)
    app.state.db = db

    @app.exception_handler(Refused)
    async def _refused(_request: Request, exc: Refused):
        extra = dict(exc.extra)
        if exc.status in (400, 401, 413):
            # Refused before (all of) the body was read: the connection is closed after the
            # answer rather than drained, and says so, so no client reuses it.
            extra["_headers"] = {**(extra.get("_headers") or {}), "Connection": "close"}
        return _error(exc.status, exc.code, exc.message, exc.message_en, **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        where = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) or "request"
                          for e in exc.errors()[:3])
        return _error(422, "invalid_parameter", f"参数无效：{where}", f"invalid parameter: {where}")

    async def authenticate(request: Request) -> tuple[str, bytes]:
        """Who is calling, checked on the headers alone before a byte of the body is read.

        The signature covers the body's digest header, not the body, so the hall's key, the
        clock and the nonce are all checked first; only then is the body read, streamed,
        with a hard limit, and compared with the signed digest. An unknown hall and a bad
        signature get the same answer (a dummy key is used for unknown halls, so the work
        and the time are the same too).
        """
        limit = MAX_BODY
        _declared_length(request, limit)
        path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        if query:
            path += "?" + query
        hall_id = request.headers.get(signing.H_HALL, "")
        now = clock()
        secret = await run_in_threadpool(db.hall_secret, hall_id) if hall_id else None
        refusal = signing.check_headers(request.headers, request.method, path, secret, now=now)
        if refusal:
            extra = {"server_time": now} if refusal.code == "clock_skew" else {}
            raise Refused(401, refusal.code, refusal.message, refusal.message_en, **extra)
        if not await run_in_threadpool(db.use_nonce, hall_id, request.headers[signing.H_NONCE], now):
            raise Refused(401, "replayed", "重复的请求（随机数已用过）", "replayed request (nonce seen before)")
        body = await read_body(request, limit)
        if not signing.digest_matches(request.headers, body):
            raise Refused(401, "bad_digest", "请求内容与签名的摘要不符（传输中被改动？）",
                          "the body does not match its signed digest (changed in transit?)")
        return hall_id, body

    @app.get("/health")
    def health():
        return {"ok": True, "time": clock()}

    @app.post("/sync/v1/events")
    async def push_events(request: Request):
        hall_id, body = await authenticate(request)
        hwm = await run_in_threadpool(db.hwm, hall_id)
        try:
            events, after = _parse_batch(body)
        except Refused as exc:
            if exc.code == "seq_gap":
                exc.extra["acked_upto"] = hwm
            raise
        if after > hwm:
            raise Refused(409, "cursor_ahead", "中心记录落后于大厅游标，请从中心确认处重发",
                          "the central holds less than the hall's cursor: resend from acked_upto",
                          acked_upto=hwm)
        # Database work runs in the thread pool: many halls can push at the same time.
        try:
            return await run_in_threadpool(db.apply_events, hall_id, events, clock())
        except SeqConflict as exc:
            raise Refused(409, "seq_conflict",
                          f"事件序号 {exc.seq} 在中心已对应另一条事件：大厅数据库是否被重置或从备份恢复？"
                          "需要人工处理",
                          f"seq {exc.seq} already holds a different event at the central: was the "
                          "hall's database reset or restored from a backup? A person must resolve it",
                          acked_upto=exc.hwm) from None

    @app.get("/sync/v1/events")
    async def pull_own_events(request: Request, after: int = Query(0, ge=0, le=2**62),
                              limit: int = Query(1000, ge=1, le=MAX_BATCH)):
        """A hall takes back its own events (after a restore from a backup): as stored."""
        hall_id, _ = await authenticate(request)
        return await run_in_threadpool(db.events_after, hall_id, after, limit)

    @app.post("/sync/v1/report")
    async def push_report(request: Request):
        """Each sync round's small health report (version, devices, disk, backup, clock)."""
        hall_id, body = await authenticate(request)
        if len(body) > 64 * 1024:
            raise Refused(413, "too_large", "健康报告过大", "health report too large")
        try:
            report = json.loads(body)
        except ValueError:
            report = None
        if not isinstance(report, dict):
            raise Refused(422, "invalid_report", "健康报告格式不正确", "the health report is not a JSON object")
        await run_in_threadpool(db.store_report, hall_id,
                                json.dumps(report, ensure_ascii=False, separators=(",", ":")), clock())
        return {"ok": True}

    @app.get("/sync/v1/config")
    async def pull_config(request: Request):
        hall_id, _ = await authenticate(request)
        current = await run_in_threadpool(db.current_config, hall_id)
        if current is None:
            return Response(status_code=204)
        version, text = current
        etag = f'"v{version}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse({"version": version, "toml": text}, headers={"ETag": etag})

    @app.get("/sync/v1/appointments")
    async def pull_appointments(request: Request, date: str, after: int = Query(0, ge=0, le=2**62),
                                limit: int = Query(500, ge=1, le=2000)):
        hall_id, _ = await authenticate(request)
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            raise Refused(422, "bad_date", "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD") from None
        return await run_in_threadpool(booking.changes, db, hall_id, date, after, limit)

    def _admin(request: Request) -> None:
        # Tokens travel in headers only: a token in the URL ends up in access logs, proxies
        # and browser history. Refused even when it is right, so nobody gets used to it.
        if any(k.lower() in ("token", "admin_token", "access_token") for k in request.query_params):
            raise Refused(400, "token_in_url", "令牌不能放在网址中；请使用 Authorization 请求头",
                          "never put a token in the URL; send it in the Authorization header")
        if admin_token and not _admin_header_ok(request.headers.get("authorization") or "",
                                                admin_token):
            raise Refused(401, "admin_only", "需要管理令牌", "admin token required",
                          _headers={"WWW-Authenticate": 'Basic realm="OneWindow central"'})

    @app.get("/api/v1/summary")
    def summary_json(request: Request, date: str | None = None):
        _admin(request)
        return hall_summaries(db, date, clock())

    @app.get("/summary", response_class=HTMLResponse)
    def summary_page(request: Request, date: str | None = None):
        _admin(request)
        return _summary_html(hall_summaries(db, date, clock()))

    @app.get("/api/v1/fleet")
    def fleet_json(request: Request):
        _admin(request)
        from central.fleet import fleet
        return {"at": clock(), "halls": fleet(db, clock())}

    @app.get("/fleet", response_class=HTMLResponse)
    def fleet_page(request: Request):
        _admin(request)
        from central.fleet import fleet, fleet_html
        return _page("大厅运行状态", "Fleet: every hall's health", fleet_html(fleet(db, clock())),
                     wide=True)

    @app.get("/book", response_class=HTMLResponse)
    def book_form(hall: str | None = None):
        return _book_html(db, hall, None, {})

    @app.post("/book", response_class=HTMLResponse)
    async def book_submit(request: Request):
        form = {k: v[0] for k, v in parse_qs((await read_body(request, MAX_FORM)).decode(
            "utf-8", "replace")).items()}
        hall_id = form.get("hall", "")
        try:
            # the same path as the booking API: idempotent per form, rate-limited per address
            appt = await booking_api.page_book(app, db, request, form, clock())
        except booking.BookingRefused as exc:
            return HTMLResponse(_book_html(db, hall_id, exc, form), status_code=422)
        return HTMLResponse(_booked_html(appt))

    @app.get("/book/cancel", response_class=HTMLResponse)
    def cancel_form():
        return _cancel_html(None, {})

    @app.post("/book/cancel", response_class=HTMLResponse)
    async def cancel_submit(request: Request):
        form = {k: v[0] for k, v in parse_qs((await read_body(request, MAX_FORM)).decode(
            "utf-8", "replace")).items()}
        try:
            done = await run_in_threadpool(booking.cancel, db, form.get("code", ""),
                                           form.get("phone", ""))
        except booking.BookingRefused as exc:
            return HTMLResponse(_cancel_html(exc, form), status_code=422)
        return HTMLResponse(_page("预约已取消", "Appointment cancelled", (
            f"<div class='card' id='cancelled'><p>预约 {html.escape(done['code'])}"
            f"（{html.escape(done['date'])} {html.escape(done['slot_start'])}）已取消。</p>"
            f"<p>Appointment {html.escape(done['code'])} is cancelled.</p></div>")))

    # Matter updates (办件) central -> hall: central/matters.py
    from central import matters as central_matters

    central_matters.mount(app, db, authenticate, _admin, Refused, admin_token)

    # -- intake (issue 16): booking API for the city's apps, 12345 hotline ------------------
    booking_api.register(app, db, clock=clock)
    from central import hotline

    hotline.register(app, db, hall_auth=authenticate, admin=_admin, clock=clock)

    from central import relay

    relay.mount(app, db, authenticate=authenticate, clock=clock)
    return app


def _cancel_html(error, form: dict) -> str:
    e = html.escape
    err = (f"<div class='err' role='alert'>{e(error.message)}<br><small>{e(error.message_en)}"
           f"</small></div>") if error is not None else ""
    return _page("取消预约", "Cancel an appointment", (
        f"{err}<form method='post' action='/book/cancel'><fieldset>"
        f"<legend>预约码与手机号 · Code and mobile</legend>"
        f"<input type='text' name='code' inputmode='numeric' maxlength='8' placeholder='预约码 Code' "
        f"value='{e(form.get('code', ''))}' required>"
        f"<input type='tel' name='phone' maxlength='11' placeholder='手机号码 Mobile' required>"
        f"</fieldset><button type='submit'>取消预约 · Cancel</button></form>"))


def _parse_batch(body: bytes) -> tuple[list[dict], int]:
    def bad(why: str):
        return Refused(422, "invalid_batch", f"批次格式不正确：{why}", f"invalid batch: {why}")

    try:
        data = json.loads(body.decode("utf-8"))    # UTF-8 only: no guessing of UTF-16/32
    except ValueError:
        raise bad("not UTF-8 JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list) \
            or not isinstance(data.get("after"), int):
        raise bad("expected {after: int, events: [...]}")
    events = data["events"]
    if len(events) > MAX_BATCH:
        raise bad(f"more than {MAX_BATCH} events")
    previous = data["after"]
    for e in events:
        if not isinstance(e, dict) or not isinstance(e.get("seq"), int) \
                or not isinstance(e.get("id"), str) or not isinstance(e.get("type"), str) \
                or not isinstance(e.get("at"), int | float) \
                or not isinstance(e.get("business_date"), str):
            raise bad("each event needs seq, id, type, at, business_date, payload")
        if e["seq"] != previous + 1:
            raise Refused(409, "seq_gap",
                          f"批次不连续：游标 {data['after']} 之后应为序号 {previous + 1}，"
                          f"收到 {e['seq']}；请从中心确认处重发",
                          f"the batch is not contiguous: after {data['after']} the next seq must be "
                          f"{previous + 1}, got {e['seq']}; resend from acked_upto")
        previous = e["seq"]
        payload = e.get("payload")
        e["payload_json"] = json.dumps(payload if payload is not None else {},
                                       ensure_ascii=False, separators=(",", ":"))
    return events, data["after"]


# -- pages -------------------------------------------------------------------------------
_CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f8;
color:#1b2733}
header{background:#b3261e;color:#fff;padding:16px 20px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;font-size:14px;opacity:.9}
main{max-width:720px;margin:0 auto;padding:16px}
main.wide{max-width:1200px}
td.name{white-space:nowrap}
fieldset{border:0;background:#fff;border-radius:10px;margin:0 0 14px;padding:14px}
legend{font-weight:bold;font-size:17px;padding:0}
label.opt{display:block;border:2px solid #d0d7de;border-radius:8px;padding:12px;margin:8px 0;
font-size:17px;min-height:24px}
label.opt small{color:#57606a;margin-left:6px}
input[type=text],input[type=tel],select{width:100%;box-sizing:border-box;font-size:18px;
padding:12px;margin:6px 0 10px;border:2px solid #d0d7de;border-radius:8px}
button{width:100%;font-size:20px;padding:16px;background:#b3261e;color:#fff;border:0;
border-radius:10px}
.err{background:#fde7e9;border:2px solid #b3261e;border-radius:8px;padding:12px;margin-bottom:14px}
.code{font-size:44px;letter-spacing:6px;font-weight:bold;text-align:center;margin:8px 0}
.card{background:#fff;border-radius:10px;padding:16px;margin-bottom:14px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #d0d7de;padding:8px;text-align:right;font-size:14px}
th:first-child,td:first-child{text-align:left}
.bad{color:#b3261e;font-weight:bold}
"""


def _page(title_zh: str, title_en: str, body: str, wide: bool = False) -> str:
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{html.escape(title_zh)} · {html.escape(title_en)}</title>"
            f"<style>{_CSS}</style></head><body><header><h1>{html.escape(title_zh)}</h1>"
            f"<p>{html.escape(title_en)}</p></header><main class='{'wide' if wide else ''}'>"
            f"{body}</main></body></html>")


def _book_html(db: CentralDB, hall_id: str | None, error, form: dict) -> str:
    e = html.escape
    halls = [h for h in db.halls() if booking.hall_offer(db, h["id"])]
    if not hall_id and len(halls) == 1:
        hall_id = halls[0]["id"]
    offer = booking.hall_offer(db, hall_id) if hall_id else None
    parts = []
    if error is not None:
        parts.append(f"<div class='err' role='alert'>{e(error.message)}<br><small>"
                     f"{e(error.message_en)}</small></div>")
    if offer is None:
        items = "".join(f"<label class='opt'><a href='/book?{urlencode({'hall': h['id']})}'>"
                        f"{e(h['name'])}</a></label>" for h in halls)
        parts.append(f"<fieldset><legend>选择大厅 · Choose a hall</legend>"
                     f"{items or '<p>暂无可预约的大厅 · No hall takes bookings yet</p>'}</fieldset>")
        return _page("网上预约", "Book an appointment", "".join(parts))
    chosen = form.get("service")
    services = "".join(
        f"<label class='opt'><input type='radio' name='service' value='{e(s['id'])}'"
        f"{' checked' if s['id'] == chosen else ''} required> {e(s['name_zh'])}"
        f"<small>{e(s['name_en'])}</small></label>" for s in offer.services)
    weekdays = "一二三四五六日"
    now = booking.hall_now(offer)
    # Only days with a slot still ahead (today is dropped once its last slot has started).
    days = [d for d in offer.open_days() if booking.slots(offer, d, now)]
    dates = "".join(
        f"<option value='{d.isoformat()}'{' selected' if d.isoformat() == form.get('date') else ''}>"
        f"{d.month}月{d.day}日 星期{weekdays[d.weekday()]} · {d.isoformat()}</option>"
        for d in days)
    slot_opts = "".join(
        f"<option value='{a}'{' selected' if a == form.get('slot') else ''}>{a}–{b}</option>"
        for a, b in booking.slots(offer))
    parts.append(
        f"<form method='post' action='/book'><input type='hidden' name='hall' value='{e(offer.hall_id)}'>"
        f"<input type='hidden' name='idem' value='{e(form.get('idem') or booking_api.new_form_key())}'>"
        f"<div class='card'><b>{e(offer.hall_name)}</b></div>"
        f"<fieldset><legend>1 选择事项 · Service</legend>{services}</fieldset>"
        f"<fieldset><legend>2 日期与时段 · Date and time</legend>"
        f"<select name='date' aria-label='日期 date'>{dates}</select>"
        f"<select name='slot' aria-label='时段 slot'>{slot_opts}</select></fieldset>"
        f"<fieldset><legend>3 实名信息 · Your details</legend>"
        f"<input type='text' name='name' placeholder='姓名 Name' value='{e(form.get('name', ''))}' required>"
        f"<input type='text' name='id_number' placeholder='身份证号码 ID number' maxlength='18' required>"
        f"<input type='tel' name='phone' placeholder='手机号码 Mobile' maxlength='11' "
        f"value='{e(form.get('phone', ''))}' required>"
        f"<small>同一事项每人每天限约一次；爽约三次将暂停网上预约。<br>"
        f"One booking per person per service per day; three missed bookings suspend online booking."
        f"</small></fieldset><button type='submit'>提交预约 · Book</button></form>")
    return _page("网上预约", "Book an appointment", "".join(parts))


def _qr_data_uri(text: str) -> str:
    import qrcode

    img = qrcode.make(text, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _booked_html(appt: dict) -> str:
    e = html.escape
    body = (f"<div class='card'><p>预约成功 · Booked</p>"
            f"<p>{e(appt['hall_name'])}<br>{e(appt['service_name_zh'])} · {e(appt['service_name_en'])}</p>"
            f"<p>{e(appt['date'])} {e(appt['slot_start'])}–{e(appt['slot_end'])} · {e(appt['name_masked'])}</p>"
            f"<p>预约码 · Appointment code</p><div class='code' id='code'>{e(appt['code'])}</div>"
            f"<p style='text-align:center'><img alt='QR {e(appt['qr'])}' src='{_qr_data_uri(appt['qr'])}'></p>"
            f"<p>到大厅后在自助取号机扫描此二维码或输入预约码签到；请在预约时段前 30 分钟至开始后 15 分钟内签到。<br>"
            f"At the hall, scan this code at the kiosk or type the number to check in, from 30 minutes "
            f"before the slot to 15 minutes after it starts.</p>"
            f"<p><a href='/book/cancel'>取消预约 · Cancel this appointment</a></p></div>")
    return _page("预约成功", "Appointment booked", body)


def _summary_html(summary: dict) -> str:
    e = html.escape
    head = ("<tr><th>大厅 Hall</th><th>取号 Tickets</th><th>平均等候 Wait (min)</th>"
            "<th>评价 Ratings</th><th>差评 Bad</th><th>投诉 Complaints</th><th>否决报备 Refusals</th>"
            "<th>未结案件 Open cases</th><th>超期 Overdue</th><th>最近同步 Last sync</th></tr>")
    rows = "".join(
        f"<tr><td class='name'>{e(h['name'])}<br><small>{e(h['hall'])}</small></td><td>{h['tickets']}</td>"
        f"<td>{'—' if h['wait_avg_minutes'] is None else h['wait_avg_minutes']}</td>"
        f"<td>{h['ratings']}</td><td class='{'bad' if h['bad_ratings'] else ''}'>{h['bad_ratings']}</td>"
        f"<td>{h['complaints']}</td><td>{h['refusals']}</td><td>{h['cases_open']}</td>"
        f"<td class='{'bad' if h['cases_overdue'] else ''}'>{h['cases_overdue']}</td>"
        f"<td>{_when(h['last_push_at'])}</td></tr>"
        for h in summary["halls"])
    return _page("各大厅运行概况", "All halls at a glance", f"<table>{head}{rows}</table>",
                 wide=True)


def _when(t: float | None) -> str:
    if not t:
        return "从未 never"
    return dt.datetime.fromtimestamp(t).strftime("%m-%d %H:%M")
