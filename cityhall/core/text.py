"""Text helpers: diacritics-free search keys, text the database cannot store, text kept in
each language of the site."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import QueryDict
from django.utils import translation

_SPACES = re.compile(r"\s+")
# A UTF-16 surrogate on its own: a crafted request can carry one (a JSON "\ud800", a
# multipart part in UTF-7), and no UTF-8 encoder, PostgreSQL's included, accepts it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
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


def is_valid_unicode(text: str) -> bool:
    """Whether text can be written as UTF-8: no lone surrogate."""
    return _SURROGATE.search(text) is None


def querydict_has_invalid_unicode(data: QueryDict) -> bool:
    """Whether any key or value of a query or form dictionary holds a lone surrogate."""
    return not all(is_valid_unicode(key) and all(is_valid_unicode(v) for v in data.getlist(key))
                   for key in data)


def in_each_language(build: Callable[[], str]) -> dict[str, str]:
    """`build()`'s text in every language of the site, keyed by language code.

    For words written once and read later by people of either language (why a report
    went to its unit): each language's text is made while that language is active.
    """
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = build()
    return texts


def in_reader_language(texts: dict[str, str], fallback: str) -> str:
    """The text of `in_each_language` for the active language; `fallback` if there is none."""
    return texts.get(translation.get_language() or "", "") or fallback
