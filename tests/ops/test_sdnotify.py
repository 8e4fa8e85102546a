"""Readiness and liveness as systemd sees them: a NOTIFY_SOCKET harness around the real
hall process and the real display process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.notify_harness import NotifySocket
from tests.support.hallserver import HallServer

ROOT = Path(__file__).resolve().parents[2]
WATCHDOG_USEC = 400_000      # pings every 0.2 s


@pytest.fixture
def notify():
    sock = NotifySocket()
    yield sock
    sock.close()


@pytest.fixture
def hall(tmp_path, notify, monkeypatch):
    for key, value in notify.env(WATCHDOG_USEC).items():
        monkeypatch.setenv(key, value)
    proc = HallServer(tmp_path / "hall", process=True, windows=("w03", "w04", "w05"))
    try:
        yield proc
    finally:
        proc.stop()


def pings(lines):
    return sum(1 for line in lines if line == "WATCHDOG=1")


def test_hall_ready_then_pings_stop_on_sigstop_and_on_a_stuck_writer(hall, notify):
    hall.start()
    # READY comes once the hall listens and its database took a write and a read.
    assert notify.wait_for("READY=1", 10), notify.messages
    assert pings(notify.collect(1.0)) >= 3

    # A frozen process: no pings at all while it is stopped, pings again after.
    os.kill(hall.proc.pid, signal.SIGSTOP)
    try:
        notify.drain()
        assert pings(notify.collect(1.0)) == 0
    finally:
        os.kill(hall.proc.pid, signal.SIGCONT)
    assert pings(notify.collect(1.0)) >= 2

    # A stuck writer: another connection holds the database's write lock (as a hung
    # process would). The hall still answers HTTP reads, but it can no longer commit,
    # so it must stop telling systemd it is alive.
    blocker = sqlite3.connect(hall.db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        notify.collect(0.5)     # a probe already under way may still finish
        lines = notify.collect(1.5)
        assert pings(lines) == 0, lines
        assert any(line.startswith("STATUS=unhealthy") for _, line in notify.messages)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert pings(notify.collect(1.5)) >= 2


def test_hall_without_notify_socket_runs_as_before(tmp_path, monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    proc = HallServer(tmp_path / "hall", process=True, windows=("w03", "w04", "w05"))
    try:
        proc.start()
        assert proc.issue()["number"]
    finally:
        proc.stop()


def test_display_ready_at_first_frame_and_pings_from_the_qt_loop(hall, tmp_path):
    hall.start()
    notify = NotifySocket()     # the display's own, apart from the hall's
    env = {**os.environ, **notify.env(WATCHDOG_USEC), "PYTHONPATH": str(ROOT)}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    display = subprocess.Popen(
        [sys.executable, "-m", "onewindow.cli", "display", "--hall", hall.url, "--offscreen",
         "--voice", "off", "--windowed"],
        env={**env, "ONEWINDOW_DISPLAY_TOKEN": hall.tokens["display-1"]},
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "display.log", "wb"))
    try:
        assert notify.wait_for("READY=1", 30), (tmp_path / "display.log").read_text()[-2000:]
        assert pings(notify.collect(1.0)) >= 3
        os.kill(display.pid, signal.SIGSTOP)
        try:
            notify.drain()
            assert pings(notify.collect(1.0)) == 0
        finally:
            os.kill(display.pid, signal.SIGCONT)
        assert pings(notify.collect(1.0)) >= 2
    finally:
        display.terminate()
        try:
            display.wait(10)
        except subprocess.TimeoutExpired:
            display.kill()
            display.wait(5)
        notify.close()
    assert display.returncode == 0


@pytest.mark.parametrize("role", ["kiosk", "display"])
def test_no_screen_is_one_line_and_exit_5(role, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    args = [sys.executable, "-m", "onewindow.cli", role, "--hall", "http://127.0.0.1:9",
            "--token", "x" * 20]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 5, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "没有可用的屏幕" in lines[0] and "has no screen" in lines[0]
    # A Wayland platform named without a compositor is no screen either.
    env["QT_QPA_PLATFORM"] = "wayland"
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 5 and "Wayland" in proc.stderr
