"""What a caller display shows, as plain data: folds hall events into screen state (no Qt)."""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field

from hall.display_layouts import Layout

CALL_TYPES = ("ticket.called", "ticket.recalled")
# Events after which the window's current number is no longer someone at the counter.
RELEASE_TYPES = ("ticket.no_show", "ticket.requeued", "ticket.held", "ticket.transferred",
                 "ticket.refused", "ticket.walked_out", "ticket.expired")
WINDOW_TYPES = ("window.opened", "window.paused", "window.closed",
                "window.signed_in", "window.signed_out")
# Events that change how many people wait; the app refreshes the waiting counts after them.
QUEUE_TYPES = ("ticket.issued", "ticket.checked_in", "ticket.called", "ticket.requeued",
               "ticket.transferred", "ticket.walked_out", "ticket.expired", "ticket.resumed",
               "day.opened", "day.closed", "config.applied")


@dataclass(frozen=True)
class Call:
    """One call or recall as the screen and the voice see it: no personal data."""

    seq: int
    number: str
    window_number: str
    window_name: str
    window_kind: str
    service_id: str
    recall: bool
    at: float
    masked_name: str = ""


@dataclass
class WindowTile:
    id: str
    number: str
    name_zh: str
    kind: str
    state: str = "open"
    current: str = ""
    services: tuple[str, ...] = ()


@dataclass
class DisplayState:
    """Screen state for one layout. `apply` is idempotent per seq, so replays are harmless."""

    layout: Layout
    last_seq: int = 0
    windows: dict[str, WindowTile] = field(default_factory=dict)
    recent: deque[Call] = field(default_factory=deque)
    banner: Call | None = None
    waiting: list[dict] = field(default_factory=list)
    calls_seen: int = 0

    # -- inputs -------------------------------------------------------------------------

    def load_windows(self, rows: list[dict]) -> None:
        """Take the hall's window list (GET /api/v1/windows) as the starting picture."""
        self.windows = {}
        for row in rows:
            tile = _tile(row)
            current = row.get("current") or {}
            if current.get("state") in ("called", "serving"):
                tile.current = str(current.get("number") or "")
            self.windows[tile.id] = tile

    def load_services(self, rows: list[dict]) -> None:
        """Waiting counts per service (GET /api/v1/services)."""
        self.waiting = [
            {"id": r.get("id"), "name_zh": r.get("name_zh", ""), "name_en": r.get("name_en", ""),
             "waiting": int(r.get("waiting") or 0), "eta_minutes": r.get("eta_minutes")}
            for r in rows
        ]

    def set_layout(self, layout: Layout) -> None:
        """A new layout: the recent list and the banner keep only the windows it shows."""
        self.layout = layout

        def shown(c: Call) -> bool:
            return layout.shows_window({"number": c.window_number, "kind": c.window_kind})

        self.recent = deque([c for c in self.recent if shown(c)][: layout.recent_count])
        if self.banner is not None and not shown(self.banner):
            self.banner = None

    def apply(self, event: dict, now: float | None = None) -> Call | None:
        """Fold one event in. Returns the Call when it is a call this layout shows."""
        seq = int(event.get("seq") or 0)
        if seq and seq <= self.last_seq:
            return None  # a replay after reconnect: already on screen
        if seq:
            self.last_seq = seq
        etype = event.get("type", "")
        payload = event.get("payload") or {}
        # A payload value is one row or a list of rows (e.g. a day close touching every window).
        tickets = {str(t.get("id")): t for t in _rows(payload.get("ticket")) if t.get("id") is not None}
        for window_row in _rows(payload.get("window")):
            if window_row.get("id") is None:
                continue
            tile = self.windows.get(str(window_row["id"]))
            if tile is None:
                tile = self.windows[str(window_row["id"])] = _tile(window_row)
            else:
                tile.state = window_row.get("state", tile.state)
                tile.name_zh = window_row.get("name_zh", tile.name_zh)
                # The hall's row says who is at the counter: nobody means an empty tile.
                if etype == "window.closed" or ("current_ticket_id" in window_row
                                                and not window_row["current_ticket_id"]):
                    self._release(tile)
                elif str(window_row.get("current_ticket_id")) in tickets:
                    # e.g. a held ticket resumed: the counter has someone again
                    tile.current = str(tickets[str(window_row["current_ticket_id"])].get("number") or "")
        if etype in CALL_TYPES:
            return self._call(seq, etype, payload, now)
        if etype in RELEASE_TYPES:
            for ticket in _rows(payload.get("ticket")):
                for tile in self.windows.values():  # numbers are unique within the day
                    if tile.current and tile.current == ticket.get("number"):
                        self._release(tile)
        return None

    def _release(self, tile: WindowTile) -> None:
        """Nobody is at the counter now. The main call must agree with the tiles: a banner
        still sending that number to this window is taken down."""
        if self.banner is not None and tile.current and self.banner.number == tile.current \
                and self.banner.window_number == tile.number:
            self.banner = None
        tile.current = ""

    def _tile_of(self, ticket: dict, window_row: dict | None) -> WindowTile | None:
        wid = (window_row or {}).get("id") or ticket.get("window_id")
        return self.windows.get(str(wid)) if wid is not None else None

    def _call(self, seq: int, etype: str, payload: dict, now: float | None) -> Call | None:
        ticket = next(iter(_rows(payload.get("ticket"))), {})
        window_row = next(iter(_rows(payload.get("window"))), {})
        tile = self._tile_of(ticket, window_row)
        if tile is None or not ticket.get("number"):
            return None
        tile.current = str(ticket["number"])
        if not self.layout.shows_window({"number": tile.number, "kind": tile.kind}):
            return None
        masked = str(payload.get("masked_name") or "") if self.layout.show_masked_name else ""
        call = Call(seq=seq, number=str(ticket["number"]), window_number=tile.number,
                    window_name=tile.name_zh, window_kind=tile.kind,
                    service_id=str(ticket.get("service_id") or ""),
                    recall=etype == "ticket.recalled", at=now or time.time(),
                    masked_name=masked)
        self.calls_seen += 1
        # The recent list shows each ticket once, newest first; a recall moves it to the top.
        self.recent = deque(c for c in self.recent if c.number != call.number)
        self.recent.appendleft(call)
        while len(self.recent) > self.layout.recent_count:
            self.recent.pop()
        self.banner = call
        return call

    # -- outputs ------------------------------------------------------------------------

    def waiting_to_show(self, limit: int) -> list[dict]:
        """Services people wait for, busiest first, limited to those the shown windows serve
        (a floor's screen does not list the other floor's queues)."""
        filtered = self.layout.windows is not None or self.layout.window_kinds is not None
        served = {s for t in self.visible_windows() for s in t.services}
        rows = [w for w in self.waiting if w["waiting"] > 0
                and (not filtered or not served or w["id"] in served)]
        rows.sort(key=lambda w: -w["waiting"])
        return rows[:limit]

    def visible_windows(self) -> list[WindowTile]:
        tiles = [t for t in self.windows.values()
                 if self.layout.shows_window({"number": t.number, "kind": t.kind})]
        return sorted(tiles, key=lambda t: (_num(t.number), t.number))


def _rows(value) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _tile(row: dict) -> WindowTile:
    services = row.get("services") or ()
    if isinstance(services, str):  # event rows carry the column as stored: a JSON list
        try:
            services = json.loads(services)
        except ValueError:
            services = ()
    return WindowTile(id=str(row["id"]), number=str(row.get("number", "")),
                      name_zh=str(row.get("name_zh") or ""), kind=str(row.get("kind") or ""),
                      state=str(row.get("state") or "open"),
                      services=tuple(str(s) for s in services if isinstance(s, str)))


def _num(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 10**6
