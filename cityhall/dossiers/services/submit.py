"""Submitting a dossier (online, at a counter, by post) with its components.

Every function takes keyword-only arguments and an explicit actor, runs in one transaction
and leaves an audit entry (the engine writes the steps' own).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import Membership, Role, User, UserKind
from cityhall.core import audit, facts, localcache
from cityhall.core.errors import Common
from cityhall.core.files import Upload
from cityhall.core.localcache import ProcessCache
from cityhall.core.models import AuditEntry
from cityhall.dossiers import datasources, uploads
from cityhall.dossiers.audit_actions import DossierAudit
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.models import (
    ApplicantKind,
    Channel,
    Dossier,
    DossierComponent,
    DossierCounter,
    DossierFile,
)
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind
from cityhall.orgunits.resolve import active_unit
from cityhall.procedures.models import Level, OnlineLevel, Procedure, ProcedureComponent
from cityhall.workflow import engine
from cityhall.workflow.calendar_data import current_calendar
from cityhall.workflow.engine import planning

#: Staff roles that receive dossiers at a unit's counter.
COUNTER_ROLES = {Role.CLERK, Role.OFFICER, Role.LEADER, Role.ADMIN}
_ID_NUMBER = re.compile(r"^\d{9,13}(-\d{3})?$")
_PHONE = re.compile(r"^\+?\d{8,15}$")


@dataclass(frozen=True)
class Applicant:
    """Who applies: a resident (ID number) or an enterprise (tax code), and how to reach them."""

    name: str
    id_number: str
    kind: str = ApplicantKind.RESIDENT
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True)
class ComponentIn:
    """A component supplied: the procedure's component by its number, either as a file
    (bytes or an uploaded file: a scan or a photo) or as a reference to data held."""

    number: int
    data_reference: str = ""
    file: Any = None
    #: Handed in on paper at a counter and checked by the clerk (no scan yet, no data).
    paper: bool = False


@dataclass
class PreparedPart:
    """A component checked and read, ready to be stored with its dossier."""

    row: DossierComponent
    upload: Upload | None = None


@dataclass(frozen=True)
class Submission:
    """The outcome of a submission: the dossier, and whether this call made it."""

    dossier: Dossier
    created: bool


def agency_code(unit: Unit) -> str:
    """The code a unit's dossiers start with: its electronic id, else its administrative code."""
    return unit.electronic_id or unit.code


def allocate_code(unit: Unit, day: dt.date) -> str:
    """The next code of the agency's day; call inside the submission's transaction.

    The counter row stays locked until the submission commits, so two counters and the
    web submitting at the same moment get different numbers, and a refused submission
    rolls its number back (no gap, no repeat).
    """
    agency = agency_code(unit)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dossiers_dossiercounter (agency, day, last) VALUES (%s, %s, 1) "
                "ON CONFLICT (agency, day) DO UPDATE SET last = dossiers_dossiercounter.last + 1 "
                "RETURNING last", [agency, day])
            (number,) = cursor.fetchone() or (0,)
    else:
        # SQLite: the project's IMMEDIATE transactions let one writer in at a time.
        if not DossierCounter.objects.filter(agency=agency, day=day).update(last=F("last") + 1):
            DossierCounter.objects.create(agency=agency, day=day, last=1)
        number = DossierCounter.objects.values_list("last", flat=True).get(agency=agency, day=day)
    return f"{agency}-{day:%y%m%d}-{number:04d}"


# The catalogue and the registry as every receipt reads them, kept per process: an edit
# in this process empties them at once, one in another process (the admin, an import) is
# seen within the minute. Never the applicant's data, only reference rows.
_PROCEDURES: ProcessCache[tuple[Procedure, tuple[ProcedureComponent, ...]] | None] = \
    ProcessCache("dossiers.procedures", ttl=60.0, models=(Procedure, ProcedureComponent),
                 keep_none=False)


def _catalogue_entry(code: str) -> tuple[Procedure, tuple[ProcedureComponent, ...]] | None:
    found = Procedure.objects.active().filter(code=code).first()
    if found is None:
        return None
    return found, tuple(found.components.order_by("order"))


def _procedure(procedure: Procedure | str) -> tuple[Procedure, Sequence[ProcedureComponent]]:
    """The active procedure and its components in order; refused if there is none."""
    if isinstance(procedure, Procedure):
        return procedure, list(procedure.components.order_by("order"))
    code = str(procedure)[:40]
    found = _PROCEDURES.get(code, lambda: _catalogue_entry(code))
    if found is None:
        raise DossierError(DossierCode.UNKNOWN_PROCEDURE, _("No such procedure."))
    return found


def _unit(unit: Unit | str | None) -> Unit | None:
    if unit is None or isinstance(unit, Unit):
        return unit
    found = active_unit(str(unit)[:32], timezone.localdate())
    if found is None:
        raise DossierError(DossierCode.UNKNOWN_UNIT, _("No such unit: %(code)s.") % {
            "code": str(unit)[:32]})
    return found


def _check_applicant(applicant: Applicant) -> Applicant:
    name = applicant.name.strip()
    id_number = applicant.id_number.strip()
    problems: dict[str, str] = {}
    if not name or len(name) > 300:
        problems["name"] = _("Give the applicant's name (at most 300 characters).")
    if not _ID_NUMBER.fullmatch(id_number):
        problems["id_number"] = _("Give a 12-digit ID number or a 10- or 13-digit tax code.")
    if applicant.kind not in ApplicantKind.values:
        problems["kind"] = _("The applicant is a resident or an enterprise.")
    phone = applicant.phone.strip().replace(" ", "")
    if phone and not _PHONE.fullmatch(phone):
        problems["phone"] = _("Give a phone number of 8 to 15 digits.")
    email = applicant.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems["email"] = _("Give a valid e-mail address.")
    if len(applicant.address) > 500:
        problems["address"] = _("The address is too long.")
    if problems:
        raise DossierError(DossierCode.INVALID_APPLICANT, problems)
    return Applicant(name=name, id_number=id_number, kind=applicant.kind, phone=phone,
                     email=email, address=applicant.address.strip())


def _competent_unit(procedure: Procedure, default: Unit | None, given: Unit | None) -> Unit:
    """The unit that decides: a commune-level procedure is decided by a commune-level unit
    (the receiving one unless another is named); a city-level one by a department or the city."""
    if procedure.level == Level.COMMUNE:
        unit = given or default
        if unit is None:
            raise DossierError(DossierCode.UNKNOWN_UNIT, {"competent_unit": _(
                "Name the ward or commune that should decide it.")})
        if unit.kind not in COMMUNE_LEVEL:
            raise DossierError(DossierCode.WRONG_COMPETENT_UNIT, _(
                "A commune-level procedure is decided by a ward, commune or special zone."))
        return unit
    if given is not None:
        if given.kind not in (UnitKind.DEPARTMENT, UnitKind.PROVINCE):
            raise DossierError(DossierCode.WRONG_COMPETENT_UNIT, _(
                "A city-level procedure is decided by a department or the city."))
        return given
    # Not named: the city's People's Committee, whose service centre routes it on.
    root = (Unit.objects.active_on().defer("boundary").filter(kind=UnitKind.PROVINCE)
            .order_by("pk").first())
    if root is None:
        raise DossierError(DossierCode.UNKNOWN_UNIT, _("The city unit is not in the registry."))
    return root


def _read_data(number: int, source: str, reference: str) -> dict[str, Any]:
    """What the data source holds under the reference, as the component stores it."""
    try:
        record = datasources.lookup(source, reference)
    except datasources.SourceUnavailable:
        raise DossierError(DossierCode.DATA_SOURCE_UNAVAILABLE, _(
            "The data source for component %(n)s did not answer; try again later, or "
            "attach the paper instead.") % {"n": number}) from None
    if record is None:
        raise DossierError(DossierCode.NO_RECORD, _(
            "The data source holds nothing under the reference given for component %(n)s; "
            "check it, or attach the paper instead.") % {"n": number})
    return record.stored()


def prepare_components(procedure: Procedure, given: Sequence[ComponentIn], *,
                       components: Sequence[ProcedureComponent] | None = None,
                       ) -> list[PreparedPart]:
    """Check the components given, read the data held and check the files: all before the
    submission's transaction, which then only writes (a refusal here stores nothing).
    `components`: the procedure's, in order, when the caller has them already."""
    if components is None:
        components = list(procedure.components.order_by("order"))
    parts = dict(enumerate(components, start=1))
    found: list[PreparedPart] = []
    seen: set[int] = set()
    for item in given:
        part = parts.get(item.number)
        if part is None or item.number in seen:
            raise DossierError(DossierCode.INVALID_COMPONENT, _(
                "Component %(n)s is not one of this procedure's, or is given twice.") % {
                "n": item.number})
        seen.add(item.number)
        reference = item.data_reference.strip()
        row = DossierComponent(procedure_component=part, name=part.name, copies=part.copies)
        if (item.file is not None or item.paper) and not reference:
            found.append(PreparedPart(row=row))
            continue
        if item.file is not None or not part.data_source or not reference \
                or len(reference) > 200:
            raise DossierError(DossierCode.INVALID_COMPONENT, _(
                "Component %(n)s cannot be replaced by data held, or its reference is "
                "missing (give a file or a reference, not both).") % {"n": item.number})
        row.data_source, row.data_reference = part.data_source, reference
        row.data_read = _read_data(item.number, part.data_source, reference)
        found.append(PreparedPart(row=row))
    files = [item.file for item in given if item.file is not None]
    checked = iter(uploads.check_files(files))
    for item, prepared in zip(given, found, strict=True):
        if item.file is not None:
            prepared.upload = next(checked)
    return found


def _counter_unit(actor: audit.Actor, receiving: Unit | None) -> Unit:
    """The unit whose counter the staff member works at (the one named, if several)."""
    if not isinstance(actor, User) or not actor.is_active:
        raise DossierError(DossierCode.NOT_A_COUNTER, _("Only staff receive at a counter."))
    rows = Membership.objects.active_on().filter(user=actor, role__in=COUNTER_ROLES)
    if receiving is not None:
        rows = rows.filter(unit=receiving)
    units = list({m.unit_id: m.unit for m in rows.select_related("unit")
                  .defer("unit__boundary")}.values())
    if receiving is not None and (units or actor.is_superuser):
        return receiving
    if len(units) == 1:
        return units[0]
    if not units:
        raise DossierError(DossierCode.NOT_A_COUNTER,
                           _("You receive dossiers for no unit (or not for this one)."))
    raise DossierError(DossierCode.UNKNOWN_UNIT, _("Name the unit whose counter receives it."))


def _scope_of(actor: audit.Actor) -> str:
    """Whose idempotency keys these are: one account's keys never answer another's."""
    if isinstance(actor, User):
        return f"user:{actor.pk}"
    if isinstance(actor, audit.SystemActor):
        return f"system:{actor.label}"
    return f"key:{getattr(actor, 'pk', '')}"


def _replay(scope: str, key: str) -> Submission | None:
    if not key:
        return None
    found = Dossier.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
    return Submission(dossier=found, created=False) if found else None


def _check_channel(actor: audit.Actor, procedure: Procedure, channel: str) -> None:
    """Refuse a channel this procedure or this actor cannot use (before anything is read)."""
    if channel not in Channel.values:
        raise DossierError(Common.INVALID, {"channel": _("online, counter or post")})
    if channel == Channel.ONLINE:
        if not isinstance(actor, User) or actor.kind == UserKind.STAFF:
            raise DossierError(Common.NOT_ALLOWED, _(
                "Online dossiers are submitted with a resident's or an enterprise's account."))
        if procedure.online == OnlineLevel.NONE:
            raise DossierError(DossierCode.NOT_ONLINE, _(
                "This procedure is not offered online: bring the dossier to a service centre."))


def submit_dossier(
    *,
    actor: audit.Actor,
    procedure: Procedure | str,
    applicant: Applicant,
    channel: str = Channel.ONLINE,
    receiving_unit: Unit | str | None = None,
    competent_unit: Unit | str | None = None,
    components: Sequence[ComponentIn] = (),
    on_behalf: bool = False,
    account: User | None = None,
    idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> Submission:
    """Receive a dossier: check it, give it its code and appointment, start its workflow.

    Online, the actor is the applicant's account (a resident or an enterprise, or someone
    applying on another's behalf) and the competent unit receives it. At a counter or by
    post, the actor is staff of the receiving unit, which may be any service centre of the
    province, and `account` the applicant's account if they have one (they are then told
    of each step and may follow it). A repeated `idempotency_key` from the same actor
    returns the first dossier. Refusals change nothing but leave an audit entry.
    """
    now = now or timezone.now()
    key = (idempotency_key or "").strip()[:100]
    scope = _scope_of(actor)
    try:
        # A retry is answered by the dossier's unique (scope, key): its INSERT fails and
        # the first dossier is read (below), so a first submission, by far the most
        # common, does not look for it beforehand. The retry's files, named by their
        # digest, are the same files.
        found, catalogue_parts = _procedure(procedure)
        _check_channel(actor, found, channel)
        if channel == Channel.ONLINE and any(c.paper for c in components):
            raise DossierError(DossierCode.INVALID_COMPONENT, _(
                "Online, each component is a file or data already held."))
        # Everything that reads or checks is done before the transaction (data sources
        # and file checks are slow), and the files' bytes are written before it too: the
        # transaction then only writes rows, and takes the day's code last.
        parts = prepare_components(found, components, components=catalogue_parts)
        checked = _check_applicant(applicant)
        if channel == Channel.ONLINE:
            account = None if on_behalf else actor  # type: ignore[assignment]
            # Online, the competent unit receives its own dossiers.
            competent = _competent_unit(found, None, _unit(competent_unit))
            receiving = competent
        else:
            receiving = _counter_unit(actor, _unit(receiving_unit))
            competent = _competent_unit(found, receiving, _unit(competent_unit))
        files = uploads.write_files([p.upload for p in parts if p.upload is not None])
        # It changes no reference row, so the workflow's version may come from the cache.
        with localcache.caching_in_transaction(), transaction.atomic():
            return _submit(actor=actor, procedure=found, applicant=checked,
                           channel=channel, receiving=receiving, competent=competent,
                           parts=parts, files=files, on_behalf=on_behalf, account=account,
                           key=key, scope=scope, now=now)
    except DossierError as exc:
        audit.record(actor=actor, action=DossierAudit.SUBMIT_REFUSED, changes={
            "code": exc.code, "procedure": getattr(procedure, "code", str(procedure))[:40],
            "channel": str(channel)[:16]})
        raise
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its dossier.
        replayed = _replay(scope, key)
        if replayed is None:
            raise
        return replayed


def _submit(
    *, actor: audit.Actor, procedure: Procedure, applicant: Applicant, channel: str,
    receiving: Unit, competent: Unit, parts: Sequence[PreparedPart],
    files: Sequence[DossierFile], on_behalf: bool, account: User | None, key: str, scope: str,
    now: dt.datetime,
) -> Submission:
    """Write a checked dossier: its row, files and components first, under a provisional
    code; then, last, the day's code (the counter row stays locked until the commit, so
    concurrent receipts of one agency queue only for these few statements), the workflow's
    start step, the audit entries and the roll-ups (one statement)."""
    # The appointment on form 01 is the case deadline, on the calendar, in working days.
    due = planning.deadline_at(current_calendar(), now,
                               {"working_days": procedure.processing_days})
    # What the roll-ups count at receipt, kept on the dossier (a supplement changes parts).
    by_data = sum(1 for p in parts if p.row.data_source)
    # Held electronically from the start: a file (scan or upload) or data held.
    digitised = sum(1 for p in parts if p.upload is not None or p.row.data_source)
    dossier = Dossier(
        code=f"~{uuid.uuid4().hex}", procedure=procedure, channel=channel,
        receiving_unit=receiving, unit=competent, applicant=account,
        submitted_by=actor if isinstance(actor, User) else None, on_behalf=on_behalf,
        applicant_kind=applicant.kind, applicant_name=applicant.name,
        applicant_id_number=applicant.id_number, applicant_phone=applicant.phone,
        applicant_email=applicant.email, applicant_address=applicant.address,
        fee_vnd=procedure.fee_vnd, received_at=now, appointment_at=due,
        components_at_receipt=len(parts), by_data_at_receipt=by_data,
        digitised_at=now if parts and digitised == len(parts) else None,
        idempotency_scope=scope if key else "", idempotency_key=key, created_at=now,
    )
    # Seen by no other transaction: the provisional code is replaced before the commit.
    dossier.save()
    uploads.save_files(dossier, files)
    with_files = [p for p in parts if p.upload is not None]
    for part, file in zip(with_files, files, strict=True):
        part.row.file = file
    rows = [p.row for p in parts]
    for row in rows:
        row.dossier = dossier
        row.digitised_at = now if row.file is not None or row.data_source else None
    DossierComponent.objects.bulk_create(rows)

    def submitted(_cases: Sequence[Any]) -> tuple[list[AuditEntry], list[Any]]:
        # Built once the code is set, so the entry names the dossier by its code.
        return [audit.entry(actor=actor, action=DossierAudit.SUBMIT, obj=dossier,
                            unit=competent, changes={
            "procedure": [None, procedure.code], "channel": [None, channel],
            "receiving_unit": [None, receiving.code], "competent_unit": [None, competent.code],
            "applicant": [None, "***"], "components_by_data": [None, by_data],
            "components_by_file": [None, len(with_files)],
        })], []

    # The roll-ups of the start step and of the parts go in one statement, at the end.
    with facts.deferred():
        dossier.code = allocate_code(receiving, timezone.localdate(now))
        engine.start(dossier, actor=actor, now=now, deadline=due, also=submitted)
        # The daily roll-ups count the parts replaced by data and the parts digitised with
        # the dossier's receipt.
        facts.tell([facts.Fact(
            case_type=dossier._meta.label_lower, case=dossier, kind="components", at=now,
            unit_id=dossier.unit_id, extra=(("components", len(rows)), ("by_data", by_data),
                                            ("digitised", digitised)))])
    return Submission(dossier=dossier, created=True)


def receive_at_counter(
    *, actor: User, procedure: Procedure | str, applicant: Applicant,
    receiving_unit: Unit | str | None = None, competent_unit: Unit | str | None = None,
    components: Sequence[ComponentIn] = (), account: User | None = None,
    on_behalf: bool = False, idempotency_key: str = "", now: dt.datetime | None = None,
) -> Submission:
    """A clerk receives a dossier at the counter of their unit, for any procedure of the
    province and an applicant living anywhere (`on_behalf`: brought by someone else)."""
    return submit_dossier(
        actor=actor, procedure=procedure, applicant=applicant, channel=Channel.COUNTER,
        receiving_unit=receiving_unit, competent_unit=competent_unit, components=components,
        on_behalf=on_behalf, account=account, idempotency_key=idempotency_key, now=now)
