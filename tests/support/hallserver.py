"""The one test hall: a real hall node on 127.0.0.1 (real uvicorn, a real SQLite file) for
any test folder and the benches.

    with HallServer(tmp_path) as hall:                         # uvicorn in a thread
        kiosk = hall.device_token("kiosk")
        clerk = hall.staff_token("c1", window_id="w03")
        httpx.post(hall.url + "/api/v1/tickets", ...)

    hall = HallServer(tmp_path, process=True, windows=("w03", "w04")).start()
    hall.serve_and_call("w03"); hall.kill(); hall.start()      # `onewindow hall`, SIGKILLed

Two ways to run the same node, one helper:

- In this process (the default): uvicorn in a thread over the shipped example config, with
  the hall's clock pinned to a working day (Thursday 2026-11-26, 10:00 Shanghai time) and
  then running in real time, so tests do not depend on the day or hour they run. `engine`,
  `store` and `auth` are at hand.
- As a child process (`process=True`): the `hall` command itself (hall/api/cli.py: its socket
  options, its device wiring), open around the clock every day. `kill()` is a power cut
  (SIGKILL), `start()` brings it back on the same port and database, and the port and the
  database exist before the first start (a display or kiosk may be started first).

`windows=(…)` staffs the hall for calling: a manager (MANAGER), one clerk per window signed in
there with the window opened on first start, and devices display-1, display-2 and kiosk-1
(`tokens`). The driving helpers (issue, serve_and_call, put_layout, …) work in both modes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = REPO / "assets" / "hall.example.toml"
WORKDAY_10AM = dt.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
MANAGER = ("M01", "246810")
CLERK_PIN = "135790"
SERVICE_OF = {"w03": "biz-setup", "w04": "biz-change", "w05": "tax-invoice"}

# `onewindow hall` through the API package's own command module, independent of which
# packages onewindow.cli lists at the moment.
_LAUNCH = ("import argparse, sys\n"
           "from hall.api import cli\n"
           "p = argparse.ArgumentParser(); cli.add_commands(p.add_subparsers())\n"
           "a = p.parse_args(sys.argv[1:]); a.log_level_uvicorn = 'warning'\n"
           "sys.exit(a.func(a))\n")


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def always_open_config(dest: Path, base_url: str | None = None) -> Path:
    """The shipped example, open all day every day (no holidays), for a hall in a process."""
    from hall.config import always_open_text

    text = always_open_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    text = re.sub(r"(?ms)^holidays = \[.*?\]", "holidays = []", text, count=1)
    if base_url:
        text = re.sub(r'(?m)^base_url\s*=.*$', f'base_url = "{base_url}"', text, count=1)
    dest.write_text(text, encoding="utf-8")
    return dest


class HallServer:
    """Start with `with HallServer(tmp_path) as hall:` or start()/stop()."""

    def __init__(self, tmp_path: Path, *, config_path: Path | None = None, clock=None, limits=None,
                 db_path: Path | None = None, port: int = 0, process: bool = False,
                 windows: tuple[str, ...] = ()):
        self.tmp_path = self.dir = Path(tmp_path)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process = process
        self.config_path = config_path
        self.clock = clock or running_clock()
        self.limits = limits
        self.db_path = Path(db_path) if db_path else self.tmp_path / "hall.db"
        self.port = port
        self.url = ""
        self.windows = tuple(windows)
        self.tokens: dict[str, str] = {}
        self.manager = ""
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "hall.log"
        self._thread: threading.Thread | None = None
        self._server = None
        self._opened = False
        self.store = None
        if process:
            self.port = port or free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            if config_path is None:
                self.config_path = always_open_config(self.dir / "hall.toml", self.url)
            self._prepare_offline()

    # compatibility names used across the suite
    @property
    def db(self) -> Path:
        return self.db_path

    @property
    def config(self):
        """The loaded config (in-process) or the config file's path (child process)."""
        return self.config_path if self.process else self._config

    @config.setter
    def config(self, value) -> None:
        self._config = value

    # -- starting and stopping --------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> HallServer:
        if self.process:
            self._start_process(timeout)
        else:
            self._start_thread()
        if self.windows:
            self.manager = self.session(*MANAGER)
        if self.windows and not self._opened:
            # A clerk signed in at each window, and the window opened: ready to call.
            for i, wid in enumerate(self.windows, start=1):
                self.session(f"C{i:02d}", CLERK_PIN, window_id=wid)
                self.window_action(wid, "open")
            self._opened = True
        return self

    def _start_thread(self) -> None:
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
        if self.windows and not self.tokens:
            self._staff_and_devices(self.store, self.engine)
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

    def _start_process(self, timeout: float) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, "hall", "--config", str(self.config_path),
                 "--db", str(self.db_path), "--port", str(self.port)],
                cwd=self.dir, env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("hall exited: " + self.log.read_text()[-2000:])
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=0.5).is_success:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("hall did not come up: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, like a power cut of the hall process."""
        assert self.process, "only a hall in a child process can be killed"
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.process:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            self.proc = None
            return
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> HallServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @classmethod
    def attached(cls, url: str, *, manager: str = "", tokens: dict | None = None) -> HallServer:
        """The driving helpers for a hall already running elsewhere (e.g. from a bench's
        helper process); start/stop do nothing useful on it."""
        hall = cls.__new__(cls)
        hall.url, hall.manager, hall.tokens = url, manager, dict(tokens or {})
        return hall

    # -- preparing the database -----------------------------------------------------------------

    def _offline(self):
        """(store, engine) on the database with no server in front; close the store after."""
        from hall.config import load_config
        from hall.engine import Engine
        from hall.store import Store

        assert self.proc is None, "the hall process must be down"
        store = Store.open(self.db_path)
        return store, Engine(store, load_config(self.config_path))

    def _prepare_offline(self) -> None:
        store, engine = self._offline()
        try:
            if self.windows:
                self._staff_and_devices(store, engine)
        finally:
            store.close()

    def _staff_and_devices(self, store, engine) -> None:
        from hall.api.cli import add_staff
        from hall.auth import AuthService

        add_staff(store, engine, MANAGER[0], "王经理", "manager", MANAGER[1])
        for i, _wid in enumerate(self.windows, start=1):
            add_staff(store, engine, f"C{i:02d}", f"窗口{i}", "clerk", CLERK_PIN)
        auth = AuthService(store)
        for role, name in (("display", "display-1"), ("display", "display-2"),
                           ("kiosk", "kiosk-1")):
            self.tokens[name] = auth.add_device(role, name)[1]

    # -- credentials ---------------------------------------------------------------------------

    def device_token(self, role: str, name: str | None = None, window_id: str | None = None) -> str:
        name = name or f"{role}-{uuid.uuid4().hex[:6]}"
        if not self.process:
            return self.auth.add_device(role, name, window_id)[1]
        from hall.auth import AuthService
        from hall.store import Store

        store = Store.open(self.db_path)    # the hall reads devices from the database
        try:
            return AuthService(store).add_device(role, name, window_id)[1]
        finally:
            store.close()

    def add_staff(self, staff_id: str, name: str, role: str = "clerk", pin: str = "246810") -> None:
        from hall.api.cli import add_staff

        assert not self.process, "add staff before start() with windows=… in a child process"
        add_staff(self.store, self.engine, staff_id, name, role, pin)

    def staff_token(self, staff_id: str = "c1", *, role: str = "clerk", window_id: str | None = None,
                    pin: str = "246810", name: str | None = None) -> str:
        """Create the staff member if needed and sign them in (at `window_id`)."""
        with self.store.read() as db:
            exists = db.execute("SELECT 1 FROM staff WHERE id = ?", (staff_id,)).fetchone()
        if not exists:
            self.add_staff(staff_id, name or f"测试{staff_id}", role, pin)
        return self.session(staff_id, pin, window_id=window_id)

    def session(self, staff_id: str, pin: str, window_id: str | None = None) -> str:
        body = {"staff_id": staff_id, "pin": pin}
        if window_id:
            body["window_id"] = window_id
        r = httpx.post(self.url + "/api/v1/session", json=body, timeout=10)
        r.raise_for_status()
        return r.json()["token"]

    def headers(self, token: str | None = None) -> dict:
        return {"Authorization": f"Bearer {token or self.manager}"}

    # -- driving the hall over HTTP (needs windows=…) ---------------------------------------------

    def issue(self, service_id: str = "biz-setup") -> dict:
        r = httpx.post(self.url + "/api/v1/tickets", json={"service_id": service_id},
                       headers={**self.headers(self.tokens["kiosk-1"]),
                                "Idempotency-Key": uuid.uuid4().hex}, timeout=5)
        r.raise_for_status()
        return r.json()

    def window_action(self, window_id: str, action: str) -> dict | None:
        r = httpx.post(f"{self.url}/api/v1/windows/{window_id}/{action}",
                       headers=self.headers(), timeout=5,
                       json={} if action == "finish" else None)
        if r.status_code >= 400:
            raise RuntimeError(f"{action} {window_id}: {r.status_code} {r.text}")
        return r.json() if r.status_code == 200 else None

    def call_next(self, window_id: str) -> dict | None:
        """Finish whatever the window has, then call the next ticket; returns the ticket."""
        reply = self.window_action(window_id, "call-next")
        return reply["ticket"] if reply else None

    def serve_and_call(self, window_id: str, service_id: str | None = None) -> dict:
        """Issue a ticket, finish the window's current one if any, call; returns the call."""
        self.issue(service_id or SERVICE_OF.get(window_id, "biz-setup"))
        r = httpx.get(f"{self.url}/api/v1/windows/{window_id}", headers=self.headers(),
                      timeout=5)
        r.raise_for_status()
        current = (r.json().get("current") or {}) if isinstance(r.json(), dict) else {}
        if current.get("state") == "called":
            self.window_action(window_id, "start")
            current["state"] = "serving"
        if current.get("state") == "serving":
            self.window_action(window_id, "finish")
        return self.call_next(window_id)

    def call_offline(self, window_ids) -> list[str]:
        """With the hall process down, commit calls straight into its database (as the node
        does just before a crash, after the display last heard from it). Returns numbers."""
        store, engine = self._offline()
        numbers = []
        try:
            for wid in window_ids:
                engine.issue_ticket(SERVICE_OF.get(wid, "biz-setup"))
                state = engine.window_state(wid)
                current = (state or {}).get("current") or {}
                if current.get("state") == "called":
                    engine.start(wid)
                    current["state"] = "serving"
                if current.get("state") == "serving":
                    engine.finish(wid, "completed")
                numbers.append(engine.call_next(wid)["number"])
        finally:
            store.close()
        return numbers

    def put_layout(self, name: str, body: dict) -> dict:
        r = httpx.put(f"{self.url}/api/v1/display-layouts/{name}", json=body,
                      headers=self.headers(), timeout=5)
        r.raise_for_status()
        return r.json()
