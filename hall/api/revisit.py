"""电话回访 over HTTP (manager only): reveal a case's contact number, each reveal audited."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hall.api.auth import require_manager
from hall.auth import Principal

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=200)


@router.post("/cases/{case_id}/contact")
def reveal_contact(case_id: str, body: RevealIn, request: Request, response: Response,
                   principal: Principal = Depends(require_manager)) -> dict:
    """The full number for a revisit call (the citizen consented when leaving it). Each call is
    recorded with who, when and why; the number is never logged or put in an event."""
    from hall.revisit import reveal

    response.headers["Cache-Control"] = "no-store"
    engine = request.app.state.engine
    return reveal(request.app.state.store, case_id, principal.id, body.reason, engine.clock.now())


@router.get("/cases/{case_id}/contact-reveals")
def contact_reveals(case_id: str, request: Request, principal: Principal = Depends(require_manager)) -> list[dict]:
    """Who saw the case's number, when and why."""
    from hall.revisit import reveals_of

    return reveals_of(request.app.state.store, case_id)
