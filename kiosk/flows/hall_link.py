"""The hall link and the kiosk's devices: service refresh, offline/online, printer and scanner state.

Rules this module owns:
- Services (waiting counts, open/full) are polled; the first good /health names the hall
  on screen and on tickets and brings the central platform's sync mark.
- Unreachable hall: tickets pause (the "unreachable" screen) except on screens that must
  stay in front of the citizen (a committed ticket, a receipt, the manager's screens);
  a pending issue is retried with its own key, otherwise services are re-polled.
- Back online: the offline screen returns home (unless an issue is still pending) and
  print-failure alerts kept while offline are sent.
- A device needing a hand (printer out/offline/cover open/near end, scanner unplugged,
  this kiosk's token refused) shows a staff banner; the rest of the kiosk keeps working.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Slot

from kiosk.flows.common import STAY_WHEN_OFFLINE as _STAY_WHEN_OFFLINE
from kiosk.flows.complaint import COMPLAINT_PAGE
from onewindow.client import HallUnreachable
from onewindow.qtcompat import emit

log = logging.getLogger("kiosk.viewmodel")


class HallLinkFlow:
    """The hall link and device state; mixed into KioskViewModel."""

    def _banner(self) -> dict:
        """A line for staff when a device needs a hand; the rest of the kiosk keeps working."""
        st = self._printer_status.get("state")
        parts_zh, parts_en = [], []
        if st in ("out", "offline", "cover_open", "near_end", "unknown") and self.printer.url:
            parts_zh.append(self._printer_status.get("text_zh", ""))
            parts_en.append(self._printer_status.get("text_en", ""))
        if self._scanner_ok is False:
            parts_zh.append("扫码器未连接")
            parts_en.append("Scanner disconnected")
        if self._auth_problem:
            parts_zh.append("本机设备令牌无效，无法取号")
            parts_en.append("this kiosk's device token is refused; no tickets")
        if not parts_zh:
            return {}
        return {"zh": "请工作人员处理：" + "，".join(parts_zh),
                "en": "Staff: " + "; ".join(parts_en)}

    def _status_rows(self) -> list[dict]:
        last = time.strftime("%H:%M:%S", time.localtime(self._last_ok)) if self._last_ok else "—"
        scanner = {None: ("未配置串口扫码器（USB 扫码枪可直接使用）",
                          "No serial scanner configured (USB scanners work directly)"),
                   True: ("扫码器正常", "Scanner ready"),
                   False: ("扫码器未连接", "Scanner disconnected")}[self._scanner_ok]
        return [
            {"name_zh": "大厅服务器", "name_en": "Hall link", "ok": self._online,
             "zh": ("已连接" if self._online else "未连接") + f"（最近成功 {last}）",
             "en": ("Connected" if self._online else "Not connected") + f" (last ok {last})"},
            {"name_zh": "打印机", "name_en": "Printer",
             "ok": self._printer_status.get("state") == "ok",
             "zh": self._printer_status.get("text_zh", ""),
             "en": self._printer_status.get("text_en", "")},
            {"name_zh": "扫码器", "name_en": "Scanner", "ok": self._scanner_ok is not False,
             "zh": scanner[0], "en": scanner[1]},
            self._sync_row(),
            self._clock_row(),
        ] + self._idcard_rows()                # issue 16: only when a reader is configured

    REPORT_EVERY = 60.0     # seconds; a change is reported at the next refresh

    def _report_devices(self) -> None:
        """Tell the hall this kiosk's printer and scanner state (the central's fleet view
        shows paper out). Runs on the hall thread; a refusal is only logged."""
        printer = self._printer_status.get("state") if self.printer.url else "none"
        scanner = {None: "none", True: "ok", False: "offline"}[self._scanner_ok]
        report = {"printer": {"state": printer or "unknown",
                              "detail": self._printer_status.get("text_en", "")[:200]},
                  "scanner": {"state": scanner}}
        last = getattr(self, "_last_report", (None, 0.0))
        if report == last[0] and time.monotonic() - last[1] < self.REPORT_EVERY:
            return
        try:
            self.client.report_status(report)
            self._last_report = (report, time.monotonic())
        except Exception as exc:  # noqa: BLE001 - an older hall without the endpoint
            log.debug("device status not reported: %s", exc)

    def _clock_row(self) -> dict:
        """Whether the hall's clock is synchronised (the business day comes from it)."""
        clock = getattr(self, "_clock_status", None) or {}
        zone = clock.get("timezone") or ""
        zone_zh = f"（{zone} {clock.get('utc_offset', '')}）" if zone else ""
        zone_en = f" ({zone} {clock.get('utc_offset', '')})" if zone else ""
        synced = clock.get("synchronized")
        if synced is True:
            return {"name_zh": "时钟", "name_en": "Clock", "ok": True,
                    "zh": "大厅时钟已同步" + zone_zh, "en": "Hall clock synchronised" + zone_en}
        if synced is False:
            return {"name_zh": "时钟", "name_en": "Clock", "ok": False,
                    "zh": "大厅时钟未同步，请检查 chrony / NTP" + zone_zh,
                    "en": "Hall clock NOT synchronised; check chrony / NTP" + zone_en}
        return {"name_zh": "时钟", "name_en": "Clock", "ok": False,
                "zh": "无法确认大厅时钟是否同步" + zone_zh,
                "en": "Cannot tell whether the hall clock is synchronised" + zone_en}

    def _sync_row(self) -> dict:
        """The small online/offline mark of the city's central platform (from the hall)."""
        sync = self._sync
        if not sync.get("enabled"):
            return {"name_zh": "中心平台", "name_en": "Central platform", "ok": True,
                    "zh": "未启用同步（本厅独立运行）", "en": "Sync off (hall runs on its own)"}
        pending = sync.get("pending")
        tail_zh = f"，待上传 {pending} 条" if pending else ""
        tail_en = f", {pending} events to upload" if pending else ""
        if sync.get("online"):
            return {"name_zh": "中心平台", "name_en": "Central platform", "ok": True,
                    "zh": "在线" + tail_zh, "en": "Online" + tail_en}
        return {"name_zh": "中心平台", "name_en": "Central platform", "ok": False,
                "zh": "离线（大厅照常服务，恢复后自动补传）" + tail_zh,
                "en": "Offline (the hall keeps serving; uploads resume by themselves)" + tail_en}


    @Slot()
    def refresh(self) -> None:
        """Reload services (waiting counts, open/full) and learn whether the hall answers."""
        if self._polling:
            return
        self._polling = True
        need_name = not self._named

        def fetch():
            health = self.client.health() or {}
            # The hall's own name goes on screen and on tickets; the sync mark on the
            # manager screen.
            hall = health.get("hall") if need_name else None
            self._sync = health.get("sync") or {}
            self._clock_status = health.get("clock") or {}
            self._report_devices()
            if need_name:
                if not self.settings.complaint_url and self.client.page_exists(COMPLAINT_PAGE):
                    # The "write it on your phone" QR only when the hall has that page.
                    self.settings.complaint_url = self.settings.hall_url.rstrip("/") \
                        + COMPLAINT_PAGE
            return hall, self.client.services()

        def done(result, err):
            self._polling = False
            if isinstance(err, HallUnreachable):
                self._went_offline()
                if self._pending is None:
                    self.retry_timer.start(int(self.settings.retry_seconds * 1000))
                return
            if err is not None:
                log.warning("services refused: %s", err)
                return
            hall, services = result
            if isinstance(hall, dict) and hall.get("name_zh"):
                self.settings.hall_name = hall["name_zh"]
                self.settings.hall_name_en = hall.get("name_en") or self.settings.hall_name_en
                self._named = True
            elif need_name:
                self._named = True   # an older hall without a name: keep the configured one
            self._services = [dict(s) for s in (services or [])]
            emit(self.servicesChanged)
            self._came_online()

        self.hall.submit(fetch, done)

    def _retry(self) -> None:
        if self._pending is not None:
            self._submit_pending()
        else:
            self.refresh()

    def _went_offline(self) -> None:
        was = self._online
        self._online = False
        if was:
            log.warning("hall unreachable: tickets paused")
        if self._screen not in _STAY_WHEN_OFFLINE:
            self._set_screen("unreachable")
        else:
            emit(self.stateChanged)

    def _came_online(self) -> None:
        self._last_ok = time.time()
        if not self._online:
            log.info("hall reachable again")
            self._online = True
            if self._screen == "unreachable" and self._pending is None:
                self._reset_flow()
                self._set_screen("home")
            emit(self.stateChanged)
        while self._unsent_alerts:
            self._send_alert(*self._unsent_alerts.pop(0))

    # -- devices ---------------------------------------------------------------------------------

    @Slot()
    def check_printer(self) -> None:
        if self.scanner is not None and self.scanner.url:
            ok = self.scanner.connected()
            if ok != self._scanner_ok:
                self.set_scanner_ok(ok)
        if not self.printer.url:
            return

        def done(status, err):
            if err is None and status:
                self._printer_status = status
                emit(self.stateChanged)

        self.print_lane.submit(self.printer.status, done)

    def set_scanner_ok(self, ok: bool | None) -> None:
        self._scanner_ok = ok
        emit(self.stateChanged)
