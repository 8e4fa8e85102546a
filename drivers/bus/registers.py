"""Register maps of the window devices (the same tables as docs/devices.md): data, not framing."""

from __future__ import annotations

from enum import IntEnum


class DeviceKind(IntEnum):
    PAD = 1       # rating pad (评价器)
    LED = 2       # LED window screen (窗口屏)
    KEYPAD = 3    # call keypad (呼叫器)


KIND_NAMES = {"pad": DeviceKind.PAD, "led": DeviceKind.LED, "keypad": DeviceKind.KEYPAD}

# Holding registers common to every device. The master polls [seq, code, pending, ref] in one
# request (REG_POLL, POLL_COUNT); REG_TYPE identifies the device for tools.
REG_TYPE = 0x0000          # RO: DeviceKind
REG_EVENT_SEQ = 0x0001     # RO: sequence number of the oldest unacknowledged event, 0 if none yet
REG_EVENT_CODE = 0x0002    # RO: what happened (a PadKey level or a KeypadKey)
REG_EVENT_PENDING = 0x0003  # RO: events queued in the device, including this one
REG_EVENT_REF = 0x0004     # RO: pad: the request id that was showing when the key was pressed
STATUS_COUNT = 5
REG_POLL = REG_EVENT_SEQ
POLL_COUNT = 4
REG_EVENT_ACK = 0x0010     # WO: write the seq just handled; the device drops that event

# Rating pad
REG_PAD_MODE = 0x0020      # RW: PadMode
REG_PAD_REQUEST = 0x0021   # RW: request id (16 bits) shown with the rating request
REG_PAD_TEXT = 0x0030      # RW: 64 registers, GB2312, NUL padded: clerk and window, or reasons
PAD_TEXT_REGS = 64

# LED window screen: one write of [mode, length, text...] starting at REG_LED_MODE
REG_LED_MODE = 0x0020      # RW: LedMode
REG_LED_LEN = 0x0021       # RW: text length in bytes
REG_LED_TEXT = 0x0022      # RW: 32 registers, GB2312 (64 bytes: 32 Chinese characters)
LED_TEXT_REGS = 32


class PadMode(IntEnum):
    IDLE = 0        # shows the clerk and window; keys ignored
    RATING = 1      # lit up: "请评价" and five keys; the first key press is queued as an event
    THANKS = 2      # after a key: "谢谢您的评价"
    REASON = 3      # after a bad level: the text lists numbered reasons; the first key is queued


class LedMode(IntEnum):
    IDLE = 0        # e.g. "3号窗口 欢迎办理"
    CALLING = 1     # e.g. "A023 请到 3 号窗口"
    PAUSED = 2      # e.g. "暂停服务"


class KeypadKey(IntEnum):
    CALL_NEXT = 1
    RECALL = 2
    NO_SHOW = 3
    HOLD = 4
    PAUSE_RESUME = 5
    START = 6
    FINISH = 7


def text_to_registers(text: str, regs: int) -> tuple[list[int], int]:
    """GB2312 bytes packed big-endian two per register, NUL padded; (registers, byte length).

    Characters outside GB2312 become '?'; text longer than the field is cut at a character
    boundary so a half character never reaches the screen.
    """
    data = b""
    for ch in text:
        enc = ch.encode("gb2312", "replace")
        if len(data) + len(enc) > regs * 2:
            break
        data += enc
    length = len(data)
    padded = data + b"\x00" * (regs * 2 - length)
    return [(padded[i] << 8) | padded[i + 1] for i in range(0, regs * 2, 2)], length


def registers_to_text(values: list[int], length: int | None = None) -> str:
    raw = b"".join(v.to_bytes(2, "big") for v in values)
    raw = raw[:length] if length is not None else raw.split(b"\x00", 1)[0]
    return raw.decode("gb2312", "replace")
