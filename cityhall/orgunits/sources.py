"""Reading the registry's source data: vietnam-provinces, vietnamadminunits and our JSON file."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from cityhall.core.text import search_key
from cityhall.orgunits.geo import distance_km
from cityhall.orgunits.models import UnitKind

PROVINCE_CODE = "79"
PROVINCE_NAME = "Thành phố Hồ Chí Minh"
PROVINCE_ELECTRONIC_ID = "000.00.00.H29"
#: The two-level government started on this day; the old units ended the day before.
REFORM_DAY = dt.date(2025, 7, 1)
LEGACY_END = REFORM_DAY - dt.timedelta(days=1)
#: Legacy provinces merged into Ho Chi Minh City (code -> converter key).
LEGACY_PROVINCES = {"74": "tinhbinhduong", "77": "tinhbariavungtau", "79": "thanhphohochiminh"}
HCMC_KEY = "thanhphohochiminh"

# A unit's natural key in the loader: its code and the day it started (None for legacy units).
UnitKey = tuple[str, dt.date | None]

_NEW_KIND = {"phường": UnitKind.WARD, "xã": UnitKind.COMMUNE, "đặc khu": UnitKind.SPECIAL_ZONE}
# Thị trấn (townships) were commune-level units of a district; they map to `commune` so the
# eight kinds stay as they are, and the full name keeps "Thị trấn" visible.
_LEGACY_WARD_KIND = {"Phường": UnitKind.WARD, "Xã": UnitKind.COMMUNE, "Thị trấn": UnitKind.COMMUNE}
_ENGLISH_SUFFIX = {
    "Phường": "Ward", "Xã": "Commune", "Đặc khu": "Special Zone", "Thị trấn": "Township",
    "Quận": "District", "Huyện": "District", "Thị xã": "Town", "Thành phố": "City",
    "Tỉnh": "Province",
}


@dataclass(frozen=True)
class UnitRow:
    """One unit as the sources describe it."""

    code: str
    kind: str
    name: str
    short_name: str
    name_en: str
    parent: UnitKey | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    latitude: float | None = None
    longitude: float | None = None
    area_km2: float | None = None
    electronic_id: str = ""

    @property
    def key(self) -> UnitKey:
        return (self.code, self.valid_from)


@dataclass(frozen=True)
class SuccessionRow:
    """An old unit's link to a new one."""

    predecessor: UnitKey
    successor: UnitKey
    is_primary: bool
    note: str = ""


@dataclass
class RegistryData:
    """Everything the loader writes, parents before children."""

    units: list[UnitRow] = field(default_factory=list)
    successions: list[SuccessionRow] = field(default_factory=list)
    #: Names on which the two packages disagree about the code: name -> (ours, converter's).
    code_disagreements: dict[str, tuple[str, str]] = field(default_factory=dict)


def english_name(full_name: str, type_word: str) -> str:
    """'Phường Sài Gòn' -> 'Sài Gòn Ward'; 'Quận 1' -> 'District 1'."""
    rest = full_name[len(type_word):].strip() if full_name.startswith(type_word) else full_name
    suffix = _ENGLISH_SUFFIX.get(type_word, "")
    if not suffix:
        return full_name
    if rest.isdigit():
        return f"{suffix} {rest}"
    return f"{rest} {suffix}"


def join_key(name: str) -> str:
    """The name as the packages are joined on: NFC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).lower().split())


def _package_data_dir() -> Path:
    return Path(str(files("vietnamadminunits"))) / "data"


@cache
def _converter() -> dict[str, Any]:
    with open(_package_data_dir() / "converter_2025.json", encoding="utf-8") as fh:
        return json.load(fh)


@cache
def _parser_2025() -> dict[str, Any]:
    with open(_package_data_dir() / "parser_from_2025.json", encoding="utf-8") as fh:
        return json.load(fh)


def _dataset(sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    # Read-only: the package's own SQLite file, opened by URI so nothing is ever written to it.
    uri = f"file:{_package_data_dir() / 'dataset.db'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params).fetchall()]


def official_wards() -> list[tuple[str, str, str]]:
    """The 168 units of province 79 from vietnam-provinces: (code, name, division type)."""
    from vietnam_provinces import ProvinceCode, Ward

    return [
        (str(int(w.code)), w.name, w.division_type.value)
        for w in Ward.iter_by_province(ProvinceCode(int(PROVINCE_CODE)))
    ]


def converter_wards() -> list[dict[str, Any]]:
    """The new units of province 79 in vietnamadminunits, with centre and area."""
    return _dataset("SELECT * FROM admin_units WHERE provinceCode = ?", (PROVINCE_CODE,))


def legacy_rows() -> list[dict[str, Any]]:
    """Pre-July-2025 wards of the three merged provinces (one row per ward)."""
    return _dataset(
        "SELECT * FROM admin_units_legacy WHERE provinceCode IN (?, ?, ?)"
        " ORDER BY provinceCode, districtCode, wardCode",
        tuple(LEGACY_PROVINCES),
    )


def new_ward_name_by_key() -> dict[str, str]:
    """The converter's new-unit keys ('phuongsaigon') -> full names ('Phường Sài Gòn')."""
    data = _parser_2025()
    names: dict[str, str] = {}
    for table in ("DICT_PROVINCE_WARD_NO_ACCENTED", "DICT_PROVINCE_WARD_ACCENTED"):
        for key, row in data[table].get(HCMC_KEY, {}).items():
            names[key] = row["ward"]
    return names


def converter_mapping() -> dict[str, list[tuple[str, bool]]]:
    """Old 'province_district_ward' key -> [(new unit key, takes the open work)]."""
    conv = _converter()
    mapping: dict[str, list[tuple[str, bool]]] = {}
    for new_key, old_keys in conv["DICT_PROVINCE_WARD_NO_DIVIDED"][HCMC_KEY].items():
        for old_key in old_keys:
            mapping.setdefault(old_key, []).append((new_key, True))
    for old_key, targets in conv["DICT_PROVINCE_WARD_DIVIDED"][HCMC_KEY].items():
        for target in targets:
            mapping.setdefault(old_key, []).append(
                (target["newWardKey"], bool(target["isDefaultNewWard"]))
            )
    return mapping


def _short(name: str, type_word: str) -> str:
    return name[len(type_word):].strip() if name.lower().startswith(type_word.lower()) else name


def _new_units(data: RegistryData) -> dict[str, UnitRow]:
    """Add the 168 units; return them by join key."""
    geo: dict[str, list[dict[str, Any]]] = {}
    for ward in converter_wards():
        geo.setdefault(search_key(ward["ward"]), []).append(ward)
    province_key: UnitKey = (PROVINCE_CODE, REFORM_DAY)
    by_name: dict[str, UnitRow] = {}
    for code, raw_name, division in official_wards():
        # vietnam-provinces has stray double spaces in a few names ("Phường  An Nhơn").
        name = " ".join(raw_name.split())
        # Join on the diacritics-free name; when two names fold alike (Xã Thanh An and
        # Xã Thạnh An) the exact name decides.
        candidates = geo.get(search_key(name), [])
        if len(candidates) > 1:
            candidates = [r for r in candidates if join_key(r["ward"]) == join_key(name)]
        match = candidates[0] if len(candidates) == 1 else None
        if match is None:
            raise ValueError(f"no centre/area for {name} in vietnamadminunits")
        if match["wardCode"] != code:
            data.code_disagreements[name] = (code, match["wardCode"])
        type_word = name[: len(name) - len(_short(name, match["wardType"]))].strip()
        row = UnitRow(
            code=code,
            kind=_NEW_KIND[division],
            name=name,
            short_name=_short(name, type_word),
            name_en=english_name(name, type_word),
            parent=province_key,
            valid_from=REFORM_DAY,
            valid_to=None,
            latitude=match["wardLat"],
            longitude=match["wardLon"],
            area_km2=match["wardAreaKm2"],
        )
        data.units.append(row)
        by_name[join_key(name)] = row
    return by_name


def _legacy_units(data: RegistryData, new_by_name: dict[str, UnitRow]) -> None:
    """Add the ended provinces, districts and wards with their successions."""
    rows = legacy_rows()
    mapping = converter_mapping()
    names = new_ward_name_by_key()
    province_key: UnitKey = (PROVINCE_CODE, REFORM_DAY)

    provinces: dict[str, UnitKey] = {PROVINCE_CODE: province_key}
    districts: dict[tuple[str, str], UnitKey] = {}
    district_centres: dict[UnitKey, tuple[float, float]] = {}
    district_successors: dict[UnitKey, dict[UnitKey, UnitRow]] = {}

    for raw in rows:
        r: dict[str, Any] = {
            k: " ".join(v.split()) if isinstance(v, str) else v for k, v in raw.items()
        }
        pcode = r["provinceCode"]
        if pcode not in provinces:
            row = UnitRow(
                code=pcode, kind=UnitKind.PROVINCE, name=r["province"],
                short_name=r["provinceShort"], name_en=english_name(r["province"], "Tỉnh"),
                parent=None, valid_from=None, valid_to=LEGACY_END,
                latitude=r["provinceLat"], longitude=r["provinceLon"],
            )
            data.units.append(row)
            provinces[pcode] = row.key
            data.successions.append(SuccessionRow(row.key, province_key, is_primary=True))
        dkey = (pcode, r["districtCode"])
        if dkey not in districts:
            row = UnitRow(
                code=r["districtCode"], kind=UnitKind.DISTRICT, name=r["district"],
                short_name=r["districtShort"],
                name_en=english_name(r["district"], r["districtType"]),
                parent=provinces[pcode], valid_from=None, valid_to=LEGACY_END,
                latitude=r["districtLat"], longitude=r["districtLon"],
            )
            data.units.append(row)
            districts[dkey] = row.key
            district_centres[row.key] = (r["districtLat"], r["districtLon"])
            district_successors[row.key] = {}
        district = districts[dkey]

        old_key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        targets = mapping.get(old_key)
        if not targets:
            raise ValueError(f"no successor for {old_key} in vietnamadminunits")
        successors = [(new_by_name[join_key(names[k])], primary) for k, primary in targets]
        for successor, _primary in successors:
            district_successors[district][successor.key] = successor
        if r["wardCode"] is None:
            # Côn Đảo had no wards: the district itself became the special zone.
            for successor, primary in successors:
                data.successions.append(SuccessionRow(district, successor.key, primary))
            district_successors.pop(district)
            continue
        ward = UnitRow(
            code=r["wardCode"], kind=_LEGACY_WARD_KIND[r["wardType"]], name=r["ward"],
            short_name=r["wardShort"], name_en=english_name(r["ward"], r["wardType"]),
            parent=district, valid_from=None, valid_to=LEGACY_END,
            latitude=r["wardLat"], longitude=r["wardLon"],
        )
        data.units.append(ward)
        for successor, primary in successors:
            note = "" if len(successors) == 1 else "split"
            data.successions.append(SuccessionRow(ward.key, successor.key, primary, note))

    for district, new_units in district_successors.items():
        # A district's open work goes to the new unit nearest its old centre (where its
        # People's Committee sat, in practice); the others are listed as successors too.
        centre = district_centres[district]
        nearest = min(
            new_units.values(),
            key=lambda u: distance_km(*centre, u.latitude or 0.0, u.longitude or 0.0),
        )
        for key in sorted(new_units, key=lambda k: k[0]):
            data.successions.append(SuccessionRow(district, key, key == nearest.key))


def _departments() -> list[dict[str, str]]:
    path = Path(__file__).parent / "data" / "departments.json"
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["departments"]


def registry_data() -> RegistryData:
    """The whole registry as the sources describe it (no database access)."""
    data = RegistryData()
    province = next(r for r in converter_wards())
    data.units.append(
        UnitRow(
            code=PROVINCE_CODE, kind=UnitKind.PROVINCE, name=PROVINCE_NAME,
            short_name="TP. Hồ Chí Minh", name_en="Ho Chi Minh City", parent=None,
            valid_from=REFORM_DAY, valid_to=None, electronic_id=PROVINCE_ELECTRONIC_ID,
            latitude=province["provinceLat"], longitude=province["provinceLon"],
        )
    )
    province_key: UnitKey = (PROVINCE_CODE, REFORM_DAY)
    for dept in _departments():
        data.units.append(
            UnitRow(
                code=dept["code"], kind=UnitKind.DEPARTMENT, name=dept["name"],
                short_name=dept["short_name"], name_en=dept["name_en"], parent=province_key,
                valid_from=REFORM_DAY, valid_to=None, electronic_id=dept.get("electronic_id", ""),
            )
        )
    new_by_name = _new_units(data)
    _legacy_units(data, new_by_name)
    return data
