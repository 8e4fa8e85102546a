"""Demo stage: rendered ticket images (80/58 mm, elder, notice, receipts) and a short window-bus run."""

from __future__ import annotations

import logging
import sqlite3
import statistics
import time

log = logging.getLogger(__name__)


def _hall_facts(ctx) -> tuple[str, str, str, dict]:
    """Hall name, base URL, time zone and green-channel labels from the demo's hall.toml."""
    try:
        from hall.config import load_config

        cfg = load_config(ctx.config_path)
        labels = {r.id: r.zh for r in cfg.green_channel.reasons}
        return cfg.hall.name_zh, cfg.hall.base_url.rstrip("/"), str(cfg.hall.timezone), labels
    except Exception as exc:   # the stage still shows the tickets with a placeholder hall
        log.warning("demo: hall config unreadable (%s); using sample hall facts", exc)
        return "示例市政务服务中心", "http://127.0.0.1:8470", "Asia/Shanghai", {}


def _a_real_ticket(ctx) -> dict | None:
    """One ticket the day stage issued, read-only, so the QR carries a real token."""
    try:
        con = sqlite3.connect(f"file:{ctx.db_path}?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        row = con.execute("SELECT t.number, t.token, t.issued_at, t.priority_reason, s.name_zh, s.name_en "
                          "FROM tickets t JOIN services s ON s.id = t.service_id "
                          "ORDER BY t.priority_reason IS NULL, t.issued_at DESC LIMIT 1").fetchone()
        con.close()
        return dict(row) if row else None
    except sqlite3.Error:
        return None


def run(ctx) -> None:
    import zxingcpp

    from drivers.printer import PrintError, layouts, open_printer
    from drivers.printer.render import render_escpos
    from drivers.sim.printer import PrinterSimulator

    hall_name, base_url, tz, labels = _hall_facts(ctx)
    real = _a_real_ticket(ctx)
    ticket = {
        "number": real["number"] if real else "A023",
        "service_name_zh": real["name_zh"] if real else "企业开办",
        "service_name_en": real["name_en"] if real else "Starting a business",
        "ahead": 3, "eta_minutes": 12,
        "status_url": f"{base_url}/t/{real['token'] if real else 'demo-token-0001'}",
        "issued_at": real["issued_at"] if real else time.time(),
        "priority_reason": (real or {}).get("priority_reason"),
        "green_zh": labels.get((real or {}).get("priority_reason") or "", ""),
    }
    p80, p58 = layouts.get_profile("80mm"), layouts.get_profile("58mm")
    docs = {
        "ticket_80mm": (layouts.ticket(ticket, hall_name=hall_name, profile=p80, tz=tz), p80, ticket["status_url"]),
        "ticket_58mm": (layouts.ticket(ticket, hall_name=hall_name, profile=p58, tz=tz), p58, ticket["status_url"]),
        "ticket_80mm_elder": (layouts.ticket(ticket, hall_name=hall_name, profile=p80, elder=True, tz=tz), p80,
                              ticket["status_url"]),
        "ticket_58mm_raster_qr": (layouts.ticket(ticket, hall_name=hall_name, profile=layouts.get_profile("58mm-raster"),
                                                 tz=tz), p58, ticket["status_url"]),
        "notice_80mm": (layouts.notice(ticket["service_name_zh"], ["营业执照申请书", "法定代表人身份证明复印件",
                                                                   "公司章程（全体股东签字）"],
                                       "材料备齐后请到 3 号窗口，无需重新取号", hall_name=hall_name, profile=p80,
                                       when=time.time(), tz=tz), p80, None),
        "complaint_receipt_80mm": (layouts.complaint_receipt("TS20261128-0007", "等候时间长",
                                                             f"{base_url}/c/TS20261128-0007", hall_name=hall_name,
                                                             profile=p80, when=time.time(), tz=tz), p80,
                                   f"{base_url}/c/TS20261128-0007"),
        "rating_slip_80mm": (layouts.rating_slip(ticket["number"], f"{ticket['status_url']}/rate",
                                                 hall_name=hall_name, profile=p80), p80,
                             f"{ticket['status_url']}/rate"),
    }
    decoded_ok = 0
    files = []
    for name, (data, prof, url) in docs.items():
        img = render_escpos(data, prof.width_dots)
        path = ctx.path("tickets", f"{name}.png")
        img.save(path)
        files.append(str(path.relative_to(ctx.out)))
        if url is not None:
            got = [r.text for r in zxingcpp.read_barcodes(img)]
            if got != [url]:
                raise RuntimeError(f"QR on {name} decoded as {got}, expected {url}")
            decoded_ok += 1

    # Through a simulated printer: the bytes that arrive are the bytes we rendered; paper-out
    # is a clear error.
    with PrinterSimulator.tcp() as sim, open_printer(sim.url, "80mm", timezone=tz) as printer:
        printer.print_ticket(ticket, hall_name=hall_name)
        job = sim.wait_for_job(2)
        same_bytes = job == docs["ticket_80mm"][0]
        sim.set_state(paper="out")
        try:
            printer.print_ticket(ticket, hall_name=hall_name)
            paper_out = "printed?!"
        except PrintError as exc:
            paper_out = f"{exc.message} / {exc.message_en}"

    bus = _bus_run()
    ctx.summary["devices"] = {
        "ticket_images": files,
        "qr_decoded": decoded_ok,
        "printer_sim_bytes_match": same_bytes,
        "paper_out_error": paper_out,
        "bus": bus,
    }


def _bus_run(windows: int = 16, presses: int = 40) -> dict:
    """16 windows x 3 devices at 115200 baud on a pty: key -> LED latency, with a noisy spell."""
    import queue

    from drivers.bus import BusMaster, DeviceSpec, KeypadKey, LedMode
    from drivers.sim.bus import BusSimulator

    with BusSimulator(baud=115200) as sim:
        specs = []
        for w in range(windows):
            sim.add_window(1 + 3 * w)
            specs += [DeviceSpec("pad", 1 + 3 * w, f"w{w}"), DeviceSpec("led", 2 + 3 * w, f"w{w}"),
                      DeviceSpec("keypad", 3 + 3 * w, f"w{w}")]
        keys: queue.Queue = queue.Queue()
        master = BusMaster(sim.url, specs, keys.put, timeout=0.03)

        def on_key(ev):
            if ev.kind == "key":
                master.show_led(ev.device.address - 1, LedMode.CALLING, f"A{ev.seq:03d} 请到 {ev.device.address // 3} 号窗口")

        master.on_event = on_key
        with master:
            master.wait_cycles(3)
            latencies = []
            for i in range(presses):
                if i == presses // 2:
                    sim.garble_rate = 0.2        # a noisy spell on the line
                led = sim.slaves[2 + 3 * (i % windows)]
                pressed = time.monotonic()
                sim.slaves[3 + 3 * (i % windows)].press(KeypadKey.CALL_NEXT)
                shown = led.wait_for_text("请到", timeout=2, after=pressed)
                if shown is not None:
                    latencies.append(shown - pressed)
            sim.garble_rate = 0.0
            stats = master.stats.as_dict()
    lat_ms = sorted(x * 1000 for x in latencies)
    return {
        "windows": windows, "devices": windows * 3, "presses": presses, "shown": len(lat_ms),
        "key_to_led_ms_p50": round(statistics.median(lat_ms), 1) if lat_ms else None,
        "key_to_led_ms_max": round(lat_ms[-1], 1) if lat_ms else None,
        "cycle_ms": round(stats["last_cycle_s"] * 1000, 1), "crc_errors": stats["crc_errors"],
        "timeouts": stats["timeouts"], "retries": stats["retries"],
    }
