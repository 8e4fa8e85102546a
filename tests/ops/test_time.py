"""Time: the hall says whether its clock is synchronised, the manager is warned when it is
not, and kiosks, displays and `sync status` show the hall's time zone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hall import timesync
from tests.support.hallserver import HallServer

ROOT = Path(__file__).resolve().parents[2]
REAL_ADJTIMEX = timesync._adjtimex      # tests/conftest.py pins a synchronised clock


@pytest.fixture(autouse=True)
def fresh_cache():
    timesync._cache = None
    yield
    timesync._cache = None


def test_kernel_ntp_state_read_without_privileges_or_systemd(monkeypatch):
    monkeypatch.setattr(timesync, "_adjtimex", REAL_ADJTIMEX)
    assert REAL_ADJTIMEX() is not None          # the syscall answers here, unprivileged
    real = timesync.clock_status(use_cache=False)
    assert real["source"] in ("adjtimex", "systemd-timesyncd", "unknown")
    assert real["synchronized"] in (True, False, None)
    monkeypatch.setattr(timesync, "_adjtimex", lambda: (timesync.TIME_ERROR, timesync.STA_UNSYNC, 16_000_000))
    monkeypatch.setattr(timesync.os.path, "exists", lambda p: False)
    assert timesync.clock_status(use_cache=False)["synchronized"] is False
    monkeypatch.setattr(timesync, "_adjtimex", lambda: (0, 0x2001, 12_000))
    st = timesync.clock_status(use_cache=False)
    assert st == {"synchronized": True, "source": "adjtimex", "max_error_ms": 12.0}
    monkeypatch.setattr(timesync, "_adjtimex", lambda: None)
    assert timesync.clock_status(use_cache=False)["synchronized"] is None   # honest: unknown


def test_health_and_the_managers_live_view_warn_when_the_clock_is_not_synchronised(tmp_path, monkeypatch):
    with HallServer(tmp_path) as hall:
        monkeypatch.setattr(timesync, "_adjtimex", lambda: (0, 0, 5_000))
        health = httpx.get(hall.url + "/api/v1/health", timeout=10).json()
        assert health["clock"]["synchronized"] is True
        assert health["clock"]["timezone"] == "Asia/Shanghai" == health["hall"]["timezone"]
        assert health["clock"]["utc_offset"] == "+08:00"
        manager = hall.staff_token("m1", role="manager")
        live = httpx.get(hall.url + "/api/v1/admin/live", timeout=10,
                         headers={"Authorization": f"Bearer {manager}"}).json()
        assert not [a for a in live["alerts"] if a["kind"] == "clock"]

        timesync._cache = None
        monkeypatch.setattr(timesync, "_adjtimex", lambda: (timesync.TIME_ERROR, timesync.STA_UNSYNC, 0))
        monkeypatch.setattr(timesync.os.path, "exists", lambda p: False)
        assert httpx.get(hall.url + "/api/v1/health", timeout=10).json()["clock"]["synchronized"] is False
        live = httpx.get(hall.url + "/api/v1/admin/live", timeout=10,
                         headers={"Authorization": f"Bearer {manager}"}).json()
        clock = [a for a in live["alerts"] if a["kind"] == "clock"]
        assert clock and "未与时间服务器同步" in clock[0]["text_zh"] and "chrony" in clock[0]["text_en"]
        choices = httpx.get(hall.url + "/api/v1/kiosk-config", timeout=10).json()
        assert choices["hall"]["timezone"] == "Asia/Shanghai"


_PROBE = r"""
import os, sys, time
from onewindow.halltime import take_hall_timezone
from PySide6.QtCore import QByteArray
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlComponent, QQmlEngine
app = QGuiApplication([])
engine = QQmlEngine()
c = QQmlComponent(engine)
c.setData(QByteArray(b'import QtQuick\nQtObject { function f() { return Qt.formatDateTime(new Date(), "t") } }'), "x.qml")
obj = c.create()
before = time.strftime("%z")
ok = take_hall_timezone(sys.argv[1], sys.argv[2])
print(before, time.strftime("%z"), ok, obj.f())
"""


def test_kiosk_and_display_clocks_take_the_halls_zone_on_a_utc_machine(tmp_path):
    with HallServer(tmp_path) as hall:
        token = hall.device_token("display")
        out = subprocess.run([sys.executable, "-c", _PROBE, hall.url, token], capture_output=True,
                             text=True, timeout=60,
                             env={**os.environ, "TZ": "UTC", "PYTHONPATH": str(ROOT),
                                  "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    before, after, ok, qml_zone = out.stdout.split()
    assert (before, after, ok) == ("+0000", "+0800", "True")
    assert qml_zone in ("CST", "GMT+8", "UTC+08:00", "+08")   # QML's Date follows too


def test_sync_status_shows_the_halls_time_and_clock(tmp_path):
    from hall.config import write_example_config

    config = write_example_config(tmp_path / "hall.toml")
    env = {**os.environ, "TZ": "UTC", "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "onewindow.cli"]
    assert subprocess.run([*run, "db", "init", "--config", str(config)], env=env,
                          capture_output=True, timeout=60).returncode == 0
    out = subprocess.run([*run, "sync", "status", "--config", str(config)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Asia/Shanghai (UTC+08:00)" in out.stdout and "本机时钟 clock" in out.stdout
