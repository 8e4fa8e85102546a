"""The live event feed over HTTP: long-poll, server-sent events, and a citizen's ticket stream."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from hall.api.auth import require_any
from hall.api.limits import RateLimited, client_address, public_rate_limit
from hall.api.routes import Token, _ticket_by_token, citizen_view
from hall.auth import Principal
from hall.errors import InvalidInput

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
        if not last_event_id.strip().isdigit():
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
    heartbeat = request.app.state.limits.heartbeat_seconds
    first = await to_thread.run_sync(citizen_view, request, await to_thread.run_sync(
        _ticket_by_token, request, token))
    slot = _StreamSlot(request).__enter__()

    async def body():
        last = None
        view = first
        last_beat = time.monotonic()
        try:
            yield b"retry: 2000\n\n"
            while True:
                encoded = json.dumps(view, ensure_ascii=False, separators=(",", ":"))
                if encoded != last:
                    yield f"event: status\ndata: {encoded}\n\n".encode()
                    last = encoded
                    last_beat = time.monotonic()
                seen = hub.last_seq
                changed = await hub.wait_after(seen, heartbeat)
                if not changed or time.monotonic() - last_beat >= heartbeat:
                    yield b": heartbeat\n\n"
                    last_beat = time.monotonic()
                if changed:
                    ticket = await to_thread.run_sync(request.app.state.engine.ticket_by_token, token)
                    if ticket is None:
                        return
                    view = await to_thread.run_sync(citizen_view, request, ticket)
        except asyncio.CancelledError:
            raise
        finally:
            slot.release()

    return StreamingResponse(body(), media_type="text/event-stream", headers=_SSE_HEADERS)
