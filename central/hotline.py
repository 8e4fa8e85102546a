"""12345 hotline items about a hall: complaints and ratings the city's hotline received.

- `POST /api/hotline/v1/items` — the 12345 system (a client app with scope `hotline`) hands in
  an item; its own ticket number `ref` makes it idempotent per hall.
- `GET /api/hotline/v1/items/{ref}?hall_id=` — what became of it (case opened, steps, closed).
- `GET /hotline`, `POST /hotline` — a small form (admin token) to enter an item by hand.
- `GET /sync/v1/hotline?after=<rev>` — the hall pulls new items (signed like the other pulls);
  the hall files them with channel `hotline` and its case events come back up with the push,
  where `project` records the outcome here.
"""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from urllib.parse import parse_qs

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from central.api_clients import ApiRefused, RateLimiter, authenticate
from central.db import CentralDB

PREFIX = "/api/hotline/v1"
REF = re.compile(r"^[A-Za-z0-9_.:-]{4,40}$")
STATUS_ZH = {"received": "已登记，待大厅同步", "case_opened": "大厅已立案", "open": "待核实", "verified": "已核实",
             "rectified": "已整改", "revisited": "已回访", "closed": "已办结", "appealing": "申诉复核中",
             "recorded": "已记录"}


class HotlineIn(BaseModel):
    hall_id: str = Field(max_length=40)
    ref: str = Field(description="the 12345 work-order number; one item per hall and ref", max_length=40)
    kind: str = Field(pattern="^(complaint|rating)$")
    category: str = Field(default="", max_length=40, description="complaint category id of the hall, if known")
    content: str = Field(default="", max_length=1000)
    level: int | None = Field(default=None, ge=1, le=5, description="rating 1 (非常不满意) .. 5")
    reason: str = Field(default="", max_length=200, description="required for a rating of 1-2")
    ticket_number: str = Field(default="", max_length=12, description="the citizen's ticket number, if known")
    ticket_date: str = Field(default="", max_length=10, description="YYYY-MM-DD of that ticket")


def create(db: CentralDB, item: HotlineIn, *, source: str, now: float | None = None) -> tuple[dict, bool]:
    """Store an item; (item, created). The same (hall, ref) again returns the stored one."""
    now = time.time() if now is None else now
    if not REF.match(item.ref):
        raise ApiRefused(422, "bad_ref", "工单编号格式不正确（4-40 位字母数字）", "ref: 4-40 letters, digits, _ . : -")
    if item.kind == "rating" and item.level is None:
        raise ApiRefused(422, "level_required", "评价需要等级 1-5", "a rating needs a level 1-5")
    if item.kind == "rating" and item.level <= 2 and not item.reason.strip():
        raise ApiRefused(422, "reason_required", "差评需要填写原因", "a bad rating needs a reason")
    if item.kind == "complaint" and not (item.content.strip() or item.category):
        raise ApiRefused(422, "content_required", "投诉需要填写内容", "a complaint needs its content")
    with db.transaction():
        if not db.execute("SELECT 1 FROM halls WHERE id = ?", (item.hall_id,)).fetchone():
            raise ApiRefused(404, "unknown_hall", "没有这个大厅", "no such hall")
        old = db.execute("SELECT id FROM hotline_items WHERE hall_id = ? AND ref = ?",
                         (item.hall_id, item.ref)).fetchone()
        if old:
            return get(db, item.hall_id, item.ref), False
        rev = db.next_counter("hotline_rev")
        db.execute("INSERT INTO hotline_items (id, hall_id, kind, ref, category, content, level, reason, "
                   "ticket_number, ticket_date, source, status, hall_case_id, hall_code, steps, outcome, rev, "
                   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', NULL, NULL, '[]', "
                   "NULL, ?, ?, ?)",
                   (uuid.uuid4().hex, item.hall_id, item.kind, item.ref, item.category, item.content.strip(),
                    item.level, item.reason.strip(), item.ticket_number.strip(), item.ticket_date.strip(), source,
                    rev, now, now))
    return get(db, item.hall_id, item.ref), True


_COLS = ("id", "hall_id", "kind", "ref", "category", "content", "level", "reason", "ticket_number", "ticket_date",
         "source", "status", "hall_case_id", "hall_code", "steps", "outcome", "rev", "created_at", "updated_at")


def _row(r) -> dict:
    d = dict(zip(_COLS, r, strict=True))
    d["steps"] = json.loads(d["steps"] or "[]")
    d["status_zh"] = STATUS_ZH.get(d["status"], d["status"])
    return d


def get(db: CentralDB, hall_id: str, ref: str) -> dict:
    row = db.execute("SELECT " + ", ".join(_COLS) + " FROM hotline_items WHERE hall_id = ? AND ref = ?",
                     (hall_id, ref)).fetchone()
    if row is None:
        raise ApiRefused(404, "not_found", "没有这条工单", "no such hotline item")
    return _row(row)


def changes(db: CentralDB, hall_id: str, after: int, limit: int) -> dict:
    rows = db.query("SELECT " + ", ".join(_COLS) + " FROM hotline_items WHERE hall_id = ? AND rev > ? "
                    "AND status = 'received' ORDER BY rev LIMIT ?", (hall_id, after, limit + 1))
    more = len(rows) > limit
    items = [_row(r) for r in rows[:limit]]
    keep = ("id", "kind", "ref", "category", "content", "level", "reason", "ticket_number", "ticket_date", "rev")
    items = [{k: i[k] for k in keep} for i in items]
    return {"items": items, "cursor": items[-1]["rev"] if items else after, "more": more}


def project(db: CentralDB, hall_id: str, event: dict) -> None:
    """Inside the push transaction: hotline outcomes from the hall's events."""
    payload = event.get("payload") or {}
    if event["type"] == "hotline.received":
        h = payload.get("hotline_item") or {}
        if h.get("id"):
            db.execute("UPDATE hotline_items SET status = ?, hall_case_id = ?, hall_code = ?, updated_at = ?, "
                       "rev = ? WHERE id = ? AND hall_id = ?",
                       ("case_opened" if h.get("case_id") else "recorded", h.get("case_id"), h.get("hall_code"),
                        float(event["at"]), db.next_counter("hotline_rev"), h["id"], hall_id))
        return
    if event["type"] != "case.advanced":
        return
    case = payload.get("case") or {}
    if not case.get("id"):
        return
    row = db.execute("SELECT id, steps FROM hotline_items WHERE hall_id = ? AND hall_case_id = ?",
                     (hall_id, case["id"])).fetchone()
    if row is None:
        return
    step = payload.get("case_step") or {}
    steps = json.loads(row[1] or "[]")
    steps.append({"step": step.get("step"), "note": step.get("note", ""), "at": step.get("at")})
    state = case.get("state") or "open"
    outcome = (step.get("note") or case.get("resolution") or "closed") if state == "closed" else None
    db.execute("UPDATE hotline_items SET status = ?, steps = ?, outcome = COALESCE(?, outcome), updated_at = ?, "
               "rev = ? WHERE id = ?", (state, json.dumps(steps, ensure_ascii=False), outcome, float(event["at"]),
                                        db.next_counter("hotline_rev"), row[0]))


# -- routes ------------------------------------------------------------------------------------
def register(app: FastAPI, db: CentralDB, *, hall_auth, admin, clock=time.time) -> None:
    limiter = RateLimiter()

    def err(exc: ApiRefused) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message, "message_en": exc.message_en}},
                            status_code=exc.status, headers=exc.headers)

    async def client_for(request: Request):
        client = await run_in_threadpool(authenticate, db, request.headers)
        limiter.check(f"app:{client.app_id}", client.rate_per_minute)
        client.may("hotline")
        return client

    @app.post(PREFIX + "/items", tags=["hotline"], status_code=201, openapi_extra={"requestBody": {
        "required": True, "content": {"application/json": {"schema": HotlineIn.model_json_schema()}}}})
    async def hotline_submit(request: Request):
        """The 12345 system hands in a complaint or rating about a hall (idempotent by hall and ref)."""
        try:
            client = await client_for(request)
            from central.app import read_body  # streamed, refused as soon as it is too big

            body = await read_body(request, 16 * 1024)
            try:
                item = HotlineIn.model_validate_json(body or b"{}")
            except ValidationError as exc:
                fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
                raise ApiRefused(422, "invalid_request", f"工单内容不完整或格式不正确：{fields}",
                                 f"invalid or incomplete item: {fields}") from None
            client.may("hotline", item.hall_id)
            out, created = await run_in_threadpool(lambda: create(db, item, source=f"app:{client.app_id}",
                                                                  now=clock()))
            return JSONResponse(out, status_code=201 if created else 200)
        except ApiRefused as exc:
            return err(exc)

    @app.get(PREFIX + "/items/{ref}", tags=["hotline"])
    async def hotline_status(request: Request, ref: str, hall_id: str):
        """What became of an item: received, case opened at the hall, its steps, closed with the outcome."""
        try:
            client = await client_for(request)
            client.may("hotline", hall_id)
            return await run_in_threadpool(get, db, hall_id, ref)
        except ApiRefused as exc:
            return err(exc)

    @app.get("/sync/v1/hotline")
    async def pull_hotline(request: Request, after: int = Query(0, ge=0, le=2**62),
                           limit: int = Query(200, ge=1, le=1000)):
        hall_id, _ = await hall_auth(request)
        return await run_in_threadpool(changes, db, hall_id, after, limit)

    @app.get("/hotline", response_class=HTMLResponse)
    def hotline_form(request: Request):
        admin(request)
        return _form_html(db, None, {}, request.query_params.get("token", ""))

    @app.post("/hotline", response_class=HTMLResponse)
    async def hotline_form_submit(request: Request):
        admin(request)
        from central.app import MAX_FORM, read_body

        form = {k: v[0] for k, v in parse_qs((await read_body(request, MAX_FORM)).decode(
            "utf-8", "replace")).items()}
        token = request.query_params.get("token", "")
        try:
            level = int(form["level"]) if form.get("level") else None
            item = HotlineIn(hall_id=form.get("hall_id", ""), ref=form.get("ref", "") or f"MAN-{uuid.uuid4().hex[:10]}",
                             kind=form.get("kind", "complaint"), category=form.get("category", ""),
                             content=form.get("content", ""), level=level, reason=form.get("reason", ""),
                             ticket_number=form.get("ticket_number", ""), ticket_date=form.get("ticket_date", ""))
            out, _ = await run_in_threadpool(lambda: create(db, item, source="manual", now=clock()))
        except (ValidationError, ValueError):
            return HTMLResponse(_form_html(db, ("请检查各项内容（评价等级 1-5，编号 4-40 位）",
                                                "check the fields (level 1-5, ref 4-40 characters)"), form, token),
                                status_code=422)
        except ApiRefused as exc:
            return HTMLResponse(_form_html(db, (exc.message, exc.message_en), form, token), status_code=422)
        return HTMLResponse(_form_html(db, None, {}, token, done=out))


def _form_html(db: CentralDB, error, form: dict, token: str, done: dict | None = None) -> str:
    from central.app import _page

    e = html.escape
    halls = "".join(f"<option value='{e(h['id'])}'{' selected' if h['id'] == form.get('hall_id') else ''}>"
                    f"{e(h['name'])}</option>" for h in db.halls())
    parts = []
    if error:
        parts.append(f"<div class='err' role='alert'>{e(error[0])}<br><small>{e(error[1])}</small></div>")
    if done:
        parts.append(f"<div class='card' id='done'>已登记，将在大厅下次同步时转入 · Recorded; the hall receives it "
                     f"at its next sync.<br>编号 Ref: <b>{e(done['ref'])}</b> · {e(done['status_zh'])}</div>")
    action = "/hotline" + (f"?token={e(token)}" if token else "")
    kind = form.get("kind", "complaint")
    parts.append(
        f"<form method='post' action='{action}'><fieldset><legend>12345 工单 · Hotline item</legend>"
        f"<select name='hall_id' aria-label='大厅 hall'>{halls}</select>"
        f"<select name='kind' aria-label='类型 kind'>"
        f"<option value='complaint'{' selected' if kind == 'complaint' else ''}>投诉 · Complaint</option>"
        f"<option value='rating'{' selected' if kind == 'rating' else ''}>评价 · Rating</option></select>"
        f"<input type='text' name='ref' placeholder='12345 工单编号 Ref (留空自动生成)' value='{e(form.get('ref', ''))}'>"
        f"<input type='text' name='category' placeholder='类别 Category (attitude, efficiency…)' "
        f"value='{e(form.get('category', ''))}'>"
        f"<textarea name='content' rows='4' maxlength='1000' placeholder='内容 Content' aria-label='内容 content' "
        f"style='width:100%;box-sizing:border-box;font-size:18px;padding:12px;margin:6px 0 10px;"
        f"border:2px solid #d0d7de;border-radius:8px;font-family:inherit'>{e(form.get('content', ''))}</textarea>"
        f"<input type='text' name='level' placeholder='评价等级 1-5 Level (评价)' value='{e(form.get('level', ''))}'>"
        f"<input type='text' name='reason' placeholder='差评原因 Reason' value='{e(form.get('reason', ''))}'>"
        f"<input type='text' name='ticket_number' placeholder='号票 Ticket number (可选)' "
        f"value='{e(form.get('ticket_number', ''))}'>"
        f"<input type='text' name='ticket_date' placeholder='办事日期 YYYY-MM-DD (可选)' "
        f"value='{e(form.get('ticket_date', ''))}'>"
        f"</fieldset><button type='submit'>登记 · Record</button></form>")
    return _page("12345 热线工单录入", "Enter a 12345 hotline item", "".join(parts))
