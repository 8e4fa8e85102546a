"""ESC/POS bytes for Chinese thermal printers: a pure builder and status-reply parsing, no I/O."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

ESC, GS, FS, DLE, EOT, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x04, 0x0A

INIT = b"\x1b\x40"
CHINESE_ON = b"\x1c\x26"    # FS &: double-byte (GB18030) mode on
CHINESE_OFF = b"\x1c\x2e"   # FS .
ALIGN = {"left": 0, "center": 1, "right": 2}
QR_EC = {"L": 48, "M": 49, "Q": 50, "H": 51}


def gb18030(text: str) -> bytes:
    """Our own text routine: every character as GB18030, whatever the script.

    python-escpos only switches to GB18030 when a line holds a CJK ideograph, so full-width
    punctuation ("：" "，") alone becomes '?'. GB18030 covers all of Unicode, so nothing is lost.
    """
    return text.encode("gb18030", "replace")


def display_width(text: str) -> int:
    """Columns a string takes on the printer: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break text into lines of at most `columns` printer columns.

    Chinese breaks anywhere; a Latin word moves whole to the next line when it fits there.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if display_width(line + ch) > columns and line:
                cut = line.rfind(" ")
                if ch.isascii() and ch.isalnum() and line[-1:].isascii() and line[-1:].isalnum() and cut > 0:
                    lines.append(line[:cut].rstrip())
                    line = line[cut + 1:]
                else:
                    lines.append(line.rstrip())
                    line = ""
                if ch == " " and not line:
                    continue
            line += ch
        lines.append(line.rstrip())
    return lines


class EscPos:
    """Collects ESC/POS commands into one byte string; every method returns self to chain."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def raw(self, data: bytes) -> EscPos:
        self._buf += data
        return self

    def init(self, chinese: bool = True) -> EscPos:
        self.raw(INIT)
        if chinese:
            self.raw(CHINESE_ON)
        return self

    def align(self, where: str) -> EscPos:
        return self.raw(bytes((ESC, 0x61, ALIGN[where])))

    def size(self, width: int = 1, height: int = 1) -> EscPos:
        """Character magnification 1..8 each way (GS !); applies to Chinese and ASCII alike."""
        if not (1 <= width <= 8 and 1 <= height <= 8):
            raise ValueError("size must be 1..8")
        return self.raw(bytes((GS, 0x21, ((width - 1) << 4) | (height - 1))))

    def bold(self, on: bool = True) -> EscPos:
        return self.raw(bytes((ESC, 0x45, 1 if on else 0)))

    def text(self, text: str) -> EscPos:
        return self.raw(gb18030(text))

    def line(self, text: str = "") -> EscPos:
        return self.raw(gb18030(text) + b"\n")

    def feed(self, lines: int = 1) -> EscPos:
        return self.raw(bytes((ESC, 0x64, lines)))

    def cut(self) -> EscPos:
        """Feed past the cutter, then a partial cut (GS V 1)."""
        return self.feed(4).raw(bytes((GS, 0x56, 0x01)))

    def qr_native(self, data: str, module: int = 6, ec: str = "M") -> EscPos:
        """QR printed by the printer itself (GS ( k, model 2): few bytes, sharp modules."""
        payload = data.encode("utf-8")
        store_len = len(payload) + 3
        self.raw(b"\x1d\x28\x6b\x04\x00\x31\x41\x32\x00")            # model 2
        self.raw(b"\x1d\x28\x6b\x03\x00\x31\x43" + bytes((module,)))   # module size
        self.raw(b"\x1d\x28\x6b\x03\x00\x31\x45" + bytes((QR_EC[ec],)))  # error correction
        self.raw(b"\x1d\x28\x6b" + bytes((store_len & 0xFF, store_len >> 8)) + b"\x31\x50\x30" + payload)
        return self.raw(b"\x1d\x28\x6b\x03\x00\x31\x51\x30")           # print

    def raster(self, width_px: int, height_px: int, rows: bytes) -> EscPos:
        """A 1-bit image (GS v 0); rows are packed MSB first, black = 1, width padded to bytes."""
        width_bytes = (width_px + 7) // 8
        if len(rows) != width_bytes * height_px:
            raise ValueError("raster data does not match its size")
        return self.raw(b"\x1d\x76\x30\x00" + bytes((width_bytes & 0xFF, width_bytes >> 8,
                                                     height_px & 0xFF, height_px >> 8)) + rows)

    def qr_raster(self, data: str, module: int = 6, ec: str = "M") -> EscPos:
        """QR drawn here and sent as a raster image, for printers without GS ( k."""
        import qrcode
        import qrcode.constants as qc

        levels = {"L": qc.ERROR_CORRECT_L, "M": qc.ERROR_CORRECT_M, "Q": qc.ERROR_CORRECT_Q,
                  "H": qc.ERROR_CORRECT_H}
        qr = qrcode.QRCode(error_correction=levels[ec], box_size=1, border=2)
        qr.add_data(data.encode("utf-8"))
        qr.make(fit=True)
        matrix = qr.get_matrix()
        n = len(matrix) * module
        width_bytes = (n + 7) // 8
        rows = bytearray()
        for row in matrix:
            packed = bytearray(width_bytes)
            for x in range(n):
                if row[x // module]:
                    packed[x // 8] |= 0x80 >> (x % 8)
            rows += bytes(packed) * module
        return self.raster(n, n, bytes(rows))

    def getvalue(self) -> bytes:
        return bytes(self._buf)


# --- status (DLE EOT n) ---------------------------------------------------------------------

STATUS_QUERIES = (1, 2, 4)   # printer status, offline cause, roll paper sensor


def status_query(n: int) -> bytes:
    return bytes((DLE, EOT, n))


def valid_status_byte(b: int) -> bool:
    """Real-time status bytes have bits 1 and 4 set, bits 0 and 7 clear; anything else is noise."""
    return (b & 0x93) == 0x12


@dataclass(frozen=True)
class StatusBits:
    """What the three replies say; None where a reply was missing or garbled."""

    online: bool | None
    cover_open: bool | None
    paper: str  # ok | near_end | out | unknown


def parse_status(replies: dict[int, int | None]) -> StatusBits:
    """Interpret DLE EOT 1/2/4 replies. A missing reply is unknown, never "paper OK"."""

    def get(n: int) -> int | None:
        b = replies.get(n)
        return b if b is not None and valid_status_byte(b) else None

    s1, s2, s4 = get(1), get(2), get(4)
    online = None if s1 is None else not (s1 & 0x08)
    cover_open = None if s2 is None else bool(s2 & 0x04)
    if s4 is not None:
        paper = "out" if s4 & 0x60 else ("near_end" if s4 & 0x0C else "ok")
    elif s2 is not None and s2 & 0x20:
        paper = "out"
    else:
        paper = "unknown"
    return StatusBits(online=online, cover_open=cover_open, paper=paper)
