"""Second-generation ID-card reader frames (the SAM module protocol of GA 467). Bytes in, values out.

Frame (both directions):

    preamble AA AA AA 96 69 | LEN (2 bytes, big-endian) | body | CHK

LEN counts the body plus the checksum byte. A request body is CMD PARA DATA; a response body
is SW1 SW2 SW3 DATA. CHK is the XOR of every byte after the preamble (LEN bytes and body).

No I/O here: `encode_request`/`encode_response` build frames, `Framer.feed` cuts frames out of
a byte stream (hunting past garbage, rejecting bad checksums), `parse_base_info` and
`encode_base_info` read and write the 256-byte text block of "read base information".

Personal data: `CardInfo` never prints the ID number or the full name (`repr` masks both).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

PREAMBLE = b"\xAA\xAA\xAA\x96\x69"
MAX_BODY = 4096              # the longest reply (base info + fingerprint) is about 2.3 KB


class Command(enum.Enum):
    """(CMD, PARA) pairs this driver sends."""

    RESET_SAM = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_BASE = (0x30, 0x01)


class SW3(enum.IntEnum):
    """Status byte 3 values confirmed in several public drivers (see docs/devices.md)."""

    OK = 0x90
    CARD_FOUND = 0x9F
    READ_FAILED = 0x41
    FIND_FAILED = 0x80          # no card on the reader
    SELECT_FAILED = 0x81


SW3_TEXT: dict[int, tuple[str, str]] = {
    SW3.OK: ("成功", "ok"),
    SW3.CARD_FOUND: ("已找到证件", "card found"),
    SW3.READ_FAILED: ("读证失败，请重新放置身份证", "reading the card failed; place it again"),
    SW3.FIND_FAILED: ("未放置身份证", "no card on the reader"),
    SW3.SELECT_FAILED: ("选卡失败，请重新放置身份证", "selecting the card failed; place it again"),
}


class FrameError(ValueError):
    """A frame that cannot be used (bad checksum, wrong length, unknown layout)."""


def xor(data: bytes) -> int:
    x = 0
    for b in data:
        x ^= b
    return x


def _frame(body: bytes) -> bytes:
    length = len(body) + 1
    if length > 0xFFFF:
        raise FrameError("frame too long")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + body + bytes((xor(head + body),))


def encode_request(command: Command, data: bytes = b"") -> bytes:
    cmd, para = command.value
    return _frame(bytes((cmd, para)) + data)


def encode_response(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    return _frame(bytes((sw1, sw2, sw3)) + data)


@dataclass(frozen=True)
class Frame:
    body: bytes               # everything between LEN and CHK

    # request view
    @property
    def command(self) -> Command | None:
        try:
            return Command((self.body[0], self.body[1]))
        except (ValueError, IndexError):
            return None

    # response view
    @property
    def sw(self) -> tuple[int, int, int]:
        if len(self.body) < 3:
            raise FrameError("response shorter than its status bytes")
        return self.body[0], self.body[1], self.body[2]

    @property
    def sw3(self) -> int:
        return self.sw[2]

    @property
    def data(self) -> bytes:
        return self.body[3:]


class Framer:
    """Cuts frames out of a byte stream that arrives in pieces.

    Bytes before a preamble are skipped (counted in `skipped`); a frame whose checksum does
    not match is dropped (counted in `bad_checksum`) and the hunt resumes one byte later.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped = 0
        self.bad_checksum = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out: list[Frame] = []
        while True:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # keep a possible partial preamble at the end
                keep = 0
                for n in range(len(PREAMBLE) - 1, 0, -1):
                    if self._buf.endswith(PREAMBLE[:n]):
                        keep = n
                        break
                self.skipped += len(self._buf) - keep
                del self._buf[:len(self._buf) - keep]
                return out
            if start:
                self.skipped += start
                del self._buf[:start]
            if len(self._buf) < 7:
                return out
            length = int.from_bytes(self._buf[5:7], "big")
            if length < 2 or length > MAX_BODY:
                self.bad_checksum += 1
                del self._buf[:1]
                continue
            if len(self._buf) < 7 + length:
                # Incomplete — or a false start (garbage that looks like a preamble with a
                # large length). A complete, valid frame further on wins; else wait for more.
                later = self._valid_frame_after(1)
                if later < 0:
                    return out
                self.skipped += later
                del self._buf[:later]
                continue
            head = bytes(self._buf[5:7])
            body = bytes(self._buf[7:7 + length - 1])
            chk = self._buf[7 + length - 1]
            if xor(head + body) != chk:
                self.bad_checksum += 1
                del self._buf[:1]
                continue
            del self._buf[:7 + length]
            out.append(Frame(body))

    def _valid_frame_after(self, pos: int) -> int:
        """Offset of the next complete frame with a good checksum at or after pos, or -1."""
        buf = self._buf
        while True:
            pos = buf.find(PREAMBLE, pos)
            if pos < 0 or len(buf) < pos + 7:
                return -1
            length = int.from_bytes(buf[pos + 5:pos + 7], "big")
            end = pos + 7 + length
            if 2 <= length <= MAX_BODY and len(buf) >= end and xor(bytes(buf[pos + 5:end - 1])) == buf[end - 1]:
                return pos
            pos += 1

    def clear(self) -> None:
        self._buf.clear()


def decode_one(frame_bytes: bytes) -> Frame:
    """The single frame in `frame_bytes` (tests, tools); FrameError if there is not exactly one."""
    framer = Framer()
    frames = framer.feed(frame_bytes)
    if len(frames) != 1 or framer.skipped or framer._buf:
        raise FrameError(f"expected one whole frame, got {len(frames)} (skipped {framer.skipped}, "
                         f"bad checksum {framer.bad_checksum})")
    return frames[0]


# --- base information ------------------------------------------------------------------------
# The 256-byte text block, UCS-2 little-endian, fields padded with spaces (U+0020).
TEXT_FIELDS: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("sex", 2),
    ("nation", 4),
    ("birth", 16),
    ("address", 70),
    ("id_number", 36),
    ("issuer", 30),
    ("valid_from", 16),
    ("valid_to", 16),
    ("reserved", 36),
)
TEXT_LEN = 256
PHOTO_LEN = 1024
assert sum(n for _, n in TEXT_FIELDS) == TEXT_LEN

SEX = {"0": ("未知", "unknown"), "1": ("男", "male"), "2": ("女", "female"), "9": ("未说明", "unstated")}


@dataclass(frozen=True)
class CardInfo:
    """What "read base information" returns. Dates are YYYYMMDD; valid_to may be 长期 (no end)."""

    name: str
    sex: str              # code: 1 male, 2 female (GB/T 2261.1)
    nation: str           # two-digit code (GB/T 3304), e.g. 01 汉
    birth: str
    address: str
    id_number: str
    issuer: str
    valid_from: str
    valid_to: str
    photo_wlt: bytes = field(default=b"", repr=False)

    def __repr__(self) -> str:   # never the number or the full name, also not in tracebacks
        return (f"CardInfo(name={mask_name(self.name)!r}, sex={self.sex!r}, "
                f"id_number='******************', valid_to={self.valid_to!r})")

    __str__ = __repr__


def mask_name(name: str) -> str:
    """张三 -> 张*, 张晓明 -> 张*明, 欧阳晓明 -> 欧**明; empty stays empty."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _put(text: str, size: int) -> bytes:
    raw = text.encode("utf-16-le")
    if len(raw) > size:
        raise FrameError(f"text too long for a {size}-byte field")
    return raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)


def encode_base_info(info: CardInfo, photo: bytes | None = None) -> bytes:
    """The data of a 'read base information' reply: text length, photo length, text, photo."""
    values = {"reserved": ""} | {k: getattr(info, k) for k, _ in TEXT_FIELDS if k != "reserved"}
    text = b"".join(_put(values[k], n) for k, n in TEXT_FIELDS)
    photo = (photo if photo is not None else info.photo_wlt).ljust(PHOTO_LEN, b"\x00")[:PHOTO_LEN]
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


def parse_base_info(data: bytes) -> CardInfo:
    """Read the data of a 'read base information' reply (after SW1-SW3)."""
    if len(data) < 4:
        raise FrameError("base information reply too short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if text_len != TEXT_LEN:
        raise FrameError(f"unexpected text length {text_len} (expected {TEXT_LEN})")
    if len(data) < 4 + text_len + photo_len:
        raise FrameError("base information reply shorter than its declared lengths")
    text = data[4:4 + text_len]
    values: dict[str, str] = {}
    pos = 0
    for key, size in TEXT_FIELDS:
        try:
            values[key] = text[pos:pos + size].decode("utf-16-le").rstrip(" \x00")
        except UnicodeDecodeError as exc:
            raise FrameError(f"field {key} is not UCS-2 text") from exc
        pos += size
    values.pop("reserved")
    return CardInfo(**values, photo_wlt=bytes(data[4 + text_len:4 + text_len + photo_len]))


# --- the citizen ID number (GB 11643) -----------------------------------------------------------
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number_valid(number: str) -> bool:
    number = (number or "").strip().upper()
    return (len(number) == 18 and number[:17].isdigit() and number[17] in "0123456789X"
            and check_digit(number[:17]) == number[17])
