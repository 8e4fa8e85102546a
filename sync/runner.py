"""The sync loop: push events until acknowledged, pull configuration and appointments, back off."""

from __future__ import annotations

import datetime as dt
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hall.central_layer import local_sync_section  # noqa: F401 - re-exported
from sync import config_guard, hallside
from sync.client import CentralClient, SyncError
from sync.config_guard import merge_snapshot

log = logging.getLogger(__name__)


def backoff_delay(attempt: int, *, base: float = 1.0, cap: float = 300.0,
                  rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base·2^attempt)]."""
    return rng() * min(cap, base * (2 ** min(attempt, 30)))


def engine_hooks(engine) -> dict:
    """Syncer arguments that write through the hall's engine (appointments, configuration)."""

    def upsert(items: list[dict]) -> None:
        known = {s.id for s in engine.config.services}
        rows = [{**a, "state": a.get("status", "booked")} for a in items if a.get("service_id") in known]
        if len(rows) < len(items):
            log.warning("skipped %d appointments for services this hall does not have",
                        len(items) - len(rows))
        if rows:
            engine.upsert_appointments(rows)
            from hall.intake import store_id_hashes  # card check-in: hashes kept outside events

            store_id_hashes(engine.store, rows)
        from hall.intake import purge_id_hashes

        purge_id_hashes(engine.store, engine.business_date())   # past days' hashes go

    def apply(new_base) -> None:
        # Central wins on the base; the manager's local layer (hall.config_layers) stays on
        # top of it, and the engine keeps live window state, so local changes survive.
        try:
            from hall.config_layers import effective_config
        except ModuleNotFoundError:
            engine.apply_config(new_base)
            return
        engine.apply_config(effective_config(engine.store, new_base))

    def receive_hotline(items: list[dict]) -> int:
        from hall.hotline import receive_hotline as receive

        return receive(engine, items)

    def store_salt(salt: str) -> None:
        from hall.intake import store_id_salt

        store_id_salt(engine.store, salt)

    return {"upsert_appointments": upsert, "apply_config": apply,
            "timezone": engine.config.hall.timezone,
            "apply_matter_updates": getattr(engine, "apply_matter_updates", None),
            "receive_hotline": receive_hotline, "store_id_salt": store_salt}


class Syncer:
    """One hall's sync with one central. Every method is safe to interrupt at any point."""

    def __init__(self, conn: sqlite3.Connection, client: CentralClient, *, batch_size: int = 500,
                 config_path: str | Path | None = None,
                 upsert_appointments: Callable[[list[dict]], object] | None = None,
                 apply_config: Callable[[object], object] | None = None,
                 timezone: str = "Asia/Shanghai",
                 clock: Callable[[], float] = time.time,
                 apply_matter_updates: Callable[[list[dict]], dict] | None = None,
                 receive_hotline: Callable[[list[dict]], object] | None = None,
                 store_id_salt: Callable[[str], object] | None = None,
                 staff_names: bool = False):
        # `clock` is the hall's business clock (which dates to pull); status stamps use
        # wall time, which is what `sync status` compares them with.
        self.conn, self.client = conn, client
        self.batch_size = batch_size
        self.config_path = Path(config_path) if config_path else None
        self.upsert_appointments = upsert_appointments
        self.apply_config = apply_config
        self.timezone = timezone
        self.clock = clock
        self.apply_matter_updates = apply_matter_updates
        self.receive_hotline = receive_hotline
        self.store_id_salt = store_id_salt
        self.staff_names = staff_names
        self.client.clock_offset = float(hallside.get_state(conn, "clock_offset", "0"))
        self._stop: threading.Event | None = None

    # -- push ------------------------------------------------------------------------
    def push_once(self) -> int:
        """Send the next batch; returns how many events the cursor moved past."""
        before = hallside.cursor(self.conn)
        body, n, last = hallside.batch_body(self.conn, before, self.batch_size,
                                            staff_names=self.staff_names)
        if n == 0:
            return 0
        try:
            ack = self.client.push_raw(body)
        except SyncError as exc:
            if exc.code in ("cursor_ahead", "seq_gap") and isinstance(exc.acked_upto, int):
                # The central holds less than we thought (restored from a backup), or our
                # cursor skipped events it never had: resend from what it really has. Its
                # dedupe makes any overlap harmless.
                log.warning("central is behind our cursor (%d < %d); resending", exc.acked_upto, before)
                hallside.set_state(self.conn, cursor=exc.acked_upto)
                return 0
            raise
        acked = int(ack["acked_upto"])
        if acked > last:
            # Never move past what we sent: events we have not sent yet must still go.
            log.warning("central acknowledged up to %d but we sent up to %d", acked, last)
            acked = last
        hallside.set_state(self.conn, cursor=acked, last_success_at=time.time(),
                           clock_offset=self.client.clock_offset)
        return n if acked > before else 0

    def push_all(self, max_batches: int | None = None) -> int:
        total = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            if self._stop is not None and self._stop.is_set():
                break   # a week's backlog must not hold up a shutdown; the cursor is saved
            moved = self.push_once()
            batches += 1
            if not moved:
                break
            total += moved
        return total

    # -- pull: configuration ---------------------------------------------------------
    def pull_config(self) -> str:
        """'unchanged', 'applied' or 'refused'. A refused snapshot leaves the old one in use."""
        from hall.config import ConfigError, parse_config

        if self.config_path is None:
            return "unchanged"
        etag = hallside.get_state(self.conn, "config_etag")
        status, new_etag, data = self.client.get_config(etag)
        if data is None:
            return "unchanged"
        version, text = int(data["version"]), str(data["toml"])
        now = self.clock()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO sync_config_snapshots (version, etag, toml, fetched_at, state)"
                          " VALUES (?, ?, ?, ?, 'staged') ON CONFLICT (version) DO UPDATE SET "
                          "toml = excluded.toml, fetched_at = excluded.fetched_at, state = 'staged',"
                          " reason = NULL", (version, new_etag or f'"v{version}"', text, now))
        self.conn.execute("COMMIT")
        local_text = self.config_path.read_text(encoding="utf-8")
        merged = merge_snapshot(text, local_text)
        ignored = config_guard.ignored_changes(text, local_text)
        reason = None
        retry_later = False
        try:
            new_cfg = parse_config(merged, f"central configuration v{version}")
            old_cfg = parse_config(local_text, str(self.config_path))
            if new_cfg.hall.id != old_cfg.hall.id:
                reason = (f"配置属于大厅 {new_cfg.hall.id}，不是本大厅 {old_cfg.hall.id}",
                          f"the snapshot is for hall {new_cfg.hall.id}, not {old_cfg.hall.id}")
            elif (wrong := config_guard.check_merged(merged, local_text)) is not None:
                reason = (f"中心配置 v{version} 未能保留本大厅自有的设置（{wrong}），未应用",
                          f"central configuration v{version} would change hall-local settings "
                          f"({wrong}); not applied")
            elif stuck := config_guard.stranded(self.conn, {s.id for s in new_cfg.services}):
                # People hold tickets for a service the snapshot removes: applying it now
                # would strand them. Wait until they are served; try again every round.
                who = "、".join(f"{sid}（{n} 人）" for sid, n in sorted(stuck.items()))
                who_en = ", ".join(f"{sid} ({n} people)" for sid, n in sorted(stuck.items()))
                reason = (f"中心配置 v{version} 删除了仍有群众等候的事项 {who}；待其办完后自动应用",
                          f"central configuration v{version} removes services people are still "
                          f"waiting for: {who_en}; it is applied once they are served")
                retry_later = True
        except ConfigError as exc:
            reason = (f"中心配置 v{version} 无效，继续使用原配置：{exc}",
                      f"central configuration v{version} is invalid; keeping the old one: {exc}")
        if reason:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE sync_config_snapshots SET state = 'refused', reason = ? "
                              "WHERE version = ?", (reason[1], version))
            # Remember the refused etag so we do not download it again every cycle (a new
            # push on the central gets a new version and a new etag); a snapshot waiting for
            # a queue to empty is fetched again.
            state = [("config_refused", reason[0] + " / " + reason[1])]
            if not retry_later:
                state.append(("config_etag", new_etag))
            for key, value in state:
                self.conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT"
                                  " (key) DO UPDATE SET value = excluded.value", (key, value))
            self.conn.execute("COMMIT")
            log.error("refused configuration v%d: %s", version, reason[1])
            return "refused"
        # hall.toml is never written (it is the technician's file, read-only to the
        # services): the snapshot is hall state, kept in the database. The hall reads the
        # newest applied one over hall.toml (hall.central_layer) at start and on reload.
        # Marked applied first: the hall's ConfigWatcher reloads when the engine's config
        # hash moves, and must then find this snapshot. If the engine refuses it, the mark
        # goes back and the etag is not kept, so the next round tries again.
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE sync_config_snapshots SET state = 'applied', applied_at = ? "
                          "WHERE version = ?", (now, version))
        self.conn.execute("COMMIT")
        if self.apply_config is not None:
            # The engine brings services and windows in line in one transaction, keeping what
            # the hall owns (a window closed today, the clerk signed in) as it is.
            try:
                self.apply_config(new_cfg)
            except BaseException:
                self.conn.execute("UPDATE sync_config_snapshots SET state = 'staged', "
                                  "applied_at = NULL WHERE version = ?", (version,))
                raise
        self.conn.execute("BEGIN IMMEDIATE")
        for key, value in (("config_version", str(version)), ("config_etag", new_etag)):
            self.conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key)"
                              " DO UPDATE SET value = excluded.value", (key, value))
        self.conn.execute("DELETE FROM sync_state WHERE key = 'config_refused'")
        if ignored:
            note = (f"中心配置 v{version} 试图修改本大厅自有的设置（{', '.join(ignored)}），已忽略 / "
                    f"central configuration v{version} tried to change hall-local settings "
                    f"({', '.join(ignored)}); ignored, the hall's own are kept")
            self.conn.execute("INSERT INTO sync_state (key, value) VALUES ('config_ignored', ?) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (note,))
        else:
            self.conn.execute("DELETE FROM sync_state WHERE key = 'config_ignored'")
        self.conn.execute("COMMIT")
        if ignored:
            log.warning("central configuration v%d tried to change hall-local settings %s; "
                        "ignored", version, ", ".join(ignored))
        log.info("applied central configuration v%d", version)
        return "applied"

    # -- pull: appointments ----------------------------------------------------------
    def sync_dates(self) -> list[str]:
        from zoneinfo import ZoneInfo

        today = dt.datetime.fromtimestamp(self.clock(), ZoneInfo(self.timezone)).date()
        return [today.isoformat(), (today + dt.timedelta(days=1)).isoformat()]

    def pull_appointments(self, dates: list[str] | None = None) -> int:
        if self.upsert_appointments is None:
            return 0
        total = 0
        for date in dates or self.sync_dates():
            key = f"appt_cursor:{date}"
            after = int(hallside.get_state(self.conn, key, "0"))
            while True:
                page = self.client.get_appointments(date, after)
                items = page.get("appointments") or []
                if self.store_id_salt is not None and page.get("id_salt"):
                    self.store_id_salt(str(page["id_salt"]))
                if items:
                    self.upsert_appointments(items)
                    total += len(items)
                after = int(page.get("cursor", after))
                # The cursor is saved after the upsert: a crash in between pulls the same
                # rows again, and upserting them twice changes nothing.
                hallside.set_state(self.conn, **{key: after})
                if not page.get("more"):
                    break
        return total

    # -- pull: matter updates (central/matters.py) -------------------------------------
    def pull_matter_updates(self) -> int:
        """Steps central set on this hall's matters, applied through the engine as events.
        The cursor moves after the engine applied a page; a crash in between pulls the page
        again and the engine skips the update ids it already has."""
        if self.apply_matter_updates is None:
            return 0
        after = int(hallside.get_state(self.conn, "matter_cursor", "0"))
        total = 0
        while True:
            try:
                page = self.client.get_matter_updates(after)
            except SyncError as exc:
                if exc.code == "http_404":      # a central without matter updates: nothing to pull
                    return total
                raise
            items = page.get("updates") or []
            if items:
                out = self.apply_matter_updates(items)
                total += int(out.get("applied", 0))
                for skip in out.get("skipped", []):
                    log.warning("matter update %s skipped: %s", skip.get("id"), skip.get("reason"))
            after = int(page.get("cursor", after))
            hallside.set_state(self.conn, matter_cursor=after)
            if not page.get("more") or not items:
                break
        return total

    # -- pull: 12345 hotline items (issue 16) -------------------------------------------
    def pull_hotline(self) -> int:
        if self.receive_hotline is None:
            return 0
        total = 0
        after = int(hallside.get_state(self.conn, "hotline_cursor", "0"))
        while True:
            page = self.client.get_hotline(after)
            items = page.get("items") or []
            if items:
                self.receive_hotline(items)      # skips items already received: a re-pull is harmless
                total += len(items)
            after = int(page.get("cursor", after))
            hallside.set_state(self.conn, hotline_cursor=after)
            if not page.get("more"):
                return total

    # -- the loop --------------------------------------------------------------------
    def cycle(self) -> dict:
        """One round: push everything, pull config and appointments, purge old phones.

        A network failure ends the round at once (the next steps would only time out too);
        any other failure of one step (a config file that cannot be written, an appointment
        the engine refuses) does not hold back the others, and is raised at the end.
        """
        result = {"pushed": 0, "config": "unchanged", "appointments": 0, "hotline": 0, "phones_purged": 0}
        failures: list[Exception] = []
        steps = (("pushed", self.push_all), ("config", self.pull_config),
                 ("appointments", self.pull_appointments), ("matter_updates", self.pull_matter_updates),
                 ("hotline", self.pull_hotline))
        for key, step in steps:
            try:
                result[key] = step()
            except SyncError as exc:
                if exc.code in ("network", "timeout", "tls"):
                    raise
                failures.append(exc)
            except Exception as exc:  # kept for status; the other steps still run
                log.exception("sync step %s failed", key)
                failures.append(exc)
        if result["config"] == "applied" or result["appointments"] or result.get("matter_updates") \
                or result["hotline"]:
            result["pushed"] += self.push_all()   # what the pull just recorded, same round
        result["phones_purged"] = hallside.purge_phones(self.conn, self.sync_dates()[0])
        result["report"] = self.send_report()
        if failures:
            raise failures[0]
        hallside.set_state(self.conn, last_success_at=time.time(),
                           clock_offset=self.client.clock_offset)
        return result

    def send_report(self) -> bool:
        """Each round carries the hall's health report to the central's fleet view. A
        central without the endpoint (older) or a refusal is logged, never fatal."""
        from hall.health_report import build_report

        try:
            db_path = self.conn.execute("PRAGMA database_list").fetchone()[2]
            report = build_report(self.conn, db_path, pending_events=hallside.pending(self.conn))
            self.client.post_report(report)
            return True
        except SyncError as exc:
            if exc.code in ("network", "timeout", "tls"):
                raise
            log.warning("health report refused: %s", exc.message_en)
        except Exception:  # noqa: BLE001 - the report must never hold up sync
            log.exception("health report failed")
        return False

    def record_error(self, exc: Exception) -> None:
        if isinstance(exc, SyncError):
            zh, en = exc.message, exc.message_en
        else:
            zh, en = f"同步出错：{type(exc).__name__}", f"sync failed: {exc}"
        hallside.set_state(self.conn, last_error=zh, last_error_en=en,
                           last_error_at=time.time())

    def run(self, stop: threading.Event, *, interval: float = 10.0, base_delay: float = 1.0,
            cap: float = 300.0, rng: Callable[[], float] = random.random) -> None:
        """Cycle until `stop` is set; on failure back off with jitter, then try again."""
        attempt = 0
        self._stop = stop
        while not stop.is_set():
            try:
                result = self.cycle()
                attempt = 0
                if result["pushed"]:
                    log.info("sync: %s", result)
                stop.wait(interval)
            except Exception as exc:  # every failure is retried; the reason is kept for status
                self.record_error(exc)
                delay = backoff_delay(attempt, base=base_delay, cap=cap, rng=rng)
                log.warning("sync failed (%s); retrying in %.1f s", exc, delay)
                attempt += 1
                stop.wait(delay)
