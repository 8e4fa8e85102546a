"""The configuration the central sent, as the hall's state (not a file under /etc).

`onewindow sync` records every snapshot it pulled in the hall database
(`sync_config_snapshots`, state 'applied' once validated and taken into the engine). The
hall's own hall.toml stays as the technician wrote it (the package installs it root-owned,
read-only to the services). Every process that builds the hall's configuration (the hall at
start, its ConfigWatcher, sync, the `db`/`staff`/`device` commands) reads hall.toml and puts
the newest applied snapshot over it, keeping hall.toml's own [sync] section (the credential
never travels). The manager's local layer (hall.config_layers) goes on top of that.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)


def local_sync_section(text: str) -> str:
    m = re.search(r"(?ms)^\[sync\][^\[]*", text)
    return m.group(0) if m else ""


def merge_snapshot(snapshot: str, local_text: str) -> str:
    """The central's configuration with this hall's own settings kept: its credential, the
    notice gateway, base_url, privacy, server and devices (sync/config_guard.py says why)."""
    from sync.config_guard import merge_snapshot as merge

    return merge(snapshot, local_text)


def applied_snapshot(db_path) -> tuple[int, str] | None:
    """(version, toml) of the newest applied central snapshot in the database, if any."""
    p = Path(db_path)
    if not p.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return None
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_config_snapshots'"
                            ).fetchone():
            return None
        row = conn.execute("SELECT version, toml FROM sync_config_snapshots WHERE state = 'applied'"
                           " ORDER BY version DESC LIMIT 1").fetchone()
        return (int(row[0]), row[1]) if row else None
    except sqlite3.Error as exc:
        log.warning("cannot read the central configuration from %s: %s", p, exc)
        return None
    finally:
        conn.close()


def load_effective(config_path, db_path):
    """hall.toml with the central's applied snapshot over it (hall.toml alone when none).

    A ConfigError in hall.toml itself is raised as usual. A stored snapshot that no longer
    validates (the software was downgraded, say) is logged and hall.toml is used."""
    from hall.config import ConfigError, load_config, parse_config

    base = load_config(config_path)
    snap = applied_snapshot(db_path) if db_path is not None else None
    if snap is None:
        return base
    version, text = snap
    try:
        local_text = Path(config_path).read_text(encoding="utf-8")
        cfg = parse_config(merge_snapshot(text, local_text), f"central configuration v{version}")
    except ConfigError as exc:
        log.error("the stored central configuration v%d is not valid here (%s); using %s",
                  version, exc, config_path)
        return base
    if cfg.hall.id != base.hall.id:
        log.error("the stored central configuration v%d is for hall %s, not %s; using %s",
                  version, cfg.hall.id, base.hall.id, config_path)
        return base
    return cfg
