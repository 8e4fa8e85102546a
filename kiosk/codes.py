"""What a scanned or typed code means to the kiosk: appointment, ticket or pickup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse


@dataclass(frozen=True)
class Code:
    kind: str    # appointment | ticket | pickup
    value: str


class BadCode(ValueError):
    def __init__(self, message: str, message_en: str):
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en


_APPOINTMENT = re.compile(r"^(?:OW1:A:)?(\d{8})$", re.IGNORECASE)
_PICKUP = re.compile(r"^OW1:P:([A-Za-z0-9-]{1,32})$", re.IGNORECASE)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


def parse(text: str) -> Code:
    """Parse one scan. Uses drivers.scanner.parse_code when present, so the kiosk and the
    scanner driver agree; this fallback knows the same three forms (DESIGN §4 codes)."""
    text = (text or "").strip()
    try:
        from drivers.scanner import ScanError, parse_code
    except ImportError:
        parse_code = None
    if parse_code is not None:
        try:
            scanned = parse_code(text)
        except ScanError as exc:
            raise BadCode(getattr(exc, "message", "无法识别的二维码"),
                          getattr(exc, "message_en", "Unrecognised code")) from exc
        return Code(scanned.kind, str(scanned.value))
    m = _APPOINTMENT.match(text)
    if m:
        return Code("appointment", m.group(1))
    m = _PICKUP.match(text)
    if m:
        return Code("pickup", m.group(1))
    if "/t/" in text:
        path = urlparse(text).path if "://" in text else text
        token = path.rsplit("/t/", 1)[-1].strip("/")
        if _TOKEN.match(token):
            return Code("ticket", token)
    raise BadCode("无法识别的二维码，请扫描预约码或取号凭条上的二维码",
                  "Unrecognised code: scan an appointment code or the QR on your ticket")
