"""A hall node as a child process for kiosk tests and bench/kiosk.py: killable, restartable."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]

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
    """`onewindow hall` as a child process that can be SIGKILLed and started again."""

    def __init__(self, workdir: Path):
        text = (ROOT / "assets" / "hall.example.toml").read_text(encoding="utf-8")
        # Open all day, every day, so the test does not depend on when it runs.
        for key in ("open", "close", "ticket_cutoff"):
            value = "00:00" if key == "open" else "23:59"
            text = re.sub(rf'(?m)^{key} = ".*"', f'{key} = "{value}"', text, count=1)
        text = re.sub(r"(?m)^weekdays = \[.*\]", "weekdays = [1, 2, 3, 4, 5, 6, 7]", text, count=1)
        text = re.sub(r"(?ms)^holidays = \[.*?\]", "holidays = []", text, count=1)
        self.config = workdir / "hall.toml"
        self.config.write_text(text, encoding="utf-8")
        self.db = workdir / "hall.db"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "hall.log"
        self.proc = None
        from hall.auth import AuthService
        from hall.config import load_config
        from hall.engine import Engine
        from hall.store import Store

        store = Store.open(self.db)
        try:
            Engine(store, load_config(self.config))
            self.token = AuthService(store).add_device("kiosk", "kiosk-e2e")[1]
        finally:
            store.close()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, "hall", "--config", str(self.config), "--db",
             str(self.db), "--port", str(self.port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                if requests.get(self.url + "/api/v1/health", timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("hall did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
