"""The phone-page relay: the citizen's ticket page served by central for phones on mobile data.

A ticket's QR carries one public URL, `https://<public name>/t/TOKEN`. Inside the hall the name
resolves (split-horizon DNS) to the hall node, which serves the page itself; from mobile data
it resolves to central, which serves the same page from what the hall pushes here:

- The hall pushes (`POST /sync/v1/relay`, signed like every sync request, on a kept-alive
  connection, as soon as anything changes and at least every `heartbeat` seconds) the public
  view of each live ticket, keyed by the SHA-256 of its token. Tokens are 128-bit random, so
  the key cannot be reversed. Central never receives, stores or logs a raw token, a phone
  or a name: a token a phone presents is hashed in memory and dropped.
- The page's reads (`GET /api/v1/tickets/{token}`, its SSE `…/stream`) answer from those views,
  with `relay: {online, age_seconds, as_of}`. When the hall has not been heard from for
  `stale_after` seconds the page says so and shows the last known state with its age; a
  stale "waiting" is never shown as current.
- What the citizen does on the relayed page (rate, complain, leave) is kept as an action for
  the hall, returned in the answer to the hall's next push and deleted once the hall
  acknowledges it; one rating and one walk-out per ticket (idempotent by the ticket's key),
  complaints idempotent by their Idempotency-Key.
- Public reads are rate-limited per client address, and a client that keeps presenting
  unknown tokens (guessing) is refused for a while, as at the hall.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import uuid
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from central.db import CentralDB
from hall.api.limits import RateLimited, RateLimiter

WEB_DIR = Path(__file__).resolve().parent.parent / "hall" / "web"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
_KEY = re.compile(r"^[0-9a-f]{64}$")
_STATIC = re.compile(r"^ticket[\w-]*\.(js|css)$")
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; media-src 'self' data:; frame-ancestors 'none'")
_PAGE_HEADERS = {"Content-Security-Policy": _CSP, "Cache-Control": "no-store",
                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
_SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
MAX_VIEWS = 2000
MAX_VIEW_BYTES = 16 * 1024
# Fields a view may never carry, whatever the hall sends (defence in depth).
_PRIVATE = ("token", "status_url", "phone", "name", "id_number", "idempotency_key", "request_hash")


def token_key(token: str) -> str:
    """The relay key of a ticket token: its SHA-256, hex. The token itself is never kept."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _err(status: int, code: str, zh: str, en: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": zh, "message_en": en}},
                        status_code=status, headers=headers)


class Guard:
    """Per-address limits for the public page: the hall's token bucket for every read
    (hall.api.limits.RateLimiter), and a budget of unknown tokens per window (guessing),
    after which the address is refused until it cools."""

    def __init__(self, rate: float = 20.0, burst: int = 60, misses: int = 20,
                 window: float = 600.0, clock=time.monotonic):
        self.misses, self.window, self.clock = misses, window, clock
        self.reads = RateLimiter(rate, burst, clock=clock)
        self._missed: dict[str, list[float]] = {}

    def take(self, client: str) -> float | None:
        """Spend one read; the seconds to wait when refused, else None."""
        now = self.clock()
        recent = [t for t in self._missed.get(client, ()) if now - t < self.window]
        if len(recent) >= self.misses:
            return self.window - (now - recent[0])
        try:
            self.reads.take("relay", client)
        except RateLimited as exc:
            return float(exc.retry_after)
        return None

    def miss(self, client: str) -> None:
        now = self.clock()
        recent = [t for t in self._missed.get(client, ()) if now - t < self.window]
        recent.append(now)
        self._missed[client] = recent[-self.misses:]
        if len(self._missed) > 20000:
            # Forget only addresses whose misses have all aged out: clearing everything would
            # give a guesser a fresh budget.
            self._missed = {c: ts for c, ts in self._missed.items() if now - ts[-1] < self.window}


class RelayStore:
    """Views, hall links and pending actions in central's database, with an in-memory wake-up
    for the streams of this process."""

    def __init__(self, db: CentralDB, clock=time.time, stale_after: float | None = None):
        self.db, self.clock = db, clock
        self.stale_after = stale_after
        self._listeners: dict[str, set[asyncio.Event]] = {}

    # -- the hall's side ---------------------------------------------------------------
    def apply_push(self, hall_id: str, body: dict) -> dict:
        """Store a push: views, dropped keys, acknowledged actions; returns pending actions."""
        now = self.clock()
        heartbeat = float(body.get("heartbeat") or 5.0)
        with self.db.transaction():
            for item in body.get("views", ()):
                self.db.execute(
                    "INSERT INTO relay_views (key, hall_id, view, business_date, updated_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET view = excluded.view, "
                    "business_date = excluded.business_date, updated_at = excluded.updated_at "
                    "WHERE relay_views.hall_id = excluded.hall_id",
                    (item["key"], hall_id, item["view_json"], item["date"], now))
            for key in body.get("drop", ()):
                self.db.execute("DELETE FROM relay_views WHERE key = ? AND hall_id = ?", (key, hall_id))
            for action_id in body.get("ack", ()):
                self.db.execute("DELETE FROM relay_actions WHERE id = ? AND hall_id = ?",
                                (action_id, hall_id))
            self.db.execute(
                "INSERT INTO relay_links (hall_id, last_seen_at, heartbeat) VALUES (?, ?, ?) "
                "ON CONFLICT (hall_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
                "heartbeat = excluded.heartbeat", (hall_id, now, heartbeat))
            oldest = body.get("oldest_date")
            if isinstance(oldest, str):
                self.db.execute("DELETE FROM relay_views WHERE hall_id = ? AND business_date < ?",
                                (hall_id, oldest))
            rows = self.db.execute(
                "SELECT id, key, kind, body FROM relay_actions WHERE hall_id = ? "
                "ORDER BY created_at LIMIT 200", (hall_id,)).fetchall()
        actions = [{"id": r[0], "key": r[1], "kind": r[2], "body": json.loads(r[3])} for r in rows]
        return {"ok": True, "stored": len(body.get("views", ())), "actions": actions}

    def wake(self, keys) -> None:
        for key in keys:
            for event in self._listeners.get(key, ()):
                event.set()

    def wake_all(self) -> None:
        for events in self._listeners.values():
            for event in events:
                event.set()

    # -- the phone's side --------------------------------------------------------------
    def view(self, key: str) -> dict | None:
        row = self.db.one(
            "SELECT v.hall_id, v.view, v.updated_at, l.last_seen_at, l.heartbeat FROM relay_views v "
            "LEFT JOIN relay_links l ON l.hall_id = v.hall_id WHERE v.key = ?", (key,))
        if row is None:
            return None
        hall_id, view_json, updated_at, last_seen, heartbeat = row
        view = json.loads(view_json)
        now = self.clock()
        stale_after = self.stale_after or max(15.0, 3 * float(heartbeat or 5.0))
        seen = float(last_seen or updated_at)
        online = now - seen <= stale_after
        view["relay"] = {"online": online, "as_of": seen, "age_seconds": max(0, int(now - seen)),
                         "stale_after": stale_after}
        view["_hall_id"] = hall_id
        return view

    def add_action(self, hall_id: str, key: str, kind: str, body: dict, dedupe: str) -> bool:
        """Queue an action for the hall; False when the same one is already queued or done."""
        with self.db.transaction():
            cur = self.db.execute(
                "INSERT INTO relay_actions (id, hall_id, key, kind, body, dedupe, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (uuid.uuid4().hex, hall_id, key, kind, json.dumps(body, ensure_ascii=False),
                 dedupe, self.clock()))
            if cur.rowcount == 0:
                return False
            # The page shows what the citizen did at once, before the hall confirms it.
            row = self.db.execute("SELECT view FROM relay_views WHERE key = ?", (key,)).fetchone()
            if row is not None and kind in ("rating", "leave"):
                view = json.loads(row[0])
                if kind == "rating":
                    view.update(rated=True, can_rate=False, rating_level=body["level"])
                elif view.get("state") == "waiting":
                    view.update(state="walked_out", ahead=None, eta_minutes=None, can_leave=False)
                self.db.execute("UPDATE relay_views SET view = ? WHERE key = ?",
                                (json.dumps(view, ensure_ascii=False, separators=(",", ":")), key))
        self.wake([key])
        return True

    def listen(self, key: str) -> asyncio.Event:
        event = asyncio.Event()
        self._listeners.setdefault(key, set()).add(event)
        return event

    def unlisten(self, key: str, event: asyncio.Event) -> None:
        events = self._listeners.get(key)
        if events is not None:
            events.discard(event)
            if not events:
                del self._listeners[key]


def parse_push(raw: bytes) -> dict:
    """Validate a relay push; raises ValueError with the reason."""
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("expected an object")
    views = data.get("views", [])
    if not isinstance(views, list) or len(views) > MAX_VIEWS:
        raise ValueError(f"views must be a list of at most {MAX_VIEWS}")
    clean = []
    for item in views:
        if not isinstance(item, dict) or not _KEY.match(str(item.get("key", ""))) \
                or not isinstance(item.get("view"), dict) \
                or not re.match(r"^\d{4}-\d{2}-\d{2}$", str(item.get("date", ""))):
            raise ValueError("each view needs key (sha-256 hex), view (object) and date")
        view = {k: v for k, v in item["view"].items() if k not in _PRIVATE}
        encoded = json.dumps(view, ensure_ascii=False, separators=(",", ":"))
        if len(encoded) > MAX_VIEW_BYTES:
            raise ValueError("a view is too large")
        clean.append({"key": item["key"], "view_json": encoded, "date": item["date"]})
    drop = data.get("drop", [])
    ack = data.get("ack", [])
    if not isinstance(drop, list) or not all(isinstance(k, str) and _KEY.match(k) for k in drop):
        raise ValueError("drop must be a list of keys")
    if not isinstance(ack, list) or not all(isinstance(a, str) and len(a) <= 64 for a in ack):
        raise ValueError("ack must be a list of action ids")
    heartbeat = data.get("heartbeat", 5)
    if not isinstance(heartbeat, int | float) or not 0.5 <= heartbeat <= 300:
        raise ValueError("heartbeat must be 0.5-300 seconds")
    out = {"views": clean, "drop": drop, "ack": ack, "heartbeat": float(heartbeat)}
    if isinstance(data.get("oldest_date"), str) and re.match(r"^\d{4}-\d{2}-\d{2}$", data["oldest_date"]):
        out["oldest_date"] = data["oldest_date"]
    return out


def mount(app: FastAPI, db: CentralDB, *, authenticate, clock=time.time,
          stale_after: float | None = None, guard: Guard | None = None) -> RelayStore:
    """Add the relay's routes to central's app. `authenticate(request)` is central's signed-
    request check, returning (hall_id, body)."""
    store = RelayStore(db, clock=clock, stale_after=stale_after)
    guard = guard or Guard()
    app.state.relay = store

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "?"

    def refused(wait: float) -> JSONResponse:
        return _err(429, "rate_limited", "请求过于频繁，请稍后再试", "Too many requests; try again shortly",
                    headers={"Retry-After": str(max(1, int(wait + 0.999)))})

    def not_found() -> JSONResponse:
        return _err(404, "not_found", "没有找到这张票，请核对二维码", "ticket not found; check the QR code")

    async def lookup(request: Request, token: str):
        """(key, view) for a presented token, or the response that refuses it."""
        wait = guard.take(client_of(request))
        if wait is not None:
            return None, refused(wait)
        if not _TOKEN.match(token):
            guard.miss(client_of(request))
            return None, not_found()
        key = token_key(token)
        view = await run_in_threadpool(store.view, key)
        if view is None:
            guard.miss(client_of(request))
            return None, not_found()
        return key, view

    def public(view: dict) -> dict:
        return {k: v for k, v in view.items() if not k.startswith("_")}

    @app.post("/sync/v1/relay", include_in_schema=False)
    async def relay_push(request: Request):
        hall_id, raw = await authenticate(request)
        try:
            body = parse_push(raw)
        except (ValueError, TypeError) as exc:
            return _err(422, "invalid_relay", f"转发数据格式不正确：{exc}", f"invalid relay push: {exc}")
        answer = await run_in_threadpool(store.apply_push, hall_id, body)
        store.wake(item["key"] for item in body["views"])
        store.wake(body["drop"])
        return answer

    @app.get("/t/{token}", include_in_schema=False)
    def ticket_page(token: str):
        html = (WEB_DIR / "ticket.html").read_text(encoding="utf-8")
        return HTMLResponse(html, status_code=200 if _TOKEN.match(token) else 404, headers=_PAGE_HEADERS)

    @app.get("/static/web/{name}", include_in_schema=False)
    def static(name: str):
        path = WEB_DIR / name
        if not _STATIC.match(name) or not path.is_file():
            return Response(status_code=404)
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return Response(path.read_bytes(), media_type=media + "; charset=utf-8",
                        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})

    @app.get("/api/v1/tickets/{token}", tags=["relay"])
    async def ticket_view(token: str, request: Request):
        """The citizen's ticket as the hall last pushed it, with the link's state."""
        _key, found = await lookup(request, token)
        if isinstance(found, Response):
            return found
        return JSONResponse(public(found), headers={"Cache-Control": "no-store"})

    @app.get("/api/v1/tickets/{token}/stream", tags=["relay"])
    async def ticket_stream(token: str, request: Request):
        """Server-sent events (`event: status`) each time the view or the link state changes."""
        key, found = await lookup(request, token)
        if isinstance(found, Response):
            return found
        wake = store.listen(key)

        async def body():
            last = None
            view = found
            try:
                yield b"retry: 2000\n\n"
                while True:
                    shown = public(view)
                    # The age ticks on the page itself; only the link's state change is news.
                    signature = json.dumps({**shown, "relay": shown["relay"]["online"]},
                                           ensure_ascii=False, sort_keys=True)
                    if signature != last:
                        data = json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
                        yield f"event: status\ndata: {data}\n\n".encode()
                        last = signature
                    try:
                        await asyncio.wait_for(wake.wait(), timeout=5.0)
                    except TimeoutError:
                        yield b": heartbeat\n\n"
                    wake.clear()
                    if await request.is_disconnected():
                        return
                    fresh = await run_in_threadpool(store.view, key)
                    if fresh is None:
                        return
                    view = fresh
            finally:
                store.unlisten(key, wake)

        return StreamingResponse(body(), media_type="text/event-stream", headers=_SSE_HEADERS)

    async def body_of(request: Request, limit: int = 8192) -> dict | JSONResponse:
        from central.app import read_body  # streamed, refused (413) past the limit

        raw = await read_body(request, limit)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _err(422, "invalid_json", "请求内容不是有效的 JSON", "the body is not valid JSON")
        if not isinstance(data, dict):
            return _err(422, "invalid_json", "请求内容应为对象", "the body must be an object")
        return data

    @app.post("/api/v1/ratings", status_code=201, tags=["relay"])
    async def rate(request: Request):
        """A rating given on the relayed page, passed to the hall (one per ticket)."""
        data = await body_of(request)
        if isinstance(data, Response):
            return data
        key, found = await lookup(request, str(data.get("token", "")))
        if isinstance(found, Response):
            return found
        level, reasons = data.get("level"), data.get("reasons") or []
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            return _err(422, "bad_level", "评价等级为 1 到 5", "level must be 1 to 5")
        if not isinstance(reasons, list) or len(reasons) > 10 or \
                not all(isinstance(r, str) and len(r) <= 40 for r in reasons):
            return _err(422, "bad_reason", "评价理由格式不正确", "reasons must be up to 10 short strings")
        allowed = (found.get("rating_reasons") or {}).get(str(level), [])
        if any(r not in allowed for r in reasons):
            return _err(422, "bad_reason", "评价理由不在可选范围内", f"unknown reason for level {level}")
        if level <= 2 and not reasons:
            return _err(422, "reason_required", "不满意的评价请选择原因", "a bad rating needs a reason")
        if found.get("rated") or not found.get("can_rate"):
            return _err(409, "not_ratable", "这张票现在不能评价（尚未办结或已评价）",
                        "this ticket cannot be rated now (not finished, or already rated)")
        comment = data.get("comment")
        body = {"level": level, "reasons": reasons,
                "comment": comment[:500] if isinstance(comment, str) else None}
        await run_in_threadpool(store.add_action, found["_hall_id"], key, "rating", body, key + ":rating")
        return JSONResponse({"ok": True, "level": level, "case_opened": None, "relayed": True},
                            status_code=201)

    @app.post("/api/v1/tickets/{token}/leave", tags=["relay"])
    async def leave(token: str, request: Request):
        """我不办了: the citizen leaves; the hall records the walk-out when it next hears."""
        key, found = await lookup(request, token)
        if isinstance(found, Response):
            return found
        if found.get("state") != "waiting":
            return _err(409, "not_waiting", "该号已叫过或已结束，不能取消", "only a waiting ticket can be cancelled")
        await run_in_threadpool(store.add_action, found["_hall_id"], key, "leave", {}, key + ":leave")
        return {"ok": True, "state": "walked_out", "relayed": True}

    @app.post("/api/v1/complaints", status_code=201, tags=["relay"])
    async def complain(request: Request):
        """A complaint from the relayed page, passed to the hall, which gives it its code."""
        data = await body_of(request)
        if isinstance(data, Response):
            return data
        key, found = await lookup(request, str(data.get("ticket_token", "")))
        if isinstance(found, Response):
            return found
        text, category = data.get("text", ""), data.get("category", "")
        if not isinstance(text, str) or len(text) > 500 or not isinstance(category, str) \
                or not 0 < len(category) <= 40:
            return _err(422, "bad_complaint", "请选择类别，内容不超过 500 字",
                        "choose a category; at most 500 characters")
        kind = data.get("kind") if data.get("kind") in ("complaint", "suggestion") else "complaint"
        idem = request.headers.get("idempotency-key") or uuid.uuid4().hex
        await run_in_threadpool(store.add_action, found["_hall_id"], key, "complaint",
                                {"category": category, "text": text, "kind": kind},
                                key + ":complaint:" + idem[:64])
        return JSONResponse({"code": None, "kind": kind, "relayed": True}, status_code=201)

    return store
