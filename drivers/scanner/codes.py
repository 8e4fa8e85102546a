"""What a scanned code means: appointment code, ticket token or pickup code; anything else rejected."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LEN = 512
_APPT = re.compile(r"(?:OW1:A:)?(\d{8})")
_PICKUP = re.compile(r"OW1:P:([A-Za-z0-9-]{4,32})")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")


class ScanError(ValueError):
    """A code we cannot use, with a reason for the citizen (Chinese) and the log (English)."""

    def __init__(self, message: str, message_en: str):
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en


@dataclass(frozen=True)
class ScannedCode:
    kind: str    # appointment | ticket | pickup
    value: str   # 8-digit appointment code, ticket token, or pickup code


def parse_code(text: str, base_url: str | None = None) -> ScannedCode:
    """Classify one scanned or typed code.

    Ticket QR = `{base_url}/t/{token}` (any host when base_url is None); appointment =
    `OW1:A:<8 digits>` or the 8 digits alone; pickup = `OW1:P:<code>`. Raises ScanError for
    anything else, including a ticket link from another hall. Never raises anything else.
    """
    if not isinstance(text, str):
        raise ScanError("无法识别的扫码内容", "unreadable scan")
    code = text.strip().strip("\x00")
    if not code:
        raise ScanError("未读到内容，请重新扫码", "empty scan; please scan again")
    if len(code) > MAX_LEN:
        raise ScanError("二维码内容过长，无法识别", "code too long to be ours")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in code):
        raise ScanError("扫码内容含有乱码，请重新扫码", "scan contains control characters; scan again")
    if m := _APPT.fullmatch(code):
        return ScannedCode("appointment", m.group(1))
    if code.upper().startswith("OW1:A:"):
        raise ScanError("预约码应为 8 位数字", "appointment code must be 8 digits")
    if m := _PICKUP.fullmatch(code):
        return ScannedCode("pickup", m.group(1))
    if code.upper().startswith("OW1:P:"):
        raise ScanError("取件码格式不正确", "malformed pickup code")
    if code.lower().startswith(("http://", "https://")):
        return ScannedCode("ticket", _ticket_token(code, base_url))
    raise ScanError("无法识别的二维码（请扫描预约码、取号单或取件码）",
                    "unrecognised code (scan an appointment, ticket or pickup code)")


def _ticket_token(url: str, base_url: str | None) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ScanError("二维码链接无效", "invalid link in code") from None
    path = parts.path
    if base_url:
        base = urlsplit(base_url.rstrip("/"))
        if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()) \
                or not path.startswith(base.path + "/t/"):
            raise ScanError("这不是本大厅的取号单", "this ticket is not from this hall")
        path = path[len(base.path):]
    m = re.fullmatch(r"/t/([^/]+)/?", path)
    if not m:
        raise ScanError("二维码链接不是取号单", "link is not a ticket page")
    token = m.group(1)
    if not _TOKEN.fullmatch(token):
        raise ScanError("取号单二维码已损坏", "ticket code is damaged")
    return token
