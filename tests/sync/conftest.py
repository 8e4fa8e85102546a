"""Fixtures for the sync tests: a hall database, a central (SQLite or PostgreSQL), the fault proxy."""

from sync_testkit import central_url, hall, pg_cluster  # noqa: F401
