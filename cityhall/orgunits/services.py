"""Every write to the registry: loading, creating, updating, reorganising, boundaries."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import mapping

from cityhall.core import audit
from cityhall.core.audit import Actor
from cityhall.core.text import search_key
from cityhall.orgunits import reorganisation
from cityhall.orgunits.audit_actions import RegistryAudit
from cityhall.orgunits.geo import BadGeometry, area_shape
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitSuccession
from cityhall.orgunits.sources import REFORM_DAY, RegistryData, UnitKey, UnitRow, registry_data

# Fields the loader keeps in step with the sources; validity dates are set on creation only,
# so a later reorganisation is never undone by re-running the load.
_LOADED_FIELDS = ("kind", "name", "short_name", "name_en", "latitude", "longitude", "area_km2")
#: What `create_unit` takes and `update_unit` may change (the boundary comes from
#: `import_boundaries`; the path and search key are computed).
EDITABLE_FIELDS = (
    "code", "kind", "name", "short_name", "name_en", "parent", "electronic_id", "valid_from",
    "valid_to", "latitude", "longitude", "area_km2", "is_demo",
)


@dataclass
class LoadReport:
    """What one run of the loader changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    successions_created: int = 0
    successions_updated: int = 0
    #: Predecessors whose successors a person has set: the sources' links left alone.
    successions_kept: list[str] = field(default_factory=list)
    code_disagreements: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.updated or self.successions_created or self.successions_updated
        )


def snapshot(unit: Unit) -> dict[str, Any]:
    """The unit's editable fields (the parent by id), for the audit trail's before and after."""
    return {name: getattr(unit, "parent_id" if name == "parent" else name) for name in
            EDITABLE_FIELDS}


def _sync_unit(row: UnitRow, existing: Unit | None, parent: Unit | None) -> tuple[Unit, bool]:
    """Create or update one unit from its row; return it and whether it changed."""
    if existing is None:
        unit = Unit(
            code=row.code, valid_from=row.valid_from, valid_to=row.valid_to, parent=parent,
            electronic_id=row.electronic_id,
            **{name: getattr(row, name) for name in _LOADED_FIELDS},
        )
        unit.save()
        return unit, True
    changed = False
    for name in _LOADED_FIELDS:
        if getattr(existing, name) != getattr(row, name):
            setattr(existing, name, getattr(row, name))
            changed = True
    # An electronic id typed in by an administrator is kept when the source has none.
    if row.electronic_id and existing.electronic_id != row.electronic_id:
        existing.electronic_id = row.electronic_id
        changed = True
    if existing.parent_id != (parent.pk if parent else None):
        existing.parent = parent
        changed = True
    if changed:
        existing.save()
    return existing, changed


def load_registry(*, actor: Actor, data: RegistryData | None = None) -> LoadReport:
    """Bring the city, departments, 168 units and the legacy units in line with the sources."""
    data = data or registry_data()
    report = LoadReport(code_disagreements=dict(data.code_disagreements))
    with transaction.atomic():
        wanted = {row.key for row in data.units}
        units: dict[UnitKey, Unit] = {
            (u.code, u.valid_from): u
            for u in Unit.objects.filter(code__in={key[0] for key in wanted})
            if (u.code, u.valid_from) in wanted
        }
        for row in data.units:
            parent = units[row.parent] if row.parent else None
            unit, changed = _sync_unit(row, units.get(row.key), parent)
            if changed:
                (report.updated if row.key in units else report.created).append(unit.code)
            units[row.key] = unit

        links = {
            (s.predecessor_id, s.successor_id): s
            for s in UnitSuccession.objects.filter(
                predecessor_id__in=[u.pk for u in units.values()]
            )
        }
        for succession in data.successions:
            pred, succ = units[succession.predecessor], units[succession.successor]
            if pred.successions_by_hand:
                # A person has linked, corrected or removed this unit's successors since the
                # sources were loaded: restoring the sources' links would undo that fix.
                if pred.code not in report.successions_kept:
                    report.successions_kept.append(pred.code)
                continue
            link = links.get((pred.pk, succ.pk))
            if link is None:
                UnitSuccession.objects.create(
                    predecessor=pred, successor=succ, effective_on=REFORM_DAY,
                    is_primary=succession.is_primary, note=succession.note,
                )
                report.successions_created += 1
            elif (link.is_primary, link.note, link.effective_on) != (
                succession.is_primary, succession.note, REFORM_DAY
            ):
                link.is_primary, link.note = succession.is_primary, succession.note
                link.effective_on = REFORM_DAY
                link.save(update_fields=["is_primary", "note", "effective_on"])
                report.successions_updated += 1

        if report.changed:
            audit.record(
                actor=actor,
                action=RegistryAudit.LOAD_REGISTRY,
                changes={
                    "created": len(report.created),
                    "updated": sorted(set(report.updated)),
                    "successions_created": report.successions_created,
                    "successions_updated": report.successions_updated,
                },
            )
    return report


def _clean(unit: Unit) -> None:
    # search_name and path are computed by save(); they are empty until then.
    unit.full_clean(exclude=["search_name", "path"], validate_constraints=True)
    if unit.valid_from and unit.valid_to and unit.valid_to < unit.valid_from:
        raise ValidationError({"valid_to": _("A unit cannot end before it starts.")})
    if unit.parent_id and unit.parent_id == unit.pk:
        raise ValidationError({"parent": _("A unit cannot be its own parent.")})


def create_unit(
    *,
    actor: Actor,
    code: str,
    kind: str,
    name: str,
    parent: Unit | None = None,
    short_name: str = "",
    name_en: str = "",
    electronic_id: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    area_km2: float | None = None,
    is_demo: bool = False,
) -> Unit:
    """Create a unit after validating it; audited."""
    unit = Unit(
        code=code, kind=kind, name=name, parent=parent, short_name=short_name, name_en=name_en,
        electronic_id=electronic_id, valid_from=valid_from, valid_to=valid_to,
        latitude=latitude, longitude=longitude, area_km2=area_km2, is_demo=is_demo,
    )
    with transaction.atomic():
        _clean(unit)
        unit.save()
        audit.record(
            actor=actor, action=RegistryAudit.CREATE_UNIT, obj=unit,
            changes=audit.diff({}, snapshot(unit)), unit=unit,
        )
    return unit


def update_unit(*, actor: Actor, unit: Unit, **changes: Any) -> Unit:
    """Change some of a unit's fields after validating them; audited with before/after."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        before = snapshot(unit)
        for name, value in changes.items():
            setattr(unit, name, value)
        _clean(unit)
        after = snapshot(unit)
        delta = audit.diff(before, after)
        if delta:
            unit.save()
            if "code" in delta or "parent" in delta:
                refresh_paths(unit)
            audit.record(actor=actor, action=RegistryAudit.UPDATE_UNIT, obj=unit, changes=delta,
                         unit=unit)
    return unit


def refresh_paths(unit: Unit) -> None:
    """Recompute the materialised paths below a unit whose code or parent changed."""
    for child in Unit.objects.filter(parent=unit):
        child.save()
        refresh_paths(child)


#: What `update_succession` may change.
SUCCESSION_FIELDS = ("predecessor", "successor", "effective_on", "is_primary", "note")


def _succession_snapshot(link: UnitSuccession) -> dict[str, Any]:
    return {
        "predecessor": link.predecessor.code,
        "successor": link.successor.code,
        "effective_on": link.effective_on.isoformat(),
        "is_primary": link.is_primary,
        "note": link.note,
    }


def _save_succession(link: UnitSuccession) -> list[str]:
    """Validate and save a link; when it is primary, the predecessor's other links stop being.

    Returns the codes of the successors that lost the primary mark.
    """
    if link.predecessor_id == link.successor_id:
        raise ValidationError({"successor": _("A unit cannot succeed itself.")})
    link.note = link.note[:255]
    link.full_clean()
    link.save()
    if not link.is_primary:
        return []
    others = UnitSuccession.objects.filter(predecessor_id=link.predecessor_id, is_primary=True) \
        .exclude(pk=link.pk).select_related("successor")
    demoted = sorted(other.successor.code for other in others)
    others.update(is_primary=False)
    return demoted


def _set_by_hand(predecessor_pk: int) -> None:
    """Mark a unit's successors as set by a person, so the registry loader keeps them."""
    Unit.objects.filter(pk=predecessor_pk, successions_by_hand=False).update(
        successions_by_hand=True)


def link_successor(
    *,
    actor: Actor,
    predecessor: Unit,
    successor: Unit,
    effective_on: dt.date,
    is_primary: bool = False,
    note: str = "",
) -> UnitSuccession:
    """Record that `successor` took over (part of) `predecessor` on a day; audited.

    A primary link (where open work goes) takes the mark from the predecessor's others.
    """
    link = UnitSuccession(predecessor=predecessor, successor=successor,
                          effective_on=effective_on, is_primary=is_primary, note=note)
    with transaction.atomic():
        demoted = _save_succession(link)
        _set_by_hand(predecessor.pk)
        changes = audit.diff({}, _succession_snapshot(link))
        if demoted:
            changes["primary_taken_from"] = demoted
        audit.record(actor=actor, action=RegistryAudit.LINK_SUCCESSOR, obj=link, unit=successor,
                     changes=changes)
    return link


def update_succession(
    *, actor: Actor, succession: UnitSuccession, **changes: Any
) -> UnitSuccession:
    """Correct a succession link (the primary successor, the day, the note); audited."""
    unknown = set(changes) - set(SUCCESSION_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        before = _succession_snapshot(succession)
        for name, value in changes.items():
            setattr(succession, name, value)
        if audit.diff(before, _succession_snapshot(succession)):
            demoted = _save_succession(succession)
            _set_by_hand(succession.predecessor_id)
            delta = audit.diff(before, _succession_snapshot(succession))
            if demoted:
                delta["primary_taken_from"] = demoted
            audit.record(actor=actor, action=RegistryAudit.UPDATE_SUCCESSION, obj=succession,
                         unit=succession.successor, changes=delta)
    return succession


def unlink_successor(*, actor: Actor, succession: UnitSuccession) -> None:
    """Remove a succession link recorded by mistake; the audit entry keeps what it was."""
    with transaction.atomic():
        audit.record(
            actor=actor, action=RegistryAudit.UNLINK_SUCCESSOR, obj=succession,
            unit=succession.successor,
            changes={k: [v, None] for k, v in _succession_snapshot(succession).items()},
        )
        succession.delete()
        _set_by_hand(succession.predecessor_id)


@dataclass
class Reorganisation:
    """What a reorganisation did: the links made and the work each handler moved."""

    ended: list[Unit]
    successors: list[Unit]
    primary: Unit
    effective_on: dt.date
    moved: dict[str, dict[str, int]]


def reorganise_units(
    *,
    actor: Actor,
    ended: list[Unit],
    successors: list[Unit],
    effective_on: dt.date,
    primary: Unit,
    note: str = "",
) -> Reorganisation:
    """End `ended` the day before `effective_on`, link them to `successors`, move open work.

    Successors may be unsaved units (for instance a new ward taking an old ward's code):
    they are created after the ended units are closed, so the code is free again.
    """
    if not ended:
        raise ValidationError(_("Name at least one unit to end."))
    if not successors:
        raise ValidationError(_("Name at least one successor."))
    if not any(s is primary for s in successors):
        raise ValidationError(_("The primary successor must be one of the successors."))
    ended_ids = {u.pk for u in ended}
    if None in ended_ids:
        raise ValidationError(_("Only existing units can be ended."))
    if any(s.pk in ended_ids for s in successors if s.pk is not None):
        raise ValidationError(_("A unit cannot succeed itself."))
    last_day = effective_on - dt.timedelta(days=1)
    for unit in ended:
        if not unit.is_active_on(last_day):
            raise ValidationError(
                _("%(unit)s is not active on %(day)s.") % {"unit": unit.name, "day": last_day}
            )

    with transaction.atomic():
        for unit in ended:
            before = snapshot(unit)
            unit.valid_to = last_day
            unit.save(update_fields=["valid_to"])
            audit.record(actor=actor, action=RegistryAudit.END_UNIT, obj=unit,
                         changes=audit.diff(before, snapshot(unit)), unit=unit)
        for succ in successors:
            if succ.pk is None:
                if succ.valid_from is None:
                    succ.valid_from = effective_on
                _clean(succ)
                succ.save()
                audit.record(actor=actor, action=RegistryAudit.CREATE_UNIT, obj=succ,
                             changes=audit.diff({}, snapshot(succ)), unit=succ)
            elif not succ.is_active_on(effective_on):
                raise ValidationError(
                    _("%(unit)s is not active on %(day)s.")
                    % {"unit": succ.name, "day": effective_on}
                )
        for unit in ended:
            _set_by_hand(unit.pk)
            for succ in successors:
                UnitSuccession.objects.update_or_create(
                    predecessor=unit, successor=succ,
                    defaults={"effective_on": effective_on, "is_primary": succ is primary,
                              "note": note[:255]},
                )
        moved: dict[str, dict[str, int]] = {}
        for name, handler in reorganisation.handlers().items():
            moved[name] = {
                unit.code: int(handler(ended=unit, primary=primary, effective_on=effective_on,
                                       actor=actor))
                for unit in ended
            }
        audit.record(
            actor=actor, action=RegistryAudit.REORGANISE_UNITS, obj=primary, unit=primary,
            changes={
                "ended": [u.code for u in ended],
                "successors": [s.code for s in successors],
                "primary": primary.code,
                "effective_on": effective_on.isoformat(),
                "note": note,
                "moved": moved,
            },
        )
    return Reorganisation(ended=list(ended), successors=list(successors), primary=primary,
                          effective_on=effective_on, moved=moved)


# Property names under which GeoJSON files usually carry a unit's code and name.
_CODE_PROPERTIES = ("code", "ma", "ma_xa", "maxa", "ward_code", "wardCode", "ma_dvhc")
_NAME_PROPERTIES = ("name", "ten", "ten_xa", "tenxa", "ward", "ward_name", "ten_dvhc")


@dataclass
class BoundaryImport:
    """The outcome of a boundary import."""

    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def _first(props: Mapping[str, Any], names: Iterable[str]) -> str:
    for name in names:
        value = props.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def import_boundaries(
    *, actor: Actor, collection: Mapping[str, Any], day: dt.date | None = None,
    source: str = "", licence: str = "",
) -> BoundaryImport:
    """Attach GeoJSON polygons to the commune-level units active on `day`; audited.

    `source` and `licence` are shown beside the boundaries on the maps and in the API.
    A feature whose properties say `approximate: true` is marked so, with its
    `approximate_note` (why) shown to whoever looks at it.
    """
    if collection.get("type") != "FeatureCollection" or not isinstance(
        collection.get("features"), list
    ):
        raise ValidationError(_("The file is not a GeoJSON FeatureCollection."))
    units = list(Unit.objects.active_on(day).filter(kind__in=COMMUNE_LEVEL))
    by_code = {u.code: u for u in units}
    by_name: dict[str, list[Unit]] = {}
    for u in units:
        by_name.setdefault(search_key(u.name), []).append(u)
        if u.short_name:
            by_name.setdefault(search_key(u.short_name), []).append(u)
    result = BoundaryImport()
    with transaction.atomic():
        for index, feature in enumerate(collection["features"]):
            props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            code = _first(props, _CODE_PROPERTIES).lstrip("0") or ""
            name = _first(props, _NAME_PROPERTIES)
            label = name or code or f"#{index}"
            try:
                geom = area_shape(geometry)
            except BadGeometry:
                result.unmatched.append(label)
                continue
            unit = by_code.get(code) if code else None
            if unit is None and name:
                candidates = by_name.get(search_key(name), [])
                unit = candidates[0] if len(candidates) == 1 else None
            if unit is None:
                result.unmatched.append(label)
                continue
            # Stored as shapely wrote it back: repaired when the file's rings crossed.
            unit.boundary = json.loads(json.dumps(mapping(geom)))
            unit.boundary_source = str(props.get("source") or source)[:255]
            unit.boundary_licence = str(props.get("licence") or licence)[:120]
            unit.boundary_approximate = props.get("approximate") is True
            unit.boundary_note = (str(props.get("approximate_note") or "")[:255]
                                  if unit.boundary_approximate else "")
            unit.save(update_fields=["boundary", "boundary_source", "boundary_licence",
                                     "boundary_approximate", "boundary_note"])
            result.matched.append(unit.code)
        if result.matched:
            audit.record(
                actor=actor, action=RegistryAudit.IMPORT_BOUNDARIES,
                changes={"matched": sorted(result.matched), "unmatched": result.unmatched,
                         "source": source, "licence": licence},
            )
    return result
