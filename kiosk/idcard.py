"""The kiosk's ID-card reader: the driver's polling reader, hashing on the reader thread.

The number read from a card is hashed at once with the hall's salt (sync/identity.py) and
only the hash and the masked name leave the reader thread; the CardInfo is dropped there.
Nothing here logs the number or the name. A reader that is absent or fails is a status
(shown on the check-in screen); QR and code check-in do not depend on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from drivers.idcard import IdCardReader, ReaderStatus, mask_name
from sync.identity import id_hash

log = logging.getLogger(__name__)


class IdCardPort:
    """`on_card(id_hash, name_masked)` and `on_status(state, zh, en)` run on the reader thread;
    the kiosk forwards them through queued signals. `salt` is set when the hall's is known
    (an empty salt gives an empty hash: the kiosk then says the check is not ready)."""

    def __init__(self, url: str | None, on_card: Callable[[str, str], None],
                 on_status: Callable[[str, str, str], None], *, poll_interval: float = 0.25):
        self.url = url
        self.salt = ""
        self._on_card = on_card
        self._on_status = on_status
        self._reader: IdCardReader | None = None
        self.poll_interval = poll_interval

    def open(self) -> None:
        if not self.url:
            return
        self._reader = IdCardReader(self.url, self._card, on_status=self._status,
                                    on_error=lambda zh, en: self._on_status("retry", zh, en),
                                    poll_interval=self.poll_interval).start()

    def _card(self, info) -> None:
        hashed = id_hash(self.salt, info.id_number)
        masked = mask_name(info.name)
        del info
        self._on_card(hashed, masked)

    def _status(self, st: ReaderStatus) -> None:
        self._on_status(st.state, st.text_zh, st.text_en)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
