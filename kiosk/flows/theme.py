"""Theme services (一件事) at the kiosk: one tile, one ticket, one combined material list.

Rules this flow owns:
- A theme from the hall's kiosk-config (GET /api/v1/kiosk-config "themes") shows as a tile
  among the pinned services, open, full and waiting as its ticket service is.
- Choosing it goes through the ordinary confirm screen with the theme's combined materials;
  the ticket is issued with POST /api/v1/themes/{id}/tickets (same idempotency rules), and the
  accepting window opens one matter per service of the theme (hall/matters.py).
"""

from __future__ import annotations

THEME_PREFIX = "theme:"


def theme_tiles(services: list[dict], themes: list[dict]) -> list[dict]:
    """Service-shaped tiles for the themes whose ticket service the hall offers."""
    by_id = {s.get("id"): s for s in services}
    tiles = []
    for t in themes or []:
        base = by_id.get(t.get("ticket_service"))
        if base is None:
            continue
        tiles.append({**base, "id": THEME_PREFIX + t["id"], "theme_id": t["id"], "service_id": base["id"],
                      "name_zh": t["name_zh"], "name_en": t.get("name_en") or t["name_zh"],
                      "materials": list(t.get("materials") or []), "materials_electronic": [],
                      "pinned": True})
    return tiles
