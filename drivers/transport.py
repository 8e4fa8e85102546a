"""Byte pipes opened from a URL: serial://, tcp://, file://, usb://VID:PID and sim://NAME."""

from __future__ import annotations

import json
import os
import select
import socket
import tempfile
import termios
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "Transport",
    "TransportError",
    "open_transport",
    "register_sim",
    "unregister_sim",
    "resolve_sim",
    "sim_registry_path",
]


class TransportError(OSError):
    """A transport could not be opened, or the link broke; message is Chinese first."""

    def __init__(self, message: str, message_en: str):
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en


class Transport:
    """A byte pipe. `read` returns what arrived within `timeout` (maybe b''), never blocks longer."""

    url: str = ""

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        raise NotImplementedError

    def reset_input(self) -> None:
        """Drop whatever arrived and was not read (stale replies after a timeout)."""
        while self.read(4096, timeout=0):
            pass

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialTransport(Transport):
    """pyserial port: a USB-serial adapter, RS-485 dongle, or a pty."""

    def __init__(self, url: str, port: str, baud: int, timeout: float):
        import serial  # imported here so that importing this module does no device work

        self.url = url
        self.timeout = timeout
        try:
            # exclusive: a second process opening the same bus would corrupt frames.
            self._serial = serial.Serial(port, baud, timeout=timeout, write_timeout=max(timeout, 1.0),
                                         exclusive=True)
        except (serial.SerialException, OSError, ValueError, termios.error) as exc:
            raise TransportError(f"无法打开串口 {port}：{exc}", f"cannot open serial port {port}: {exc}") from exc

    def write(self, data: bytes) -> None:
        import serial

        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError, termios.error) as exc:
            raise TransportError(f"串口写入失败：{exc}", f"serial write failed: {exc}") from exc

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        # select + os.read on the port's fd: returns as soon as bytes arrive, and never
        # changes the port's timeout (pyserial reprograms the tty on every timeout change,
        # a syscall per read that a busy bus master cannot afford).
        timeout = self.timeout if timeout is None else timeout
        try:
            fd = self._serial.fileno()
            ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
            if not ready:
                return b""
            data = os.read(fd, size)
        except (OSError, ValueError, TypeError, termios.error) as exc:
            raise TransportError(f"串口读取失败（设备已断开？）：{exc}",
                                 f"serial read failed (device unplugged?): {exc}") from exc
        if not data:
            # readable but empty: the device is gone (same rule as pyserial)
            raise TransportError("串口已断开", "serial device disconnected")
        return data

    def reset_input(self) -> None:
        import serial

        try:
            self._serial.reset_input_buffer()
        except (serial.SerialException, OSError, termios.error) as exc:
            raise TransportError(f"串口失败：{exc}", f"serial failed: {exc}") from exc

    def close(self) -> None:
        try:
            self._serial.close()
        except Exception:  # closing a vanished device must not mask the original error
            pass


class TcpTransport(Transport):
    """A raw TCP socket: network printers on port 9100, serial-to-Ethernet converters."""

    def __init__(self, url: str, host: str, port: int, timeout: float):
        self.url = url
        self.timeout = timeout
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise TransportError(f"无法连接 {host}:{port}：{exc}", f"cannot connect to {host}:{port}: {exc}") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        try:
            self._sock.settimeout(max(self.timeout, 1.0))
            self._sock.sendall(data)
        except OSError as exc:
            raise TransportError(f"网络写入失败：{exc}", f"network write failed: {exc}") from exc

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        timeout = self.timeout if timeout is None else timeout
        try:
            self._sock.settimeout(timeout if timeout > 0 else 0.0)
            data = self._sock.recv(size)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as exc:
            raise TransportError(f"网络读取失败：{exc}", f"network read failed: {exc}") from exc
        if not data:
            raise TransportError("连接已被对方关闭", "connection closed by the device")
        return data

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


class FileTransport(Transport):
    """Write-only sink: a file, /dev/usb/lp0, or a pty path. Reads always return b'' (no status)."""

    def __init__(self, url: str, path: str):
        self.url = url
        try:
            self._f = open(path, "ab", buffering=0)  # noqa: SIM115 - owned and closed by close()
        except OSError as exc:
            raise TransportError(f"无法打开文件 {path}：{exc}", f"cannot open file {path}: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._f.write(data)
        except OSError as exc:
            raise TransportError(f"写入失败：{exc}", f"write failed: {exc}") from exc

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        return b""

    def close(self) -> None:
        self._f.close()


class UsbTransport(Transport):
    """A USB printer class device by vendor and product id, through pyusb (libusb)."""

    def __init__(self, url: str, vid: int, pid: int, timeout: float):
        try:
            import usb.core
            import usb.util
        except ImportError:
            raise TransportError("无法使用 USB 打印机：未安装 pyusb（安装 onewindow[kiosk]）",
                                 "cannot use a USB printer: pyusb is not installed "
                                 "(install onewindow[kiosk])") from None

        self.url = url
        self.timeout = timeout
        try:
            dev = usb.core.find(idVendor=vid, idProduct=pid)
        except usb.core.NoBackendError:
            raise TransportError("无法使用 USB 打印机：本机缺少 libusb-1.0 库（不是连线问题）；"
                                 "请安装：apt-get install libusb-1.0-0",
                                 "cannot use a USB printer: the libusb-1.0 library is missing on "
                                 "this machine (not a cable problem); install it: "
                                 "apt-get install libusb-1.0-0") from None
        except usb.core.USBError as exc:
            raise TransportError(f"USB 访问失败：{exc}", f"USB access failed: {exc}") from exc
        if dev is None:
            raise TransportError(f"未找到 USB 设备 {vid:04x}:{pid:04x}", f"USB device {vid:04x}:{pid:04x} not found")
        try:
            if dev.is_kernel_driver_active(0):
                dev.detach_kernel_driver(0)
            dev.set_configuration()
            intf = dev.get_active_configuration()[(0, 0)]
            self._out = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(
                e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
            self._in = usb.util.find_descriptor(intf, custom_match=lambda e: usb.util.endpoint_direction(
                e.bEndpointAddress) == usb.util.ENDPOINT_IN)
        except usb.core.USBError as exc:
            raise TransportError(f"USB 设备无法使用：{exc}", f"USB device unusable: {exc}") from exc
        self._dev = dev

    def write(self, data: bytes) -> None:
        import usb.core

        try:
            self._out.write(data, timeout=int(max(self.timeout, 1.0) * 1000))
        except usb.core.USBError as exc:
            raise TransportError(f"USB 写入失败：{exc}", f"USB write failed: {exc}") from exc

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        import usb.core

        if self._in is None:
            return b""
        timeout = self.timeout if timeout is None else timeout
        try:
            return bytes(self._in.read(min(size, self._in.wMaxPacketSize), timeout=max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            raise TransportError(f"USB 读取失败：{exc}", f"USB read failed: {exc}") from exc

    def close(self) -> None:
        import usb.util

        usb.util.dispose_resources(self._dev)


# --- sim:// names -------------------------------------------------------------------------
# A simulator registers its real URL (tcp://127.0.0.1:PORT or serial:///dev/pts/N) under a
# name. In the same process the dict answers; across processes (`onewindow sim` in one
# terminal, the kiosk in another) the registry file does. sim:// is only an alias: the device
# code then talks to a real socket or pty and cannot tell the simulator from hardware.
_sims: dict[str, str] = {}
_sims_lock = threading.Lock()


def sim_registry_path() -> Path:
    """The registry file: $ONEWINDOW_SIM_REGISTRY, else <tmp>/onewindow-sim-<uid>.json."""
    env = os.environ.get("ONEWINDOW_SIM_REGISTRY")
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / f"onewindow-sim-{os.getuid()}.json"


def register_sim(name: str, url: str, *, persist: bool = False) -> None:
    """Make sim://name resolve to url (in this process; also in the registry file if persist)."""
    with _sims_lock:
        _sims[name] = url
        if persist:
            path = sim_registry_path()
            data = _load_registry(path)
            data[name] = url
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1))
            os.replace(tmp, path)


def unregister_sim(name: str, *, persist: bool = False) -> None:
    with _sims_lock:
        _sims.pop(name, None)
        if persist:
            path = sim_registry_path()
            data = _load_registry(path)
            if data.pop(name, None) is not None:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, indent=1))
                os.replace(tmp, path)


def _load_registry(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def resolve_sim(name: str) -> str:
    with _sims_lock:
        if name in _sims:
            return _sims[name]
    data = _load_registry(sim_registry_path())
    if name in data:
        return data[name]
    raise TransportError(f"未找到模拟设备 sim://{name}（请先运行 onewindow sim）",
                         f"no simulator named sim://{name} (start one with `onewindow sim`)")


def open_transport(url: str, timeout: float = 0.5) -> Transport:
    """Open the byte pipe a URL names.

    serial:///dev/ttyUSB0?baud=9600, tcp://HOST:9100, file:///path, usb://0x0416:0x5011,
    sim://NAME. Raises TransportError (Chinese and English message) when it cannot be opened
    or the URL is malformed.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    if scheme == "sim":
        name = parts.netloc or parts.path.lstrip("/")
        return open_transport(resolve_sim(name), timeout=timeout)
    if scheme == "serial":
        port = parts.path or parts.netloc
        if not port:
            raise TransportError(f"串口地址缺少设备路径：{url}", f"serial URL has no device path: {url}")
        try:
            baud = int(query.get("baud", ["9600"])[0])
        except ValueError:
            raise TransportError(f"波特率无效：{url}", f"invalid baud rate: {url}") from None
        return SerialTransport(url, port, baud, timeout)
    if scheme == "tcp":
        if not parts.hostname:
            raise TransportError(f"网络地址缺少主机：{url}", f"TCP URL has no host: {url}")
        try:
            port = parts.port or 9100
        except ValueError:
            raise TransportError(f"端口无效：{url}", f"invalid port: {url}") from None
        return TcpTransport(url, parts.hostname, port, timeout)
    if scheme == "file":
        path = parts.path or parts.netloc
        if not path:
            raise TransportError(f"文件地址缺少路径：{url}", f"file URL has no path: {url}")
        return FileTransport(url, path)
    if scheme == "usb":
        ident = parts.netloc or parts.path.lstrip("/")
        try:
            vid_s, pid_s = ident.split(":")
            vid, pid = int(vid_s, 16), int(pid_s, 16)
        except ValueError:
            raise TransportError(f"USB 地址应为 usb://VID:PID（十六进制）：{url}",
                                 f"USB URL must be usb://VID:PID in hex: {url}") from None
        return UsbTransport(url, vid, pid, timeout)
    raise TransportError(f"不支持的设备地址：{url}（可用 serial:// tcp:// file:// usb:// sim://）",
                         f"unsupported device URL: {url} (use serial:// tcp:// file:// usb:// sim://)")


def wait_for_path(path: str | os.PathLike, timeout: float = 2.0) -> bool:
    """Poll until a device path exists (pty links appear a few ms after creation)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.005)
    return os.path.exists(path)
