"""kill -9 at random moments: every ticket the hall reported survives, and `db check` passes.

A child process (crash_child.py) works the real engine on a real SQLite file and reports
each ticket only after its commit returned. The parent kills it with SIGKILL at a random
instant — often mid-transaction — 32 times. After each kill it restarts the hall and
checks that every reported ticket is there with its number, and that `onewindow db check`
passes. SQLite promises that committed
transactions survive an application crash whatever the synchronous setting; this is the
proof for our store, our migrations and our engine.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from hall.config import load_config, write_example_config
from hall.engine import Engine, ManualClock
from hall.store import Store
from onewindow.cli import main as onewindow_main

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).resolve().parent / "crash_child.py"
ONEWINDOW = Path(sys.executable).parent / "onewindow"
FRIDAY_10AM = 1795744800.0   # 2026-11-27 10:00 Asia/Shanghai, a Friday
KILLS = 32


def _onewindow(*args: str) -> subprocess.CompletedProcess:
    cmd = [str(ONEWINDOW)] if ONEWINDOW.exists() else [sys.executable, "-m", "onewindow.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60, cwd=REPO)


def _read_lines(proc: subprocess.Popen, buf: bytearray, until: float, want: int = 0) -> list[str]:
    """Complete lines the child wrote, reading until `until` (or `want` lines, or EOF)."""
    lines: list[str] = []
    fd = proc.stdout.fileno()
    while time.monotonic() < until and not (want and len(lines) >= want):
        ready, _, _ = select.select([fd], [], [], max(0.0, until - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf.extend(chunk)
        *done, rest = buf.split(b"\n")
        lines += [d.decode() for d in done]
        buf[:] = rest
    return lines


def test_kill_9_loses_no_reported_ticket(tmp_path):
    config_path = write_example_config(tmp_path / "hall.toml")
    # Caps high enough that 32 lives of issuing never hit 今日已满.
    config_path.write_text(config_path.read_text(encoding="utf-8").replace("daily_cap = ", "daily_cap = 9"),
                           encoding="utf-8")
    db = tmp_path / "hall.db"
    init = _onewindow("db", "init", "--config", str(config_path), "--db", str(db))
    assert init.returncode == 0, init.stderr

    rng = random.Random(20261127)
    reported: dict[str, tuple[str, int, str]] = {}
    for life in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(db), str(config_path), str(FRIDAY_10AM + 600 * life), str(life)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
        try:
            buf = bytearray()
            # Wait for the first reported ticket, so the kill lands while the engine works.
            lines = _read_lines(proc, buf, time.monotonic() + 30, want=1)
            assert lines, f"child did not start: {proc.stderr.read1(4000).decode() if proc.poll() is not None else ''}"
            lines += _read_lines(proc, buf, time.monotonic() + rng.uniform(0.01, 0.25))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            lines += _read_lines(proc, buf, time.monotonic() + 5)   # what was written before the kill
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        for line in lines:
            tid, service, seq_no, number = line.split()
            reported[tid] = (service, int(seq_no), number)

        # Restart: every reported ticket is there, with the number the citizen was given.
        store = Store.open(db)
        try:
            with store.read() as c:
                rows = {r[0]: (r[1], r[2], r[3]) for r in c.execute(
                    "SELECT id, service_id, seq_no, number FROM tickets")}
        finally:
            store.close()
        missing = [v[2] for k, v in reported.items() if rows.get(k) != v]
        assert not missing, f"after kill {life + 1}: reported tickets lost: {missing[:5]}"
        # `onewindow db check`: as its own process every 8th life and at the end, in between
        # through the same entry point in this process (saves a second of start-up per life).
        argv = ["db", "check", "--config", str(config_path), "--db", str(db)]
        if life % 8 == 7 or life == KILLS - 1:
            check = _onewindow(*argv)
            rc, out = check.returncode, check.stdout + check.stderr
        else:
            sink = io.StringIO()
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                rc = onewindow_main(argv)
            out = sink.getvalue()
        assert rc == 0, f"after kill {life + 1}: {out}"
        assert "检查通过" in out

    assert len(reported) > 10 * KILLS, "the children hardly worked; the kills proved little"
    # A new life after all the kills continues the numbering: nothing reported is reused.
    store = Store.open(db)
    try:
        engine = Engine(store, load_config(config_path), ManualClock(FRIDAY_10AM + 600 * KILLS))
        for service in {v[0] for v in reported.values()}:
            ticket, _ = engine.issue_ticket(service)
            assert ticket["seq_no"] > max(v[1] for v in reported.values() if v[0] == service)
    finally:
        store.close()
