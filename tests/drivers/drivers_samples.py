"""Sample data shared by the driver tests: a ticket, the hall name, the golden-bytes folder."""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"

SAMPLE_TICKET = {
    "number": "A023",
    "service_name_zh": "不动产登记：抵押，注销",
    "service_name_en": "Real estate registration",
    "ahead": 3,
    "eta_minutes": 12,
    "status_url": "http://127.0.0.1:8470/t/abcDEF123_-x",
    "issued_at": 1795845600,          # 2026-11-28 14:00 in Asia/Shanghai
    "priority_reason": "老年人",
}
HALL = "某某市政务服务中心"
