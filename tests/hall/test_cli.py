"""The core commands as a person runs them: db init/check/backup, sim-day, report day."""

import json
import subprocess
import sys

from hall.config import write_example_config


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "onewindow.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_db_lifecycle_sim_day_and_report(tmp_path):
    cfg = write_example_config(tmp_path / "hall.toml", always_open=False)
    r = run("db", "check", "--config", str(cfg))
    assert r.returncode == 1 and "db init" in r.stderr
    r = run("sim-day", "--config", str(cfg), "--date", "2026-11-27", "--tickets", "200", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["business_date"] == "2026-11-27" and summary["tickets_issued"] >= 200
    r = run("db", "check", "--config", str(cfg))
    assert r.returncode == 0 and "OK" in r.stdout
    r = run("report", "day", "--config", str(cfg), "--date", "2026-11-27")
    assert r.returncode == 0 and f"取号 Tickets issued: {summary['tickets_issued']}" in r.stdout
    r = run("db", "backup", "--config", str(cfg), "--dest", str(tmp_path / "b.db"))
    assert r.returncode == 0 and (tmp_path / "b.db").stat().st_size > 0
    # A day that already passed cannot be simulated again into the same database.
    r = run("sim-day", "--config", str(cfg), "--date", "2026-11-20")
    assert r.returncode == 1 and "2026-11-27" in r.stderr and "Traceback" not in r.stderr
    other = tmp_path / "other.db"
    assert run("db", "init", "--config", str(cfg), "--db", str(other)).returncode == 0
    assert run("db", "check", "--config", str(cfg), "--db", str(other)).returncode == 0
    assert run("db", "init", "--config", str(cfg), "--db", str(other)).returncode == 1


def test_every_command_has_help():
    r = run("--help")
    assert r.returncode == 0
    for command in ("config", "db", "report", "sim-day", "demo"):
        assert command in r.stdout
        assert run(command, "--help").returncode == 0
