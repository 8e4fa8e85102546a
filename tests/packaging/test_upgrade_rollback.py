"""onewindow-upgrade with a deliberately broken release: it backs up, migrates, switches,
finds the hall unhealthy, and goes back to the previous release and its database backup;
the same release fixed then goes through.

Two real releases side by side, built from the wheelhouse with the packages' install.sh;
the hall runs from `current` on a loopback port (no systemd here: start/stop commands)."""

from __future__ import annotations

import getpass
import json
import os
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.packaging.conftest import debian12_python

REPO = Path(__file__).resolve().parents[2]
UPGRADE = REPO / "packaging" / "onewindow-upgrade"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


def _wait_health(port: int, seconds: float = 30):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        h = _health(port)
        if h:
            return h
        time.sleep(0.3)
    return None


def test_a_broken_release_is_rolled_back_with_its_database(wheelhouse_dir, tmp_path):
    py = debian12_python()
    if not py:
        pytest.skip("needs /usr/bin/python3 3.11 with python3-venv (Debian 12)")
    root = tmp_path / "opt"
    env = {**os.environ, "ONEWINDOW_PYTHON": py}
    builds = [subprocess.Popen(["sh", str(wheelhouse_dir / "install.sh"), "hall",
                                str(root / "releases" / version)], env=env,
                               stdout=subprocess.DEVNULL)
              for version in ("0.1.0", "0.2.0")]
    assert [b.wait(180) for b in builds] == [0, 0]
    # 0.2.0 is broken on purpose: its new migration applies, its hall cannot start.
    (site,) = (root / "releases/0.2.0/lib").glob("python3*/site-packages")
    (site / "hall/schema/9000_broken.sql").write_text(
        "CREATE TABLE broken_release (x INTEGER);\n")
    with (site / "hall/api/app.py").open("a") as f:
        f.write("\nraise RuntimeError('deliberately broken release')\n")

    port = _free_port()
    config = tmp_path / "hall.toml"
    text = (REPO / "assets/hall.example.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("port = 8470", f"port = {port}", 1), encoding="utf-8")
    db = tmp_path / "hall.db"
    pid = tmp_path / "hall.pid"
    log = tmp_path / "hall.log"
    start = (f'cd {tmp_path} && ONEWINDOW_DB={db} nohup {root}/current/bin/onewindow hall '
             f'--config {config} >>{log} 2>&1 & echo $! > {pid}')
    stop = (f'if [ -f {pid} ]; then p=$(cat {pid}); kill $p 2>/dev/null; '
            f'while kill -0 $p 2>/dev/null; do sleep 0.1; done; rm -f {pid}; fi')
    common = [sys.executable, str(UPGRADE), "--root", str(root), "--config", str(config),
              "--db", str(db), "--backups", str(tmp_path / "backups"), "--user", getpass.getuser(),
              "--start-cmd", start, "--stop-cmd", stop, "--timeout", "10"]
    try:
        # The box runs 0.1.0 on its database.
        subprocess.run([str(root / "releases/0.1.0/bin/onewindow"), "db", "init", "--config",
                        str(config), "--db", str(db)], check=True, capture_output=True)
        first = subprocess.run(common + ["activate", "0.1.0"], capture_output=True, text=True)
        assert first.returncode == 0, first.stdout + first.stderr
        # A first install starts nothing (the technician configures first); start it now.
        subprocess.run(["sh", "-c", start], check=True)
        before = _wait_health(port)
        assert before and before["status"] == "ok"
        subprocess.run(["sh", "-c", stop], check=True)

        r = subprocess.run(common + ["activate", "0.2.0"], capture_output=True, text=True)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "rolling back to 0.1.0" in r.stdout
        assert os.readlink(root / "current") == "releases/0.1.0"
        # The old release serves again, on the database as it was before the migration.
        after = _health(port)
        assert after and after["status"] == "ok" and after["last_seq"] == before["last_seq"]
        with sqlite3.connect(db) as c:
            tables = {t for (t,) in c.execute("SELECT name FROM sqlite_master")}
        assert "broken_release" not in tables
        assert "deliberately broken release" in log.read_text()
        # Both releases are kept: the broken one for the post-mortem, the good one in use.
        assert {p.name for p in (root / "releases").iterdir()} == {"0.1.0", "0.2.0"}
        assert list((tmp_path / "backups").glob("before-0.2.0-*.db"))

        # 0.2.0 fixed in place (as a re-released package would be): the same command now
        # migrates, switches and stays; the one before is kept as the way back.
        (site / "hall/schema/9000_broken.sql").write_text(
            "CREATE TABLE fixed_release (x INTEGER);\n")
        app = (site / "hall/api/app.py").read_text()
        (site / "hall/api/app.py").write_text(
            app.replace("\nraise RuntimeError('deliberately broken release')\n", "\n"))
        r = subprocess.run(common + ["activate", "0.2.0"], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert os.readlink(root / "current") == "releases/0.2.0"
        assert _health(port)["status"] == "ok"
        with sqlite3.connect(db) as c:
            tables = {t for (t,) in c.execute("SELECT name FROM sqlite_master")}
        assert "fixed_release" in tables
        state = json.loads((root / "upgrade-state.json").read_text())
        assert state["previous"] == "0.1.0" and state["current"] == "0.2.0"
    finally:
        subprocess.run(["sh", "-c", stop])
