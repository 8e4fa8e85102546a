"""Backups and restore, end to end: a real hall process, a real central, `onewindow sync`,
`onewindow db backup` and `onewindow db restore` as a technician runs them."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from central.server import CentralServer
from sync import signing
from tests.support.hallserver import HallServer

ROOT = Path(__file__).resolve().parents[2]
HALL = "demo-city-hall"


def _cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "onewindow.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def central(tmp_path):
    server = CentralServer(f"sqlite:///{tmp_path / 'central.db'}").start()
    yield server
    server.stop()


@pytest.fixture
def hall(tmp_path, central):
    proc = HallServer(tmp_path / "hall", process=True, windows=("w03",))
    key = signing.new_secret()
    central.db.add_hall(HALL, "示范", key)
    text = proc.config.read_text(encoding="utf-8")
    old = '[sync]\nenabled = false\ncentral_url = ""\nhall_key = ""'
    assert old in text
    proc.config.write_text(text.replace(old, f'[sync]\nenabled = true\ncentral_url = '
                                             f'"{central.url}"\nhall_key = "{key}"'),
                           encoding="utf-8")
    try:
        yield proc
    finally:
        proc.stop()


def _sync(hall) -> None:
    out = _cli("sync", "--config", str(hall.config), "--db", str(hall.db), "--once")
    assert out.returncode == 0, out.stderr


def _hall_events(db: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT seq, id FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()


def _numbers(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT number FROM tickets WHERE seq_no IS NOT NULL")}
    finally:
        conn.close()


def _central_events(central) -> list[tuple[int, str]]:
    return [(int(s), i) for s, i in central.db.query(
        "SELECT seq, event_id FROM events WHERE hall_id = ? ORDER BY seq", (HALL,))]


def test_restore_an_older_backup_never_repeats_a_number_and_sync_neither_loses_nor_duplicates(
        hall, central, tmp_path):
    hall.start()
    first = [hall.issue()["number"] for _ in range(10)]
    _sync(hall)
    backup = tmp_path / "before.db"
    out = _cli("db", "backup", "--config", str(hall.config), "--db", str(hall.db),
               "--dest", str(backup))
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    # 50 more after the backup, some called and finished; all synced to the central.
    later = [hall.issue()["number"] for _ in range(50)]
    called = {hall.serve_and_call("w03")["number"] for _ in range(5)}
    _sync(hall)
    before_restore = _hall_events(hall.db)
    assert _central_events(central) == before_restore
    given = _numbers(hall.db)
    assert set(first + later) <= given and len(given) == 65

    # Restoring refuses while the hall runs.
    out = _cli("db", "restore", str(backup), "--config", str(hall.config), "--db", str(hall.db))
    assert out.returncode == 1 and "拒绝恢复" in out.stderr and "Refusing" in out.stderr
    hall.stop()

    out = _cli("db", "restore", str(backup), "--config", str(hall.config), "--db", str(hall.db))
    assert out.returncode == 0, out.stderr
    kept = sorted(hall.db.parent.glob("hall.db.replaced-*"))
    assert kept and not any(k.name.endswith(("-wal", "-shm")) for k in kept[:1])
    assert "took back" in out.stdout
    # The hall has its own history back: exactly the central's events, same seqs and ids.
    assert _hall_events(hall.db) == before_restore

    hall.start()
    new = [hall.issue()["number"] for _ in range(5)]
    assert not given & set(new), (sorted(given)[-5:], new)
    prefix = new[0][0]
    last = max(int(n[1:]) for n in given if n[0] == prefix)
    assert new[0] == f"{prefix}{last + 1:03d}"         # the counter goes on from the last given
    # The queue came back as it was: what was called before the restore is not called again.
    again = {hall.serve_and_call("w03")["number"] for _ in range(3)}
    assert not again & called, (again, called)
    _sync(hall)
    hall_events = _hall_events(hall.db)
    assert _central_events(central) == hall_events                      # none lost, none twice
    assert len(hall_events) > len(before_restore)
    st = _cli("sync", "status", "--config", str(hall.config), "--db", str(hall.db))
    assert "待上传 pending: 0" in st.stdout, st.stdout


@pytest.mark.parametrize("recover_with", ["db recover", "sync"])
def test_restore_without_the_central_leaves_the_hall_stopped_until_recovered(
        hall, central, tmp_path, recover_with):
    hall.start()
    hall.issue()
    _sync(hall)
    backup = tmp_path / "b.db"
    assert _cli("db", "backup", "--config", str(hall.config), "--db", str(hall.db),
                "--dest", str(backup)).returncode == 0
    numbers = [hall.issue()["number"] for _ in range(3)]
    _sync(hall)
    hall.stop()
    good = hall.config.read_text(encoding="utf-8")
    hall.config.write_text(good.replace(central.url, "http://127.0.0.1:9"), encoding="utf-8")
    out = _cli("db", "restore", str(backup), "--config", str(hall.config), "--db", str(hall.db))
    assert out.returncode == 3 and "db recover" in out.stderr
    st = _cli("sync", "status", "--config", str(hall.config), "--db", str(hall.db))
    assert "not yet recovered" in st.stdout, st.stdout
    # The hall refuses to start: it would hand out numbers 2-4 again.
    with pytest.raises(RuntimeError, match="db recover"):
        hall.start(timeout=20)
    hall.proc = None
    hall.config.write_text(good, encoding="utf-8")      # the network is back
    if recover_with == "sync":
        # The sync process (its unit keeps retrying) takes the events back by itself first.
        out = _cli("sync", "--config", str(hall.config), "--db", str(hall.db), "--once")
    else:
        out = _cli("db", "recover", "--config", str(hall.config), "--db", str(hall.db))
    assert out.returncode == 0 and "took back 3" in out.stdout, out.stdout + out.stderr
    hall.start()
    assert hall.issue()["number"] not in numbers


def test_a_damaged_backup_is_refused_and_the_database_is_untouched(hall, tmp_path):
    hall.start()
    hall.issue()
    hall.stop()
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    before = hall.db.read_bytes()
    out = _cli("db", "restore", str(bad), "--config", str(hall.config), "--db", str(hall.db))
    assert out.returncode == 1 and "Error:" in out.stderr and "Traceback" not in out.stderr
    assert hall.db.read_bytes() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can restore another user's files")
def test_root_restoring_leaves_the_files_to_the_service_user(hall, tmp_path):
    """The technician runs `db restore` as root; the hall runs as its own user and must
    still be able to open everything afterwards."""
    hall.start()
    hall.issue()
    backup = tmp_path / "b.db"
    assert _cli("db", "backup", "--config", str(hall.config), "--db", str(hall.db),
                "--dest", str(backup)).returncode == 0
    hall.stop()
    service = (65534, 65534)                 # nobody: stands in for the onewindow user
    for path in [hall.db.parent, *hall.db.parent.glob("hall.db*")]:
        os.chown(path, *service)
    text = hall.config.read_text(encoding="utf-8")
    hall.config.write_text(text.replace("[sync]\nenabled = true", "[sync]\nenabled = false"),
                           encoding="utf-8")
    out = _cli("db", "restore", str(backup), "--config", str(hall.config), "--db", str(hall.db))
    assert out.returncode == 0, out.stderr
    owned = {p.name: (p.stat().st_uid, p.stat().st_gid) for p in hall.db.parent.glob("hall.db*")}
    assert owned["hall.db"] == service and owned.get("hall.db.lock", service) == service
    assert all(v == service for k, v in owned.items() if k.endswith(("-wal", "-shm"))), owned
    assert not (hall.db.parent / "backups").exists() or \
        (hall.db.parent / "backups").stat().st_uid == service[0]
