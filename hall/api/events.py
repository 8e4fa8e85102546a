"""The live event feed over HTTP: long-poll, server-sent events, and a citizen's ticket stream."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from hall.api.auth import require_any
from hall.api.limits import RateLimited, client_address, public_rate_limit
from hall.api.routes import Token, _ticket_by_token, citizen_view
from hall.auth import Principal
from hall.errors import DomainError, InvalidInput

router = APIRouter()

_reader = require_any(("kiosk", "display", "window"), ("clerk", "helper"))
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}


@router.get("/events", tags=["events"])
async def long_poll(
    request: Request,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    wait: Annotated[float, Query(ge=0, le=60)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    principal: Principal = Depends(_reader),
) -> dict:
    """Events with seq > after; waits up to `wait` seconds for the first one."""
    hub = request.app.state.hub
    wait = min(wait, request.app.state.limits.long_poll_max_seconds)
    if wait > 0:
        await hub.wait_after(after, wait)
        events = hub.events_after(after, limit)
    else:
        # An immediate read answers from the database itself: the hub's in-memory ring may be
        # a few milliseconds behind a commit that returned just before this request.
        events = await asyncio.to_thread(hub.read_events, hub.store, after, limit)
    return {"events": events, "last_seq": events[-1]["seq"] if events else max(after, 0)}


class _StreamSlot:
    """Counts open streams per client address so one client cannot hold thousands."""

    def __init__(self, request: Request):
        self.counts = request.app.state.open_streams
        self.key = client_address(request)
        self.limit = request.app.state.limits.max_streams_per_client

    def __enter__(self):
        if self.counts.get(self.key, 0) >= self.limit:
            raise RateLimited(5)
        self.counts[self.key] = self.counts.get(self.key, 0) + 1
        return self

    def release(self):
        self.counts[self.key] -= 1
        if self.counts[self.key] <= 0:
            del self.counts[self.key]


@router.get("/events/stream", tags=["events"],
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "server-sent events; id = seq, event = type"}})
async def stream(
    request: Request,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    principal: Principal = Depends(_reader),
) -> StreamingResponse:
    """Server-sent events after `after` (or the Last-Event-ID header on a reconnect)."""
    if last_event_id is not None:
        # isascii: "²".isdigit() is True but int("²") fails (was a 500).
        if not (last_event_id.strip().isascii() and last_event_id.strip().isdigit()):
            raise InvalidInput("bad_last_event_id", "Last-Event-ID 必须是事件序号",
                               "Last-Event-ID must be an event seq number")
        cursor = int(last_event_id.strip())
    else:
        cursor = after if after is not None else request.app.state.hub.last_seq
    hub = request.app.state.hub
    heartbeat = request.app.state.limits.heartbeat_seconds
    # No per-address cap here: every stream is an authenticated, revocable device or staff
    # session (a hall's displays may well sit behind one address); phones use ticket streams.

    async def body():
        nonlocal cursor
        yield b"retry: 2000\n: connected\n\n"
        while True:
            frames, last = hub.sse_after(cursor, 500)
            if frames:
                yield frames
                cursor = last
                continue
            if not await hub.wait_after(cursor, heartbeat):
                yield b": heartbeat\n\n"

    return StreamingResponse(body(), media_type="text/event-stream", headers=_SSE_HEADERS)


@router.get("/tickets/{token}/stream", tags=["tickets"],
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "the citizen's ticket view each time it changes"}})
async def ticket_stream(token: Token, request: Request,
                        _: None = Depends(public_rate_limit)) -> StreamingResponse:
    """The citizen's ticket view as server-sent events (`event: status`), sent on change."""
    hub = request.app.state.hub
    engine = request.app.state.engine
    heartbeat = request.app.state.limits.heartbeat_seconds
    seen = hub.last_seq  # before the first read, so nothing between the two is missed
    ticket = await to_thread.run_sync(_ticket_by_token, request, token)
    first = await to_thread.run_sync(citizen_view, request, ticket)
    slot = _StreamSlot(request).__enter__()

    async def body():
        nonlocal seen, ticket
        last = None
        view = first
        try:
            yield b"retry: 2000\n\n"
            while True:
                encoded = json.dumps(view, ensure_ascii=False, separators=(",", ":"))
                if encoded != last:
                    yield f"event: status\ndata: {encoded}\n\n".encode()
                    last = encoded
                if not await hub.wait_after(seen, heartbeat):
                    yield b": heartbeat\n\n"
                    continue
                events = hub.events_after(seen, 1000)
                if events:
                    seen = events[-1]["seq"]
                # Hundreds of phones follow one hall: recompute a view only when an event can
                # change it (its own ticket, its service's queue, windows, the day).
                related = _related_services(request, ticket["service_id"])
                if not any(_concerns(e, ticket, related) for e in events):
                    continue
                try:
                    ticket = await to_thread.run_sync(engine.ticket_by_token, token)
                except DomainError:
                    return
                view = await to_thread.run_sync(citizen_view, request, ticket)
        finally:
            slot.release()

    return StreamingResponse(body(), media_type="text/event-stream", headers=_SSE_HEADERS)


def _related_services(request: Request, service_id: str) -> set[str]:
    """The services that share a window with `service_id`: their queues move its estimate."""
    out = {service_id}
    for w in request.app.state.config.windows:
        if service_id in w.services:
            out.update(w.services)
    return out


def _concerns(event: dict, ticket: dict, related: set[str] | None = None) -> bool:
    related = related or {ticket["service_id"]}
    kind = event["type"].split(".")[0]
    if kind in ("window", "day", "config"):
        return True
    payload = event.get("payload") or {}
    for key in ("ticket", "rating"):
        rows = payload.get(key)
        for row in rows if isinstance(rows, list) else [rows]:
            if not isinstance(row, dict):
                continue
            if row.get("service_id") in related or ticket["id"] in (
                    row.get("id"), row.get("ticket_id"), row.get("transferred_from")):
                return True
    return False
