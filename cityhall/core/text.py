"""Vietnamese text helpers: diacritics-free search keys."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")


def search_key(text: str) -> str:
    """Fold Vietnamese text to lower-case ASCII words: 'Phường Sài Gòn' -> 'phuong sai gon'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    ascii_text = _NON_WORD.sub(" ", ascii_text)
    return _SPACES.sub(" ", ascii_text).strip()
