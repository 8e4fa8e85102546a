"""The hall's liveness for systemd: READY=1 once it listens and its database checks,
WATCHDOG=1 only while the serving loop can still read and commit.

The watchdog is a task on the server's asyncio loop. Each tick it runs a probe on its own
thread: take the store's writer lock (bounded wait), write one row in a BEGIN IMMEDIATE
transaction, read it back, commit. Only when the probe finished in time does the task ping.
So a frozen event loop (the task never runs), a writer lock held by a stuck operation, a
database locked by another process or a disk that refuses commits all stop the pings, and
systemd restarts the hall after WatchdogSec.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import time

from onewindow import sdnotify

log = logging.getLogger(__name__)


class StoreProbe:
    """One small write and read through the store, never waiting longer than `timeout`."""

    def __init__(self, store, timeout: float):
        self.store = store
        self.timeout = max(0.05, timeout)

    def check(self) -> str | None:
        """None when the database can be read and committed; otherwise the reason."""
        store = self.store
        if not store.lock.acquire(timeout=self.timeout):
            return "the store's writer lock is held (a stuck operation?)"
        try:
            c = store.conn
            c.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            try:
                now = time.time()
                with store.transaction():
                    c.execute("INSERT INTO liveness (id, at, pid) VALUES (1, ?, ?) ON CONFLICT (id)"
                              " DO UPDATE SET at = excluded.at, pid = excluded.pid", (now, os.getpid()))
                    back = c.execute("SELECT at FROM liveness WHERE id = 1").fetchone()[0]
                if back != now:
                    return "the probe row did not read back"
            finally:
                c.execute("PRAGMA busy_timeout=10000")
        except Exception as exc:  # noqa: BLE001 - any failure means: do not ping
            return f"database probe failed: {exc}"
        finally:
            store.lock.release()
        return None


async def watchdog(store, interval: float, *, stop: asyncio.Event | None = None) -> None:
    """Ping every `interval` seconds while the probe succeeds; runs until cancelled."""
    probe = StoreProbe(store, timeout=interval * 0.8)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="watchdog")
    pending: concurrent.futures.Future | None = None
    failing = False
    try:
        while stop is None or not stop.is_set():
            started = time.monotonic()
            problem: str | None
            if pending is not None and not pending.done():
                problem = "the previous probe has not returned"
            else:
                pending = pool.submit(probe.check)
                try:
                    problem = await asyncio.wait_for(asyncio.wrap_future(pending), interval * 0.9)
                except TimeoutError:
                    problem = "the probe did not finish in time"
            if problem is None:
                sdnotify.ping()
                if failing:
                    log.warning("watchdog: the database answers again; pinging")
                    sdnotify.status("serving")
                failing = False
            elif not failing:
                failing = True
                log.error("watchdog: not pinging systemd: %s", problem)
                sdnotify.status(f"unhealthy: {problem}")
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


async def serve_notifying(server, sockets, store, *, describe: str = "") -> None:
    """Run the uvicorn server; once it serves and the probe passes, READY=1 and the watchdog."""
    serving = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    dog = None
    if server.started and sdnotify.enabled():
        interval = sdnotify.watchdog_interval()
        problem = await asyncio.get_running_loop().run_in_executor(
            None, StoreProbe(store, timeout=5.0).check)
        if problem:
            log.error("database check before READY failed: %s", problem)
            sdnotify.status(f"database check failed: {problem}")
        else:
            sdnotify.ready(status=f"serving {describe}".strip())
            if interval:
                dog = asyncio.create_task(watchdog(store, interval))
    try:
        await serving
    finally:
        sdnotify.stopping()
        if dog is not None:
            dog.cancel()
            try:
                await dog
            except asyncio.CancelledError:
                pass
