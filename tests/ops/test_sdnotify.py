"""Readiness and liveness as systemd sees them: a NOTIFY_SOCKET harness around the real
hall process and the real display process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
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


def _device_status(db) -> dict:
    import json

    conn = sqlite3.connect(db)
    try:
        return {n: json.loads(s) for n, s in conn.execute("SELECT name, status FROM device_status")}
    finally:
        conn.close()


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
    # Nobody reads the hall's notify socket from here on: its queue fills up, and the hall
    # must keep serving (pings are sent without blocking, so this display can follow it).
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
        # The display also tells the hall it is alive (the fleet view's device list).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _device_status(hall.db).get("display-1"):
            time.sleep(0.2)
        status = _device_status(hall.db)
        assert status.get("display-1", {}).get("screen", {}).get("state") == "ok", (
            status, (tmp_path / "display.log").read_text()[-2000:])
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
    token_file = tmp_path / "token"
    token_file.write_text("x" * 20)
    token_file.chmod(0o600)
    # --token-file as the units do (--token would add its own warning about ps)
    args = [sys.executable, "-m", "onewindow.cli", role, "--hall", "http://127.0.0.1:9",
            "--token-file", str(token_file)]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 5, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "没有可用的屏幕" in lines[0] and "has no screen" in lines[0]
    # A Wayland platform named without a compositor is no screen either.
    env["QT_QPA_PLATFORM"] = "wayland"
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 5 and "Wayland" in proc.stderr


def _run_watchdog(store, notify, monkeypatch, blocker):
    """The hall's watchdog task on a loop of its own for ~2 s; `blocker(loop)` interferes
    during the middle second. Returns (pings before, pings during, pings after)."""
    import asyncio
    import threading

    from hall.liveness import watchdog

    monkeypatch.setenv("NOTIFY_SOCKET", notify.path)
    monkeypatch.setenv("WATCHDOG_USEC", str(WATCHDOG_USEC))
    loop = asyncio.new_event_loop()
    task = loop.create_task(watchdog(store, 0.2))
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    try:
        before = pings(notify.collect(0.8))
        release = blocker(loop)
        notify.collect(0.3)                 # a probe already under way may still finish
        during = pings(notify.collect(1.0))
        release()
        after = pings(notify.collect(1.0))
    finally:
        async def stop():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        runner.join(5)
        loop.close()
    return before, during, after


def test_a_stuck_operation_holding_the_writer_lock_stops_the_pings(tmp_path, notify, monkeypatch):
    """A test hook holds the store's own writer lock, as an engine operation hung inside
    its transaction would: the serving loop still runs, but it cannot commit."""
    import threading

    from hall.store import Store

    store = Store.open(tmp_path / "hall.db")

    def hold(loop):
        held, done = threading.Event(), threading.Event()

        def stuck():
            with store.transaction():
                held.set()
                done.wait(10)

        threading.Thread(target=stuck, daemon=True).start()
        held.wait(5)
        return done.set

    try:
        before, during, after = _run_watchdog(store, notify, monkeypatch, hold)
    finally:
        store.close()
    assert before >= 3 and during == 0 and after >= 2, (before, during, after)


def test_a_frozen_event_loop_stops_the_pings(tmp_path, notify, monkeypatch):
    import threading

    from hall.store import Store

    store = Store.open(tmp_path / "hall.db")

    def freeze(loop):
        thaw = threading.Event()
        loop.call_soon_threadsafe(lambda: thaw.wait(10))   # a blocking call on the loop
        return thaw.set

    try:
        before, during, after = _run_watchdog(store, notify, monkeypatch, freeze)
    finally:
        store.close()
    assert before >= 3 and during == 0 and after >= 2, (before, during, after)


def test_kiosk_ready_at_first_frame_pings_and_stops_when_frozen(hall, tmp_path):
    hall.start()
    notify = NotifySocket()
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(notify.env(WATCHDOG_USEC), PYTHONPATH=str(ROOT),
               ONEWINDOW_KIOSK_TOKEN=hall.tokens["kiosk-1"])
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "onewindow.cli", "kiosk", "--hall", hall.url, "--offscreen"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "kiosk.log", "wb"))
    try:
        assert notify.wait_for("READY=1", 30), (tmp_path / "kiosk.log").read_text()[-2000:]
        assert pings(notify.collect(1.0)) >= 3
        os.kill(kiosk.pid, signal.SIGSTOP)
        try:
            notify.drain()
            assert pings(notify.collect(1.0)) == 0
        finally:
            os.kill(kiosk.pid, signal.SIGCONT)
        assert pings(notify.collect(1.0)) >= 2
    finally:
        kiosk.terminate()          # systemd's stop: the locked kiosk closes cleanly on SIGTERM
        try:
            kiosk.wait(10)
        except subprocess.TimeoutExpired:
            kiosk.kill()
            kiosk.wait(5)
        notify.close()
    assert kiosk.returncode == 0, (tmp_path / "kiosk.log").read_text()[-2000:]
