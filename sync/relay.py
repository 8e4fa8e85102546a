"""The hall's side of the phone-page relay (central/relay.py has the other side and the why).

Runs in the hall node's process while `[relay] enabled` and `[sync]` names a central: one
thread follows the engine's in-process feed, and whenever something was committed (and at
least every `heartbeat_seconds`) it recomputes the citizen's view of each live ticket, the same
view the hall's own `/t/TOKEN` page shows, and pushes the ones that changed to central on a
kept-alive connection, keyed by SHA-256 of the token. Central answers with what citizens did
on the relayed page (ratings, walk-outs, complaints); the hall applies them through the engine,
like its own page would, and acknowledges them in the next push, so each is applied once
(the engine refuses a second rating or walk-out of a ticket anyway).

Nothing private leaves: the view is built field by field (`hall.api.routes.citizen_view_of`) and
the push carries no token, phone or name; central drops such fields even if one slipped in.
While central cannot be reached the thread keeps trying with backoff; the hall's own page
and everything else on the floor never wait for it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time

log = logging.getLogger(__name__)

LIVE_STATES = ("waiting", "called", "serving", "held")
# Ended tickets stay on the relay this long: time to rate, read the notice, or see "done".
KEEP_ENDED_SECONDS = 4 * 3600


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class RelayPusher:
    """Push the public views of live tickets to central; apply what citizens did there."""

    def __init__(self, app, client, *, heartbeat: float = 5.0, settle: float = 0.05):
        self.app = app
        self.client = client
        self.heartbeat = heartbeat
        self.settle = settle
        self.sent: dict[str, str] = {}  # key -> view JSON central holds
        self.keys: dict[str, str] = {}  # key -> ticket id
        self.acks: list[str] = []
        self.online = False
        self.pushes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="relay", daemon=True)

    # -- life --------------------------------------------------------------------------
    def start(self) -> RelayPusher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 - closing a dead connection
            pass

    def _run(self) -> None:
        engine = self.app.state.engine
        backoff = 1.0
        seen = -1
        while not self._stop.is_set():
            try:
                feed_seq = engine.feed.last_seq
                if feed_seq != seen:
                    time.sleep(self.settle)  # let a burst (call + display events) settle
                    seen = engine.feed.last_seq
                self.push_once()
                backoff = 1.0
            except Exception as exc:  # noqa: BLE001 - the relay must never stop the hall
                if self.online or self.pushes == 0 and backoff == 1.0:
                    log.warning("relay: cannot push to central (%s: %s); the hall's own page keeps "
                                "working", type(exc).__name__, getattr(exc, "code", "") or exc)
                self.online = False
                self.sent.clear()  # central may have lost views; send all when back
                if self._stop.wait(backoff):
                    return
                backoff = min(backoff * 2, 30.0)
                continue
            engine.feed.wait_after(seen, self.heartbeat)

    # -- one push ----------------------------------------------------------------------
    def views(self) -> tuple[dict[str, tuple[str, str]], str]:
        """{key: (view JSON, business date)} for every ticket a phone may still follow."""
        from hall.api.routes import citizen_view_of
        from hall.errors import DomainError

        engine = self.app.state.engine
        config = self.app.state.config
        today = engine.business_date()
        now = engine.clock.now()
        with engine.store.read() as c:
            rows = [dict(r) for r in c.execute(
                "SELECT * FROM tickets WHERE business_date = ? AND (state IN (?, ?, ?, ?) "
                "OR state = 'transferred' OR COALESCE(finished_at, called_at, issued_at) > ?)",
                (today, *LIVE_STATES, now - KEEP_ENDED_SECONDS)).fetchall()]
        hall = {"hall_name_zh": config.hall.name_zh, "hall_name_en": config.hall.name_en}
        out: dict[str, tuple[str, str]] = {}
        for row in rows:
            token = engine.token_for(row["id"])      # derived, not stored (hall/tokens.py)
            try:
                view = {**citizen_view_of(self.app.state, row), **hall}
            except DomainError:
                continue
            key = token_key(token)
            self.keys[key] = row["id"]
            out[key] = (json.dumps(view, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
                        row["business_date"])
        return out, today

    def push_once(self) -> dict:
        current, today = self.views()
        changed = [{"key": k, "view": json.loads(v), "date": d}
                   for k, (v, d) in current.items() if self.sent.get(k) != v]
        gone = [k for k in self.sent if k not in current]
        acks = list(self.acks)
        body = {"views": changed, "drop": gone, "ack": acks, "heartbeat": self.heartbeat,
                "oldest_date": today}
        answer = self.client.push_relay(json.dumps(body, ensure_ascii=False).encode())
        self.pushes += 1
        self.online = True
        del self.acks[:len(acks)]
        for k in gone:
            self.sent.pop(k, None)
        for k, (v, _d) in current.items():
            self.sent[k] = v
        actions = answer.get("actions") or []
        if actions:
            self.apply(actions)
        return answer

    def apply(self, actions: list[dict]) -> None:
        """What citizens did on the relayed page, through the engine like the hall's own page."""
        from hall.errors import DomainError

        engine = self.app.state.engine
        for action in actions:
            action_id, key, kind = action.get("id"), action.get("key"), action.get("kind")
            body = action.get("body") or {}
            token = self._token_for(key)
            try:
                if token is None:
                    log.warning("relay: action %s for a ticket this hall no longer holds", kind)
                elif kind == "rating":
                    engine.rate(int(body["level"]), tuple(body.get("reasons") or ()), token=token,
                                comment=body.get("comment"), channel="web")
                elif kind == "leave":
                    engine.cancel_ticket(token)
                elif kind == "complaint":
                    engine.file_complaint(body.get("category") or "web", text=body.get("text") or "",
                                          kind=body.get("kind") or "complaint", source="web",
                                          ticket_token=token)
            except DomainError as exc:
                # Already rated, already called …: the hall's answer stands; nothing to retry.
                log.info("relay: %s not applied: %s", kind, exc.code)
            except (KeyError, TypeError, ValueError):
                log.warning("relay: malformed %s action dropped", kind)
            if isinstance(action_id, str):
                self.acks.append(action_id)
            if key:
                self.sent.pop(key, None)  # resend that view, now the hall's truth

    def _token_for(self, key: str | None) -> str | None:
        """The token behind a relay key (derived from the ticket id, hall/tokens.py): the
        tickets this relay pushed, else today's tickets."""
        if not key:
            return None
        engine = self.app.state.engine
        ticket_id = self.keys.get(key)
        if ticket_id is None:
            with engine.store.read() as c:
                ids = [r[0] for r in c.execute("SELECT id FROM tickets WHERE business_date >= ?",
                                               (engine.business_date(),))]
            ticket_id = next((i for i in ids if token_key(engine.token_for(i)) == key), None)
        return engine.token_for(ticket_id) if ticket_id else None


def start_for(app) -> RelayPusher | None:
    """Start the relay when the configuration asks for it; None otherwise."""
    config = app.state.config
    relay = getattr(config, "relay", None)
    if relay is None or not relay.enabled:
        return None
    from sync.client import CentralClient

    client = CentralClient.from_config(config, timeout=10.0)
    if not (config.sync.central_url and client.secret):
        log.warning("relay: [relay] enabled but [sync] central_url or the hall key is not set; "
                    "phones on mobile data will not reach the ticket page")
        client.close()
        return None
    return RelayPusher(app, client, heartbeat=relay.heartbeat_seconds).start()
