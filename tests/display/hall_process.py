"""A real hall node in a child process for display tests: killable, restartable, loopback only."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
MANAGER = ("M01", "246810")
CLERK = ("C01", "135790")
SERVICE_OF = {"w03": "biz-setup", "w04": "biz-change", "w05": "tax-invoice"}


# `onewindow hall` through the API package's own command module, independent of which
# packages onewindow.cli lists at the moment.
_LAUNCH = ("import argparse, sys\n"
           "from hall.api import cli\n"
           "p = argparse.ArgumentParser(); cli.add_commands(p.add_subparsers())\n"
           "a = p.parse_args(sys.argv[1:]); a.log_level_uvicorn = 'warning'\n"
           "sys.exit(a.func(a))\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HallProcess:
    """`onewindow hall` on 127.0.0.1:<free port> over a prepared database."""

    def __init__(self, workdir: Path, windows: tuple[str, ...] = ("w03", "w04", "w05")):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        from hall.config import write_example_config

        # Open 24/7, so the tests do not depend on the time of day they run.
        self.config = write_example_config(self.dir / "hall.toml", always_open=True)
        self.db = self.dir / "hall.db"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.tokens: dict[str, str] = {}
        self._prepare(windows)

    def _prepare(self, windows) -> None:
        from hall.api.cli import add_staff
        from hall.auth import AuthService
        from hall.config import load_config
        from hall.engine import Engine
        from hall.store import Store

        config = load_config(self.config)
        store = Store.open(self.db)
        try:
            engine = Engine(store, config)
            add_staff(store, engine, MANAGER[0], "王经理", "manager", MANAGER[1])
            for i, _wid in enumerate(windows, start=1):
                add_staff(store, engine, f"C{i:02d}", f"窗口{i}", "clerk", CLERK[1])
            auth = AuthService(store)
            for role, name in (("display", "display-1"), ("display", "display-2"),
                               ("kiosk", "kiosk-1")):
                self.tokens[name] = auth.add_device(role, name)[1]
        finally:
            store.close()
        self.windows = tuple(windows)
        self._opened = False

    def start(self, timeout: float = 20.0) -> HallProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, "hall", "--config", str(self.config),
             "--db", str(self.db), "--port", str(self.port)],
            cwd=self.dir, env=env, stdout=subprocess.DEVNULL, stderr=open(self.dir / "hall.log", "ab"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("hall exited: " + (self.dir / "hall.log").read_text()[-2000:])
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=0.5).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            raise RuntimeError("hall did not come up")
        self.manager = self.session(*MANAGER)
        if not self._opened:
            # A clerk signed in at each window, and the window opened: ready to call.
            for i, wid in enumerate(self.windows, start=1):
                r = httpx.post(self.url + "/api/v1/session", timeout=5, json={
                    "staff_id": f"C{i:02d}", "pin": CLERK[1], "window_id": wid})
                r.raise_for_status()
                self.window_action(wid, "open")
            self._opened = True
        return self

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, like a power cut of the hall process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    # -- driving the hall over HTTP ---------------------------------------------------------

    def session(self, staff_id: str, pin: str) -> str:
        r = httpx.post(self.url + "/api/v1/session", json={"staff_id": staff_id, "pin": pin},
                          timeout=5)
        r.raise_for_status()
        return r.json()["token"]

    def headers(self, token: str | None = None) -> dict:
        return {"Authorization": f"Bearer {token or self.manager}"}

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
        from hall.config import load_config
        from hall.engine import Engine
        from hall.store import Store

        assert self.proc is None, "the hall process must be down"
        store = Store.open(self.db)
        numbers = []
        try:
            engine = Engine(store, load_config(self.config))
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


def copy_logs(hall: HallProcess, dest: Path) -> None:
    if (hall.dir / "hall.log").exists():
        shutil.copyfile(hall.dir / "hall.log", dest)
