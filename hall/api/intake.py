"""ID-card check-in for kiosks (issue 16): the salt to hash a card's number, and check-in by hash.

The kiosk hashes the number it reads with this hall's salt and sends only the hash; the hall
compares it with the hashes that came with the appointments (hall/intake.py). No ID number
ever reaches the hall, its database, its events or its logs.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from hall import intake
from hall.api.auth import require_device
from hall.api.routes import TicketOut, ticket_out
from hall.auth import Principal
from hall.errors import NotFound

api = APIRouter(prefix="/api/v1")


class IdCardCheckinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_hash: str = Field(pattern=r"^[0-9a-f]{64}$",
                         description="HMAC-SHA256(salt, 'id:' + ID number), hex; never the number")


@api.get("/kiosk/idcard-salt", tags=["tickets"])
def idcard_salt(request: Request, principal: Principal = Depends(require_device("kiosk"))) -> dict:
    """This hall's salt for hashing ID numbers read from cards (empty before the first pull)."""
    return {"salt": intake.id_salt(request.app.state.store)}


@api.post("/appointments/checkin-idcard", status_code=201, response_model=TicketOut, tags=["tickets"])
def check_in_by_card(body: IdCardCheckinIn, request: Request,
                     principal: Principal = Depends(require_device("kiosk"))) -> dict:
    """Check in today's appointment booked with the ID card the citizen tapped."""
    engine = request.app.state.engine
    codes = intake.appointment_codes_for_hash(request.app.state.store, body.id_hash, engine.business_date())
    if not codes:
        raise NotFound("no_appointment_for_card", "没有找到您今天的预约",
                       "no appointment today for this ID card")
    ticket = engine.check_in_appointment(codes[0])
    return ticket_out(request, ticket)


router = APIRouter()
router.include_router(api)
