"""Pinyin initials of Chinese names (企业设立登记 -> qysldj), so a clerk finds a service by
typing a few letters. pypinyin carries the dictionary (and the common reading of
polyphones such as 重 and 长); computed once per name."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(ch for part in letters for ch in part.lower() if ch.isalnum())
