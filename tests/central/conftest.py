"""Fixtures for the central tests: the sync test kit (PostgreSQL cluster, hall databases)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sync"))

from sync_testkit import central_url, hall, pg_cluster  # noqa: E402,F401
