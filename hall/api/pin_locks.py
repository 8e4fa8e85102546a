"""The manager's view of PIN lock-outs: which devices (client addresses) are slowed down or
locked after wrong PINs, and unlocking one (issue 15: lock the source, not the account)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from hall.api.auth import require_manager
from hall.errors import NotFound

router = APIRouter(prefix="/api/v1/admin/pin-locks", tags=["admin"],
                   dependencies=[Depends(require_manager)])


class UnlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(default=None, min_length=1, max_length=64)
    staff_id: str | None = Field(default=None, min_length=1, max_length=40)


@router.get("")
def list_locks(request: Request) -> dict:
    """Sources that failed PIN sign-in several times in a row; `locked` ones cannot sign in."""
    return {"sources": request.app.state.auth.pin_locks()}


@router.post("/unlock")
def unlock(body: UnlockIn, request: Request) -> dict:
    """Let a device sign in again (`source`), and/or clear a staff id's failed attempts."""
    auth = request.app.state.auth
    if not body.source and not body.staff_id:
        raise NotFound("nothing_to_unlock", "请指定设备地址或工号", "Give a source address or a staff id")
    done = {}
    if body.source:
        if not auth.unlock_source(body.source):
            raise NotFound("no_lock", f"设备 {body.source} 没有被锁定", f"Source {body.source} is not locked")
        done["source"] = body.source
    if body.staff_id:
        auth.unlock(body.staff_id)
        done["staff_id"] = body.staff_id
    return {"unlocked": done}
