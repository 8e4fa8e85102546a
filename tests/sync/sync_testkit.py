"""Shared test parts for sync and central: a throwaway PostgreSQL, hall databases, a fault proxy."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import deque
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REPO = Path(__file__).resolve().parents[2]


# -- PostgreSQL ----------------------------------------------------------------------------
class PgCluster:
    """A throwaway cluster on a unix socket; as root, initdb and postgres run as `postgres`."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="ow-pg-"))
        self.data = self.dir / "data"
        self.as_user = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*self.as_user, str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "ow",
                        "-A", "trust", "-E", "UTF8", "--no-sync"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                        str(self.dir / "log"), "-o",
                        f"-k {self.dir} -c listen_addresses='' -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off", "start"],
                       check=True, stdout=subprocess.DEVNULL)
        self.counter = 0

    def new_database(self) -> str:
        import psycopg

        self.counter += 1
        name = f"central_{self.counter}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(f"host={self.dir} user=ow dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return f"host={self.dir} user=ow dbname={name}"

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_available() -> bool:
    return (PG_BIN / "initdb").exists()


# -- hall databases ------------------------------------------------------------------------
def hall_db(path: Path):
    """A real hall database (the core's schema and every migration) and a sync connection."""
    from hall.store import Store
    from sync.hallside import open_hall_db

    store = Store.open(path)
    return store, open_hall_db(path)


def append_events(store, n: int, *, day: str = "2026-11-28", start_at: float = 1764290000.0,
                  payload_pad: int = 0) -> None:
    """Append `n` realistic ticket events straight into the events table (bulk, fast)."""
    rows = []
    for i in range(n):
        ticket = {"id": uuid.uuid4().hex, "number": f"A{i % 1000:03d}", "service_id": "biz-setup",
                  "state": "waiting", "priority": "normal", "issued_at": start_at + i,
                  "business_date": day, "source": "kiosk", "has_phone": False,
                  "token": uuid.uuid4().hex, "idempotency_key": f"kiosk-1:{uuid.uuid4().hex}",
                  "note": "x" * payload_pad}
        rows.append((uuid.uuid4().hex, "ticket.issued", start_at + i, day,
                     json.dumps({"ticket": ticket}, ensure_ascii=False, separators=(",", ":"))))
    with store.transaction() as c:
        c.executemany("INSERT INTO events (id, type, at, business_date, payload) VALUES (?, ?, ?, ?, ?)",
                      rows)


def hall_digest(conn) -> tuple[int, str]:
    import hashlib

    h = hashlib.sha256()
    rows = conn.execute("SELECT seq, id FROM events ORDER BY seq").fetchall()
    for seq, event_id in rows:
        h.update(f"{seq}:{event_id}\n".encode())
    return len(rows), h.hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn_central(db_url: str, port: int, tmp: Path) -> subprocess.Popen:
    """The central as its own process (so a test can kill -9 it), on a known port."""
    port_file = tmp / f"central-{port}.port"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen([str(REPO / ".venv/bin/python"), "-m", "central.cli", "--db", db_url,
                             "--port", str(port), "--port-file", str(port_file)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("central did not start: " + proc.stderr.read().decode()[-2000:])
        time.sleep(0.02)
    return proc


# -- the fault proxy -----------------------------------------------------------------------
class FaultProxy:
    """A loopback TCP proxy between hall and central that breaks things on request.

    Faults are armed one at a time and apply to the next bytes that cross in the named
    direction, whichever connection carries them (the hall has one client, so that is
    exact): `cut_request k` closes both sides after k bytes hall→central; `cut_response k`
    after k bytes central→hall (k=0: the central committed, the hall hears nothing);
    `status_500` answers the next request itself with a 500; `slow d` holds the next
    response for d seconds.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.faults: deque = deque()
        self.bytes = {"c2s": 0, "s2c": 0}
        self.closed = False
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arm(self, kind: str, value: float = 0) -> None:
        with self.lock:
            self.faults.append({"kind": kind, "value": value, "count": 0})

    def armed(self) -> int:
        with self.lock:
            return len(self.faults)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self.conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, "c2s"), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, "s2c"), daemon=True).start()

    @staticmethod
    def _kill(*socks: socket.socket) -> None:
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._kill(src, dst)
                return
            with self.lock:
                fault = self.faults[0] if self.faults else None
                action, keep = "forward", data
                if fault and direction == "c2s" and fault["kind"] == "status_500":
                    self.faults.popleft()
                    action = "answer_500"
                elif fault and direction == "s2c" and fault["kind"] == "slow":
                    self.faults.popleft()
                    action = "slow"
                elif fault and ((direction == "c2s" and fault["kind"] == "cut_request")
                                or (direction == "s2c" and fault["kind"] == "cut_response")):
                    room = int(fault["value"]) - fault["count"]
                    if len(data) >= room:
                        self.faults.popleft()
                        action, keep = "cut", data[:room]
                    else:
                        fault["count"] += len(data)
                self.bytes[direction] += len(keep)
            try:
                if action == "answer_500":
                    src.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                                b"Connection: close\r\n\r\n")
                    self._kill(src, dst)
                    return
                if action == "slow":
                    time.sleep(fault["value"])
                if keep:
                    dst.sendall(keep)
                if action == "cut":
                    self._kill(src, dst)
                    return
            except OSError:
                self._kill(src, dst)
                return

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        for s in self.conns:
            self._kill(s)


# -- fixtures (imported by the conftest of tests/sync and tests/central) -------------------
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pg_cluster():
    if not pg_available():
        pytest.skip("PostgreSQL 15 binaries not installed (apt install postgresql)")
    cluster = PgCluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def central_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'central.db'}"
    return request.getfixturevalue("pg_cluster").new_database()


@pytest.fixture
def hall(tmp_path):
    store, conn = hall_db(tmp_path / "hall.db")
    yield store, conn
    conn.close()
    store.close()
