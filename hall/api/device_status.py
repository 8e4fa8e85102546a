"""Kiosks and displays report their own devices' state (printer paper, scanner) to the hall;
`onewindow sync` sends the latest of each to the central's fleet view (hall/health_report.py)."""

from __future__ import annotations

import json
import time
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from hall.api.auth import require_device
from hall.auth import Principal

router = APIRouter(prefix="/api/v1", tags=["devices"])

PrinterState = Literal["ok", "near_end", "out", "cover_open", "offline", "unknown", "none"]


class PartState(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: str = Field(max_length=20, pattern=r"^[a-z_]+$")
    detail: str = Field(default="", max_length=200)


class DeviceStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    printer: PartState | None = None
    scanner: PartState | None = None
    screen: PartState | None = None


@router.post("/devices/me/status")
def report_status(body: DeviceStatusIn, request: Request,
                  principal: Principal = Depends(require_device("kiosk", "display"))) -> dict:
    """The calling device's own state; the latest report per device is kept."""
    status = body.model_dump(exclude_none=True)
    with request.app.state.store.transaction() as c:
        c.execute("INSERT INTO device_status (device_id, name, role, status, reported_at) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET name = excluded.name,"
                  " role = excluded.role, status = excluded.status, reported_at = excluded.reported_at",
                  (principal.id, principal.name, principal.role,
                   json.dumps(status, ensure_ascii=False), time.time()))
    return {"ok": True}
