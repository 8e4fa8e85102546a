"""A real hall node for tests: uvicorn on 127.0.0.1 port 0 in a thread, temp config + db.

Used by tests/api, tests/browser and anyone who needs the hall over HTTP:

    with HallServer(tmp_path) as hall:
        kiosk = hall.device_token("kiosk")
        clerk = hall.staff_token("c1", window_id="w03")
        httpx.post(hall.url + "/api/v1/tickets", ...)

The hall's clock is pinned to a working day (Thursday 2026-11-26, 10:00 Shanghai time) and
then runs in real time, so tests do not depend on the day or hour they run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = REPO / "assets" / "hall.example.toml"
WORKDAY_10AM = dt.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


class RunningClock:
    """A clock that starts at `start` and advances with real time (the engine calls now())."""

    def __init__(self, start: float = WORKDAY_10AM):
        self.start = start
        self.origin = time.time()

    def now(self) -> float:
        return self.start + (time.time() - self.origin)


def running_clock(start: float = WORKDAY_10AM) -> RunningClock:
    return RunningClock(start)


def load_test_config(base_url: str | None = None, config_path: Path | None = None):
    from hall.config import load_config

    config = load_config(config_path or EXAMPLE_CONFIG)
    if base_url:
        config = config.model_copy(update={"hall": config.hall.model_copy(update={"base_url": base_url})})
    return config


class HallServer:
    """Start with `with HallServer(tmp_path) as hall:` or start()/stop()."""

    def __init__(self, tmp_path: Path, *, config_path: Path | None = None, clock=None, limits=None,
                 db_path: Path | None = None, port: int = 0):
        self.tmp_path = Path(tmp_path)
        self.config_path = config_path
        self.clock = clock or running_clock()
        self.limits = limits
        self.db_path = Path(db_path) if db_path else self.tmp_path / "hall.db"
        self.port = port
        self.url = ""
        self._thread: threading.Thread | None = None
        self._server = None

    def start(self) -> HallServer:
        import uvicorn

        from hall.api.app import create_app
        from hall.engine import Engine
        from hall.events import EventFeed
        from hall.store import Store

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # as hall/api/cli.py
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = load_test_config(self.url, self.config_path)
        self.store = Store.open(self.db_path)
        self.engine = Engine(self.store, self.config, clock=self.clock, feed=EventFeed())
        self.app = create_app(self.config, self.store, self.engine, limits=self.limits)
        self.auth = self.app.state.auth
        from hall.api.limits import http_protocol

        config = uvicorn.Config(self.app, log_level="warning", lifespan="on",
                                http=http_protocol(self.app.state.limits),
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])), daemon=True,
            name="hall-server")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("hall server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if getattr(self, "store", None) is not None:
            self.store.close()

    def __enter__(self) -> HallServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- credentials -----------------------------------------------------------------------
    def device_token(self, role: str, name: str | None = None, window_id: str | None = None) -> str:
        _, token = self.auth.add_device(role, name or f"{role}-{uuid.uuid4().hex[:6]}", window_id)
        return token

    def add_staff(self, staff_id: str, name: str, role: str = "clerk", pin: str = "246810") -> None:
        from hall.api.cli import add_staff

        add_staff(self.store, self.engine, staff_id, name, role, pin)

    def staff_token(self, staff_id: str = "c1", *, role: str = "clerk", window_id: str | None = None,
                    pin: str = "246810", name: str | None = None) -> str:
        """Create the staff member if needed and sign them in (at `window_id`)."""
        with self.store.read() as db:
            exists = db.execute("SELECT 1 FROM staff WHERE id = ?", (staff_id,)).fetchone()
        if not exists:
            self.add_staff(staff_id, name or f"测试{staff_id}", role, pin)
        import httpx

        body = {"staff_id": staff_id, "pin": pin}
        if window_id:
            body["window_id"] = window_id
        r = httpx.post(self.url + "/api/v1/session", json=body, timeout=10)
        r.raise_for_status()
        return r.json()["token"]
