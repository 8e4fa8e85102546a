"""The kiosk offers the hall's own choices: as published over HTTP, same as from hall.toml."""

from hall.config import EXAMPLE_PATH
from kiosk.settings import KioskSettings
from onewindow.client import HallClient
from tests.support.hallserver import HallServer


def test_choices_from_the_hall_equal_those_from_its_file(tmp_path):
    from_file = KioskSettings()
    from_file.apply_hall_config(EXAMPLE_PATH)
    with HallServer(tmp_path) as hall:
        from_hall = KioskSettings(hall_url=hall.url)
        client = HallClient(hall.url, hall.device_token("kiosk"), timeout=3)
        try:
            from_hall.apply_choices(client.kiosk_config())   # the kiosk's own path
        finally:
            client.close()
    for field in ("domain_names", "green_reasons", "rating_reasons", "complaint_categories",
                  "complaint_phrases", "idle_seconds", "hall_name", "hall_name_en"):
        assert getattr(from_hall, field) == getattr(from_file, field), field
    assert from_hall.domain_names["talent"] == ("人才服务", "Talent services")
