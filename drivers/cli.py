"""`onewindow sim`, `onewindow devices` and `onewindow print-test`: run simulators, check hardware."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path


def _config(path: str | None):
    """The hall config, or None when there is none; a broken one is a clear message, exit 2."""
    from hall.config import ConfigError, load_config

    if not path:
        return None
    try:
        return load_config(Path(path))
    except ConfigError as exc:
        print(f"配置错误 Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _wait_until_stopped(seconds: float | None) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait(seconds)


# --- onewindow sim ---------------------------------------------------------------------------

def _cmd_sim(args) -> int:
    from drivers.bus import KeypadKey
    from drivers.sim.bus import BusSimulator
    from drivers.sim.printer import PrinterSimulator
    from drivers.sim.scanner import SerialScannerSimulator
    from drivers.transport import register_sim, sim_registry_path, unregister_sim

    started: list = []
    names: list[str] = []
    kinds = ("printer", "scanner", "bus", "idcard") if args.what == "all" else (args.what,)
    try:
        if "printer" in kinds:
            sim = PrinterSimulator.pty() if args.pty else PrinterSimulator.tcp()
            sim.set_state(paper=args.paper, cover_open=args.cover_open, offline=args.offline, mute=args.mute)
            started.append(sim)
            names.append(args.printer_name)
            register_sim(args.printer_name, sim.url, persist=True)
            print(f"打印机模拟器 printer simulator: sim://{args.printer_name} -> {sim.url} (paper {args.paper})")
        if "scanner" in kinds:
            sc = SerialScannerSimulator()
            started.append(sc)
            names.append(args.scanner_name)
            register_sim(args.scanner_name, sc.url, persist=True)
            print(f"扫码枪模拟器 scanner simulator: sim://{args.scanner_name} -> {sc.url}")
            if args.codes:
                codes = list(args.codes)

                def feed():
                    time.sleep(1.0)
                    for code in codes:
                        sc.send(code)
                        time.sleep(0.5)
                threading.Thread(target=feed, daemon=True).start()
        if "bus" in kinds:
            bus = BusSimulator(baud=args.baud)
            started.append(bus)
            names.append(args.bus_name)
            cfg = _config(args.config)
            windows = [(w.pad, w.led, w.keypad) for w in cfg.devices.windows] if cfg and cfg.devices.windows else \
                [(1 + 3 * i, 2 + 3 * i, 3 + 3 * i) for i in range(args.windows)]
            from drivers.sim.bus import KeypadSlave, LedSlave, PadSlave
            for pad, led, keypad in windows:
                if pad:
                    bus.add(PadSlave(pad))
                if led:
                    bus.add(LedSlave(led))
                if keypad:
                    bus.add(KeypadSlave(keypad))
            register_sim(args.bus_name, bus.url, persist=True)
            print(f"窗口总线模拟器 window bus simulator: sim://{args.bus_name} -> {bus.url} "
                  f"({len(bus.slaves)} devices: {sorted(bus.slaves)})")
            if args.press_every:
                def presser():
                    keypads = [s for s in bus.slaves.values() if isinstance(s, KeypadSlave)]
                    while keypads:
                        for k in keypads:
                            time.sleep(args.press_every)
                            k.press(KeypadKey.CALL_NEXT)
                threading.Thread(target=presser, daemon=True).start()
        if "idcard" in kinds:
            started.append(_start_idcard_sim(args))
            names.append(args.idcard_name)
        print(f"登记文件 registry: {sim_registry_path()}  — Ctrl-C 停止 to stop", flush=True)
        _wait_until_stopped(args.seconds)
    finally:
        for name in names:
            unregister_sim(name, persist=True)
        for s in started:
            s.close()
    return 0


def _start_idcard_sim(args):
    """The ID-card reader simulator; --tap-every places the fictional test card periodically."""
    from drivers.sim.idcard import TEST_PERSON, IdCardSimulator
    from drivers.transport import register_sim

    sim = IdCardSimulator()
    register_sim(args.idcard_name, sim.url, persist=True)
    print(f"身份证阅读器模拟器 ID-card reader simulator: sim://{args.idcard_name} -> {sim.url} "
          f"(测试人员 test person {TEST_PERSON!r})")
    if args.tap_every:
        def tapper():
            while True:
                time.sleep(args.tap_every)
                sim.tap(TEST_PERSON)
        threading.Thread(target=tapper, daemon=True).start()
    return sim


# --- onewindow devices ----------------------------------------------------------------------

def device_report(cfg, *, bus_url: str | None = None, timeout: float = 0.3) -> dict:
    """Live status of every configured device: printers by DLE EOT, scanners by opening, the bus by a poll."""
    from drivers.bus import BusMaster, DeviceSpec
    from drivers.printer import open_printer
    from drivers.transport import TransportError, open_transport

    report: dict = {"printers": [], "scanners": [], "bus": None}
    for p in cfg.devices.printers:
        with open_printer(p.url, p.profile, timeout=timeout) as pr:
            st = pr.status()
        report["printers"].append({"name": p.name, "url": p.url, "profile": p.profile, "online": st.online,
                                   "paper": st.paper, "cover_open": st.cover_open, "text_zh": st.text_zh,
                                   "text_en": st.text_en})
    for s in cfg.devices.scanners:
        entry = {"name": s.name, "url": s.url}
        try:
            open_transport(s.url, timeout=timeout).close()
            entry.update(reachable=True, text_zh="可连接", text_en="reachable")
        except TransportError as exc:
            entry.update(reachable=False, text_zh=exc.message, text_en=exc.message_en)
        report["scanners"].append(entry)
    url = bus_url or cfg.devices.bus.port
    if url:
        specs = []
        for w in cfg.devices.windows:
            specs += [DeviceSpec(k, a, w.window) for k, a in (("pad", w.pad), ("led", w.led), ("keypad", w.keypad)) if a]
        master = BusMaster(url, specs, timeout=cfg.devices.bus.timeout_ms / 1000, retries=cfg.devices.bus.retries,
                           slow_every=1, reconnect_delay=0.2)
        with master:
            master.wait_cycles(1, timeout=max(2.0, 0.5 * len(specs)))
        report["bus"] = {"url": url, "connected": master.stats.cycles > 0, "devices": master.status(),
                         "stats": master.stats.as_dict()}
    return report


def _mark(ok) -> str:
    return "正常 OK" if ok is True else ("故障 FAULT" if ok is False else "未知 UNKNOWN")


def _cmd_devices(args) -> int:
    cfg = _config(args.config)
    if cfg is None:
        print("请用 --config 指定 hall.toml / give a hall.toml with --config", file=sys.stderr)
        return 2
    try:
        rep = device_report(cfg, bus_url=args.bus)
    except ValueError as exc:      # e.g. two devices configured at one bus address
        print(f"设备配置错误 Device configuration error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rep, ensure_ascii=False, indent=1))
        return 0
    print("打印机 Printers:")
    for p in rep["printers"] or [{"name": "（未配置 none）"}]:
        if "url" in p:
            print(f"  {p['name']:<12} {p['url']:<36} {p['text_zh']} / {p['text_en']}")
        else:
            print(f"  {p['name']}")
    print("扫码枪 Scanners:")
    for s in rep["scanners"] or [{"name": "（未配置 none）"}]:
        if "url" in s:
            print(f"  {s['name']:<12} {s['url']:<36} {s['text_zh']} / {s['text_en']}")
        else:
            print(f"  {s['name']}")
    bus = rep["bus"]
    if not bus:
        print("窗口总线 Window bus: 未配置 not configured")
    else:
        print(f"窗口总线 Window bus: {bus['url']} {'已连接 connected' if bus['connected'] else '未连接 not connected'}")
        for d in bus["devices"]:
            print(f"  {d['window_id'] or '':<8} {d['kind']:<7} @{d['address']:<4} {_mark(d['online'])}")
    return 0


# --- onewindow print-test -------------------------------------------------------------------

def _cmd_print_test(args) -> int:
    from drivers.printer import PrintError, layouts, open_printer
    from drivers.printer.render import render_escpos

    profile = args.profile
    url = args.url
    if not url:
        # Rendering to PNG needs no hall.toml; printing does.
        cfg = _config(args.config) if not args.png or Path(args.config).exists() else None
        printers = cfg.devices.printers if cfg else []
        chosen = [p for p in printers if not args.printer or p.name == args.printer]
        if not chosen and not args.png:
            print("没有可用的打印机：请用 --url 或在 hall.toml [devices] printers 中配置 / "
                  "no printer: pass --url or configure [devices] printers", file=sys.stderr)
            return 2
        if chosen:
            url = chosen[0].url
            profile = profile or chosen[0].profile
    try:
        prof = layouts.get_profile(profile or "80mm")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    data = layouts.test_page(prof)
    if args.png:
        render_escpos(data, prof.width_dots).save(args.png)
        print(f"测试票样已保存 test ticket rendered: {args.png}")
    if url:
        try:
            with open_printer(url, prof.name) as pr:
                pr.print_raw(data)
        except PrintError as exc:
            print(f"打印失败：{exc.message}\nPrint failed: {exc.message_en}", file=sys.stderr)
            return 1
        print(f"测试票已打印 test ticket printed: {url}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("sim", help="run device simulators (printer, scanner, window bus) until Ctrl-C")
    p.add_argument("what", choices=["printer", "scanner", "bus", "idcard", "all"])
    p.add_argument("--config", help="hall.toml: the bus simulator takes its addresses from [devices] windows")
    p.add_argument("--pty", action="store_true", help="printer on a pty (serial) instead of TCP")
    p.add_argument("--paper", default="ok", choices=["ok", "near_end", "out"])
    p.add_argument("--cover-open", action="store_true")
    p.add_argument("--offline", action="store_true")
    p.add_argument("--mute", action="store_true", help="printer answers nothing (dead printer)")
    p.add_argument("--printer-name", default="printer", help="registered as sim://NAME (default printer)")
    p.add_argument("--scanner-name", default="scanner")
    p.add_argument("--bus-name", default="bus")
    p.add_argument("--codes", nargs="*", help="codes the scanner sends, one every 0.5 s")
    p.add_argument("--windows", type=int, default=4, help="windows on the bus when no --config (3 devices each)")
    p.add_argument("--baud", type=int, default=9600)
    p.add_argument("--press-every", type=float, default=0.0, help="press call-next on each keypad in turn")
    p.add_argument("--seconds", type=float, help="stop after this many seconds")
    p.add_argument("--idcard-name", default="idcard")
    p.add_argument("--tap-every", type=float, default=0.0,
                   help="ID-card simulator: tap the fictional test card every N seconds")
    p.set_defaults(func=_cmd_sim)

    p = sub.add_parser("devices", help="list configured devices and their live status")
    p.add_argument("--config", default="hall.toml")
    p.add_argument("--bus", help="window bus URL (default: [devices.bus] port)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_devices)

    p = sub.add_parser("print-test", help="print a test ticket to a configured printer, or render it to PNG")
    p.add_argument("--config", default="hall.toml")
    p.add_argument("--printer", help="printer name from [devices] printers")
    p.add_argument("--url", help="printer URL instead of the config (tcp://, serial://, usb://, file://, sim://)")
    p.add_argument("--profile", help="80mm, 58mm, 58mm-raster, 80mm-raster")
    p.add_argument("--png", help="also render the ticket to this PNG file")
    p.set_defaults(func=_cmd_print_test)
