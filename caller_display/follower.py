"""Follows the hall's event stream for a display: SSE, reconnect with backoff, catch up by seq."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from caller_display.state import QUEUE_TYPES
from hall.display_layouts import Layout, builtin_layouts, parse_layout
from hall.errors import DomainError
from onewindow.client import HallClient, HallError, HallUnreachable, error_from
from onewindow.http import EventStream

log = logging.getLogger(__name__)

LAYOUT_EVENT = "display.layout_changed"


@dataclass
class FollowerCallbacks:
    """What the follower reports; called on the follower's threads (marshal to the UI)."""

    on_event: Callable[[dict, bool], None]                  # (event, quiet)
    on_layout: Callable[[Layout, str], None]                # (layout, hall name)
    on_windows: Callable[[list[dict]], None]
    on_services: Callable[[list[dict]], None]
    on_connection: Callable[[bool, str], None]              # (connected, reason)
    on_reset: Callable[[], None] = lambda: None             # the hall's event log restarted


class StreamEnded(Exception):
    """The hall closed the stream (restart, deploy): reconnect and catch up."""


class HallFollower:
    """One thread reads `GET /api/v1/events/stream`; on any failure it marks the display
    offline, waits (0.2 s doubling to `max_backoff`, with jitter) and resumes after the last
    seq it saw, so no call is missed or shown twice. A second thread refreshes the waiting
    counts shortly after queue events, so the stream itself never waits on it.
    """

    def __init__(self, base_url: str, token: str, callbacks: FollowerCallbacks, *,
                 layout_name: str | None = None, catch_up: int = 300,
                 min_backoff: float = 0.2, max_backoff: float = 5.0,
                 read_timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.cb = callbacks
        self.layout_name = layout_name
        self.catch_up = catch_up
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.read_timeout = read_timeout  # > the hall's ~10 s heartbeat: silence means dead
        self.last_seq: int | None = None
        self.connects = 0
        self._stop = threading.Event()
        self._refresh = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stream_open: EventStream | None = None
        self._opened = False

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> HallFollower:
        for target, name in ((self._run, "hall-stream"), (self._refresher, "hall-refresh")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._refresh.set()
        stream = self._stream_open
        if stream is not None:
            stream.abort()   # unblock a read in progress; nothing else reaches it
        for t in self._threads:
            t.join(5)
        self._threads = []

    # -- the stream thread --------------------------------------------------------------

    def _run(self) -> None:
        backoff = self.min_backoff
        client = HallClient(self.base_url, self.token)
        try:
            while not self._stop.is_set():
                reason = ""
                try:
                    quiet_until, business_date = self._prepare(client)
                    self._stream(quiet_until, business_date, client,
                                 on_open=lambda: self.cb.on_connection(True, ""))
                except HallError as exc:
                    reason = f"{exc.message} / {exc.message_en}"
                    log.warning("hall refused the display: %s", exc)
                except (HallUnreachable, OSError, httpx.HTTPError, StreamEnded,
                        ValueError) as exc:
                    if self._stop.is_set():
                        break  # our own stop() cut the stream
                    reason = str(exc) or type(exc).__name__
                    log.info("hall stream lost: %s", reason)
                else:
                    continue
                if self._stop.is_set():
                    break
                self.cb.on_connection(False, reason)
                if self._opened:
                    backoff = self.min_backoff  # it was working: retry quickly first
                    self._opened = False
                self._stop.wait(backoff * (0.75 + random.random() * 0.5))
                backoff = min(self.max_backoff, backoff * 2)
        finally:
            client.close()

    def _prepare(self, client: HallClient) -> tuple[int, str | None]:
        """Fetch what the event stream cannot give: layout, and on first connect a snapshot."""
        self._fetch_layout(client)
        business_date = None
        quiet_until = 0
        health = client.health()
        if self.last_seq is not None and int(health.get("last_seq") or 0) < self.last_seq:
            # The hall's log is behind what we saw: a new or restored database. Our cursor
            # would skip its calls, so start over as a fresh display.
            log.warning("hall event log restarted (hall seq %s < ours %s); starting over",
                        health.get("last_seq"), self.last_seq)
            self.last_seq = None
            self.cb.on_reset()
        if self.last_seq is None:
            business_date = health.get("business_date")
            quiet_until = int(health.get("last_seq") or 0)
            self.cb.on_windows(client.windows())
            # Replay the tail of today's events quietly so the recent list is not empty
            # after a display restart; quiet means no flash and no voice.
            self.last_seq = max(0, quiet_until - self.catch_up)
        self._refresh.set()
        return quiet_until, business_date

    def _fetch_layout(self, client: HallClient) -> None:
        hall_name = ""
        layout_data = None
        try:
            me = client.get("/displays/me")
            hall_name = (me.get("hall") or {}).get("name_zh", "")
            layout_data = me.get("layout")
        except HallError as exc:
            # 403/404: not a display device, or a hall without layouts: show the default.
            if exc.status not in (403, 404):
                raise
        if self.layout_name:
            try:
                layout_data = client.get(f"/display-layouts/{self.layout_name}")
            except HallError as exc:
                if exc.status != 404:
                    raise
                log.error("layout %s does not exist on the hall; showing the default",
                          self.layout_name)
                layout_data = None
        try:
            layout = parse_layout(layout_data) if layout_data else builtin_layouts()[0]
        except DomainError as exc:
            log.error("hall sent an invalid layout: %s", exc)
            layout = builtin_layouts()[0]
        self.cb.on_layout(layout, hall_name)

    def _stream(self, quiet_until: int, business_date: str | None, client: HallClient,
                on_open: Callable[[], None]) -> None:
        after = self.last_seq or 0
        with client.event_stream(after, read_timeout=self.read_timeout) as stream:
            self._stream_open = stream
            try:
                if self._stop.is_set():
                    return
                resp = stream.response
                if resp.status_code != 200:
                    resp.read()
                    if resp.status_code >= 500:
                        raise HallUnreachable(f"HTTP {resp.status_code}")
                    raise error_from(resp)
                self.connects += 1
                self._opened = True
                on_open()
                for sse in stream.events():   # heartbeats (comments) never come out here
                    if sse.data:
                        self._dispatch(sse.data, quiet_until, business_date, client)
                    if self._stop.is_set():
                        return
                if not self._stop.is_set():
                    raise StreamEnded("服务器关闭了连接 / the hall closed the stream")
            finally:
                self._stream_open = None

    def _dispatch(self, data: str, quiet_until: int, business_date: str | None,
                  client: HallClient) -> None:
        event = json.loads(data)
        seq = int(event["seq"])
        if self.last_seq is not None and seq <= self.last_seq:
            return  # the hall repeated itself; the state would ignore it anyway
        self.last_seq = seq
        etype = event.get("type", "")
        quiet = seq <= quiet_until
        if quiet and business_date and event.get("business_date") != business_date:
            return  # yesterday's calls do not belong on today's screen
        if etype == LAYOUT_EVENT:
            self._fetch_layout(client)
            return
        self.cb.on_event(event, quiet)
        if etype in QUEUE_TYPES and not quiet:
            self._refresh.set()

    # -- the waiting-count refresher ----------------------------------------------------

    def _refresher(self) -> None:
        client = HallClient(self.base_url, self.token)
        try:
            while not self._stop.is_set():
                self._refresh.wait()
                if self._stop.is_set():
                    return
                # Coalesce a burst of issues into one request.
                self._stop.wait(0.3)
                self._refresh.clear()
                try:
                    self.cb.on_services(client.services())
                except (HallUnreachable, HallError) as exc:
                    log.debug("waiting counts not refreshed: %s", exc)
        finally:
            client.close()


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    """Poll `predicate` until true or timeout (for tools and tests that drive a follower)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
