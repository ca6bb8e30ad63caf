"""Vietnamese text helpers: diacritics-free search keys."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.http import QueryDict

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")


def search_key(text: str) -> str:
    """Fold Vietnamese text to lower-case ASCII words: 'Phường Sài Gòn' -> 'phuong sai gon'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    ascii_text = _NON_WORD.sub(" ", ascii_text)
    return _SPACES.sub(" ", ascii_text).strip()


def has_nul(values: Iterable[str]) -> bool:
    """Whether any of the strings holds a NUL character (PostgreSQL text refuses them)."""
    return any("\x00" in value for value in values)


def querydict_has_nul(data: QueryDict) -> bool:
    """Whether any key or value of a query or form dictionary holds a NUL character."""
    return has_nul(data.keys()) or any(has_nul(data.getlist(key)) for key in data)
