"""Fans the event table out to many async HTTP clients with one reader thread.

One thread follows the engine's in-process EventFeed (and, as a fallback, polls the table,
so events written by another process such as `onewindow sim-day` arrive too), reads each new
batch once, keeps the most recent events in memory and wakes every waiting stream. 500 open
streams therefore cost one database read per batch, not 500.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import threading

from hall import exits

log = logging.getLogger(__name__)

_RING = 4000
_BATCH = 500


def _without_tokens(event: dict) -> dict:
    """The event as devices and staff may read it (hall/exits.py): no ticket token (the
    citizen's key: no one at a window can rate their own service), no idempotency key,
    request hash or phone, and typed text scrubbed of phone and ID numbers."""
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return event
    return {**event, "payload": exits.for_devices(payload)}


def sse_bytes(event: dict) -> bytes:
    """One server-sent event: id = seq, event = type, data = the event as JSON."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {data}\n\n".encode()


class EventHub:
    def __init__(self, store, feed, read_events, poll_seconds: float = 0.25):
        self.store = store
        self.feed = feed
        self._read_events = read_events
        self.poll_seconds = poll_seconds
        # Recent events in seq order, with their seqs alongside for bisection: each of 500
        # streams finds its place in O(log n), not by scanning the window.
        self._ring: list[dict] = []
        self._seqs: list[int] = []
        self._encoded: dict[int, bytes] = {}
        self._lock = threading.Lock()
        self.last_seq = self._max_seq()
        self._loop: asyncio.AbstractEventLoop | None = None
        # One asyncio.Event per generation: a wake sets it and puts a fresh one in its place,
        # so 500 waiting streams resume together without queueing on a lock.
        self._event: asyncio.Event | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def read_events(self, store, after: int, limit: int) -> list[dict]:
        return [_without_tokens(e) for e in self._read_events(store, after, limit)]

    def _max_seq(self) -> int:
        with self.store.read() as db:
            row = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        return int(row[0])

    # -- lifecycle (called from the app's lifespan) -----------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()
        self._stop.clear()
        self._thread = threading.Thread(target=self._follow, name="event-hub", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.feed is not None:
            try:
                self.feed.notify(self.last_seq)  # wake the follower so it sees the stop flag
            except Exception:  # noqa: BLE001 - stopping must not fail
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                if self.feed is not None:
                    self.feed.wait_after(self.last_seq, self.poll_seconds)
                else:
                    self._stop.wait(self.poll_seconds)
                if self._stop.is_set():
                    return
                self._pull()
            except Exception:  # noqa: BLE001 - keep following; a hall must not go deaf
                log.exception("event hub: read failed; retrying")
                self._stop.wait(self.poll_seconds)

    def _pull(self) -> None:
        got = False
        while True:
            batch = self.read_events(self.store, self.last_seq, _BATCH)
            if not batch:
                break
            encoded = {e["seq"]: sse_bytes(e) for e in batch}
            with self._lock:
                self._ring.extend(batch)
                self._seqs.extend(e["seq"] for e in batch)
                self._encoded.update(encoded)
                if len(self._ring) > 2 * _RING:
                    for seq in self._seqs[:-_RING]:
                        self._encoded.pop(seq, None)
                    self._ring = self._ring[-_RING:]
                    self._seqs = self._seqs[-_RING:]
                self.last_seq = batch[-1]["seq"]
            got = True
            if len(batch) < _BATCH:
                break
        if got and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    # -- readers -----------------------------------------------------------------------
    def events_after(self, after: int, limit: int = _BATCH) -> list[dict]:
        """Events with seq > after, oldest first, at most `limit`."""
        with self._lock:
            if self._ring and after >= self._seqs[0] - 1:
                start = bisect.bisect_right(self._seqs, after)
                return self._ring[start:start + limit]
            if not self._ring and after >= self.last_seq:
                return []
        return self.read_events(self.store, after, limit)

    def sse_after(self, after: int, limit: int = _BATCH) -> tuple[bytes, int]:
        """The SSE frames for events after `after`, encoded once for all streams; (bytes, last seq)."""
        events = self.events_after(after, limit)
        if not events:
            return b"", after
        with self._lock:
            frames = [self._encoded.get(e["seq"]) for e in events]
        return b"".join(f if f is not None else sse_bytes(e) for f, e in zip(frames, events, strict=True)), \
            events[-1]["seq"]

    async def wait_after(self, after: int, timeout: float) -> bool:
        """Wait until an event with seq > after exists, or timeout. True if there is one."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.last_seq <= after:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self._event is None:
                if self._event is None:
                    await asyncio.sleep(max(remaining, 0))
                return self.last_seq > after
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return self.last_seq > after
        return True

    async def wait_change(self, timeout: float) -> bool:
        """Wait for any new event (used by per-ticket streams)."""
        return await self.wait_after(self.last_seq, timeout)
