"""Which reports tell of the same problem: pure matching over a bounded set of candidates.

The database picks the candidates (same category, same unit, within the time window,
a few hundred at most: `ReportQuerySet.duplicate_pool`); this module decides among them
from what each report says: its point, its address (as given, normalised) and its words.
Nothing here reads the database, so the rule is tested on plain objects.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Protocol

from cityhall.core.text import search_key

#: Words of an address that say what kind of place follows, in their long form.
_ABBREVIATIONS = {
    "p": "phuong", "f": "phuong", "q": "quan", "tp": "thanh pho",
    "tx": "thi xa", "tt": "thi tran", "x": "xa", "h": "huyen", "kp": "khu pho",
    "ap": "ap", "hcm": "ho chi minh", "tphcm": "thanh pho ho chi minh",
}
#: Words left out of an address: "đường Lê Lợi" and "Lê Lợi" are the same street, "số 12"
#: and "12" the same house.
_FILLER = {"duong", "d", "so"}
# The city's own name adds nothing inside one city.
_CITY = re.compile(r"\b(thanh pho )?ho chi minh\b|\bviet nam\b")
_TOKEN = re.compile(r"[a-z]+|\d+")
_SPACES = re.compile(r"\s+")
# Words that start a named division: what comes before the first is the street part.
_PLACE_WORDS = {"phuong", "quan", "xa", "huyen", "thi", "khu", "ap", "thanh"}

#: An address this close to another (0-1, difflib's ratio) is the same place.
ADDRESS_MATCH = 0.85
#: Descriptions this alike (0-1) tell of the same thing, wherever it is said to be.
TEXT_MATCH = 0.75
# Metres per degree of latitude and longitude (as `queries.nearby`).
_M_PER_DEG = 111_320.0


class Described(Protocol):
    """What the matching reads of a report (a `Report` has it; tests use plain objects)."""

    pk: int | None
    description: str
    address: str
    latitude: float | None
    longitude: float | None


def normalise_address(text: str) -> str:
    """An address in one spelling: no diacritics, lower case, abbreviations spelt out,
    filler words ("đường", "số") left out.

    'Số 12 Đường Lê Lợi, P. Bến Nghé, Q.1' -> '12 le loi phuong ben nghe quan 1'.
    """
    words: list[str] = []
    for token in _TOKEN.findall(search_key(text)):
        words.extend(_ABBREVIATIONS.get(token, token).split())
    joined = " ".join(w for w in words if w not in _FILLER)
    return _SPACES.sub(" ", _CITY.sub(" ", joined)).strip()


def street_part(address: str) -> str:
    """The normalised address before its first named division (the street and number)."""
    words = normalise_address(address).split()
    for i, word in enumerate(words):
        if word in _PLACE_WORDS and i > 0:
            return " ".join(words[:i])
    return " ".join(words)


def similarity(a: str, b: str) -> float:
    """How alike two texts are (0-1), without regard to diacritics, case or punctuation."""
    left, right = search_key(a), search_key(b)
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def address_similarity(a: str, b: str) -> float:
    """How alike two addresses are once normalised (0 when either is empty)."""
    left, right = normalise_address(a), normalise_address(b)
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    whole = SequenceMatcher(None, left, right, autojunk=False).ratio()
    streets = street_part(a), street_part(b)
    numbers = [[w for w in s.split() if w.isdigit()] for s in streets]
    if numbers[0] and numbers[1] and numbers[0] != numbers[1]:
        # "12 Lê Lợi" and "14 Lê Lợi" read alike but are two houses.
        return whole / 2
    if streets[0] and streets[0] == streets[1] and numbers[0]:
        # "12 Lê Lợi" and "12 Lê Lợi, Phường Sài Gòn": the same street and number, one of
        # them saying the ward too.
        return max(whole, ADDRESS_MATCH)
    return whole


def distance_m(a: Described, b: Described) -> float | None:
    """Metres between two reports' points (None when either has none)."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    dy = (a.latitude - b.latitude) * _M_PER_DEG
    dx = (a.longitude - b.longitude) * _M_PER_DEG * math.cos(math.radians(a.latitude))
    return math.hypot(dx, dy)


@dataclass(frozen=True)
class Match:
    """A candidate that may tell of the same problem, why, and how sure (0-1)."""

    report: Described
    score: float
    near: bool
    same_address: bool
    similar_text: bool


def match(report: Described, candidates: list[Described], *, radius_m: float,
          limit: int = 10) -> list[Match]:
    """The candidates that may duplicate `report`, surest first.

    One is a match when its point lies within `radius_m`, when its address is the same
    once normalised (an address-only report has no point), or when its description is
    nearly the same. The score weighs the place and the words equally.
    """
    found: list[Match] = []
    for other in candidates:
        if other.pk is not None and other.pk == report.pk:
            continue
        metres = distance_m(report, other)
        near = metres is not None and metres <= radius_m
        place = address_similarity(report.address, other.address)
        same_address = place >= ADDRESS_MATCH
        text = similarity(report.description, other.description)
        similar_text = text >= TEXT_MATCH
        if not (near or same_address or similar_text):
            continue
        closeness = max(place, 1 - metres / radius_m if near and metres is not None else 0.0)
        found.append(Match(other, round((closeness + text) / 2, 3), near, same_address,
                           similar_text))
    found.sort(key=lambda m: (-m.score, -(m.report.pk or 0)))
    return found[:limit]
