"""What a configuration pushed by the central may change at the hall, and what it may not.

The central wins on the hall's services, windows, opening hours and texts. It does not
decide where personal data goes or how long it stays (issue 15): those settings are the
hall's own and a snapshot cannot change them, whatever it says:

- `[notices]`: the SMS gateway receives full phone numbers, and the templates are what
  citizens read on their phones;
- `[hall] base_url`: the address printed in every ticket's QR code, which carries the
  citizen's ticket token;
- `[privacy]`: how long phone numbers are kept;
- `[server]`: which network the hall's API listens on;
- `[devices]`: the hall's own printers, scanners and window bus;
- `[sync]`: the hall's credential and where it sends its events.

The merge works on the TOML text (the hall's file keeps its comments) and is then checked on
the parsed result: a merged file whose hall-local values differ from the hall's own is never
written.
"""

from __future__ import annotations

import re
import sqlite3
import tomllib

HALL_LOCAL_SECTIONS = ("sync", "notices", "privacy", "server", "devices")
HALL_LOCAL_KEYS = {"hall": ("base_url",)}
# A ticket in one of these states is a person in the hall, waiting or at a window.
LIVE_STATES = ("waiting", "called", "serving", "held")

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_-]+)[^\]]*\]\]?\s*(#.*)?$")


def _blocks(text: str) -> list[tuple[str | None, str]]:
    """(top-level table name or None for the preamble, block text) in file order."""
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines(keepends=True):
        m = _HEADER.match(line)
        if m:
            blocks.append((m.group(1), [line]))
        else:
            blocks[-1][1].append(line)
    return [(name, "".join(lines)) for name, lines in blocks]


def without_tables(text: str, names: tuple[str, ...]) -> str:
    """`text` without the TOML tables `names` (and their sub-tables), comments kept elsewhere."""
    return "".join(block for name, block in _blocks(text) if name not in names)


def _local_key_lines(block: str, keys: tuple[str, ...]) -> list[str]:
    return [line for line in block.splitlines(keepends=True)
            if re.match(r"^\s*(" + "|".join(keys) + r")\s*=", line)]


def _parse(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _protected(data: dict) -> dict:
    out = {name: data.get(name) for name in HALL_LOCAL_SECTIONS}
    for table, keys in HALL_LOCAL_KEYS.items():
        for key in keys:
            out[f"{table}.{key}"] = (data.get(table) or {}).get(key)
    return out


def ignored_changes(snapshot: str, local_text: str) -> list[str]:
    """Hall-local settings the snapshot tried to change (names only, never values)."""
    theirs, ours = _protected(_parse(snapshot)), _protected(_parse(local_text))
    # A section the snapshot leaves out is not an attempt to change it.
    return sorted(k for k, v in theirs.items() if v is not None and v != ours[k])


def merge_snapshot(snapshot: str, local_text: str) -> str:
    """The central's configuration with every hall-local setting taken from `local_text`."""
    local_blocks = _blocks(local_text)
    out: list[str] = []
    for name, block in _blocks(snapshot):
        if name in HALL_LOCAL_SECTIONS:
            continue
        if name in HALL_LOCAL_KEYS:
            keys = HALL_LOCAL_KEYS[name]
            lines = [line for line in block.splitlines(keepends=True)
                     if not re.match(r"^\s*(" + "|".join(keys) + r")\s*=", line)]
            ours = [line for n, b in local_blocks if n == name for line in _local_key_lines(b, keys)]
            block = "".join(lines[:1] + [line if line.endswith("\n") else line + "\n"
                                         for line in ours] + lines[1:])
        out.append(block)
    merged = "".join(out).rstrip() + "\n"
    for name, block in local_blocks:
        if name in HALL_LOCAL_SECTIONS:
            merged += "\n" + block.rstrip() + "\n"
    return merged


def check_merged(merged: str, local_text: str) -> str | None:
    """None when every hall-local setting in `merged` is exactly the hall's own."""
    got, want = _protected(_parse(merged)), _protected(_parse(local_text))
    wrong = sorted(k for k in want if got.get(k) != want[k])
    return ", ".join(wrong) if wrong else None


def stranded(conn: sqlite3.Connection, new_service_ids: set[str]) -> dict[str, int]:
    """Services the new configuration removes while people hold live tickets for them."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'tickets'").fetchone():
        return {}
    marks = ",".join("?" * len(LIVE_STATES))
    rows = conn.execute(f"SELECT service_id, COUNT(*) FROM tickets WHERE state IN ({marks}) "
                        "GROUP BY service_id", LIVE_STATES).fetchall()
    return {sid: n for sid, n in rows if sid not in new_service_ids}
