"""The staff's and the applicant's steps on a dossier once received: the workflow's actions,
supplying what was asked, passing it to another unit, a new appointment when late.

Each takes keyword-only arguments and an explicit actor, runs in one transaction, and
leaves an audit entry (the engine writes each step's own; these add the dossier's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import Membership, User
from cityhall.core import audit, facts
from cityhall.core.errors import Common
from cityhall.dossiers import uploads
from cityhall.dossiers.audit_actions import DossierAudit
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.models import Dossier, DossierFile
from cityhall.dossiers.queries import receiving_unit_id
from cityhall.dossiers.services.submit import (
    COUNTER_ROLES,
    ComponentIn,
    PreparedPart,
    prepare_components,
)
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind
from cityhall.workflow import engine
from cityhall.workflow.models import Transition

#: Actions that take more than a comment: they have their own service below (`abandon` is
#: the sweep's alone).
OWN_SERVICE = {"transfer", "reschedule", "abandon"}
#: States in which the staff may still attach scans of the papers.
OPEN_STATES = ("received", "in_processing", "supplement_requested", "result_issued")
#: States in which the applicant may rate the service: the result is out.
RATEABLE = ("result_issued", "returned")


def _engine(dossier: Dossier, action: str, *, actor: audit.Actor, comment: str = "",
            assignee: User | None = None, deadline: engine.Deadline | None = None,
            idempotency_key: str = "", now: dt.datetime | None = None) -> Transition | None:
    try:
        return engine.perform(dossier, action, actor=actor, comment=comment.strip(),
                              assignee=assignee, deadline=deadline,
                              idempotency_key=idempotency_key, now=now)
    except engine.WorkflowError as exc:
        raise DossierError(exc.code, exc.detail) from None


def _keep_appointment(dossier: Dossier) -> None:
    """The appointment follows the engine's case deadline (moved by a restart or a new date)."""
    if dossier.due_at is not None and dossier.due_at != dossier.appointment_at:
        dossier.appointment_at = dossier.due_at
        Dossier.objects.filter(pk=dossier.pk).update(appointment_at=dossier.due_at)


def act_on_dossier(
    *, actor: audit.Actor, dossier: Dossier, action: str, comment: str = "",
    assignee: User | None = None, idempotency_key: str = "", now: dt.datetime | None = None,
) -> Transition | None:
    """Take a workflow step that needs no more than a comment or an assignee (the engine
    checks role, state and inputs, and audits it): accept, refuse (the reasons of form 03),
    request_supplement (what to supply, form 02), supplement (nothing more given: the papers
    came to the counter; see `supply_components`), assign, issue_result, return_result,
    withdraw, stop (the reason of form 05)."""
    spec = engine.case_spec(dossier)
    if action not in spec.actions or action in OWN_SERVICE:
        raise DossierError(engine.WorkflowCode.UNKNOWN_ACTION, _("No such action: %(a)s.") % {
            "a": action[:64]})
    if action == "supplement":
        return supply_components(actor=actor, dossier=dossier, components=(), comment=comment,
                                 now=now)
    return _engine(dossier, action, actor=actor, comment=comment, assignee=assignee,
                   idempotency_key=idempotency_key, now=now)


def _store_parts(dossier: Dossier, parts: Sequence[PreparedPart], now: dt.datetime) -> None:
    """Store checked components on a dossier (inside the caller's transaction): a component
    the dossier has already is replaced, a new one added. A part held on paper until now
    becomes digitised now, which the roll-ups count (and the dossier, `digitised_at`, if it
    was its last)."""
    with_files = [p for p in parts if p.upload is not None]
    stored = uploads.store_files(dossier, [p.upload for p in with_files if p.upload])
    for part, file in zip(with_files, stored, strict=True):
        part.row.file = file
    held = {c.procedure_component_id: c for c in dossier.components.all()}
    was_whole = bool(held) and all(c.digitised_at for c in held.values())
    digitised = 0
    for part in parts:
        row = held.get(part.row.procedure_component_id)
        if row is None:
            part.row.dossier = dossier
            part.row.digitised_at = now
            part.row.save()
            held[part.row.procedure_component_id] = part.row
            digitised += 1
            continue
        row.file, row.data_source = part.row.file, part.row.data_source
        row.data_reference, row.data_read = part.row.data_reference, part.row.data_read
        fields = ["file", "data_source", "data_reference", "data_read"]
        if row.digitised_at is None:
            row.digitised_at = now
            fields.append("digitised_at")
            digitised += 1
        row.save(update_fields=fields)
    if digitised:
        became_whole = not was_whole and all(c.digitised_at for c in held.values())
        if became_whole:
            # Once, the moment the index counts the dossier digitised (`recompute` reads it).
            dossier.digitised_at = now
            Dossier.objects.filter(pk=dossier.pk).update(digitised_at=now)
        facts.tell([facts.Fact(
            case_type=dossier._meta.label_lower, case=dossier, kind="digitised", at=now,
            unit_id=receiving_unit_id(dossier),
            extra=(("components", digitised), ("dossiers", int(became_whole))))])


def supply_components(
    *, actor: audit.Actor, dossier: Dossier, components: Sequence[ComponentIn],
    comment: str = "", now: dt.datetime | None = None,
) -> Transition | None:
    """The applicant (or staff for them) supplies what form 02 asked: files or data held.

    A component given again replaces what the dossier had for it. The clock, stopped by
    the request, restarts with the working time that was left (the engine's stopped clock),
    and the appointment moves to the new deadline.
    """
    if any(c.paper for c in components):
        # Paper handed in at the counter is scanned there (`attach_scans`): a supplement
        # stored as "on paper" would replace a part's file with nothing.
        raise DossierError(DossierCode.INVALID_COMPONENT, _(
            "A supplement is a file or data already held; scan papers at the counter."))
    now = now or timezone.now()
    parts = prepare_components(dossier.procedure, components)
    with transaction.atomic():
        step = _engine(dossier, "supplement", actor=actor, comment=comment, now=now)
        _store_parts(dossier, parts, now)
        _keep_appointment(dossier)
        audit.record(actor=actor, action=DossierAudit.SUPPLY, obj=dossier, unit=dossier.unit,
                     changes={"components": [None, len(parts)],
                              "appointment_at": [None, dossier.appointment_at.isoformat()]})
    return step


def _target(dossier: Dossier, to_unit: Unit | str | None) -> Unit:
    if isinstance(to_unit, Unit):
        target: Unit | None = to_unit
    else:
        target = Unit.objects.active_on().filter(code=str(to_unit or "")[:32]).first()
    if (target is None or target.pk == dossier.unit_id
            or target.kind not in (*COMMUNE_LEVEL, UnitKind.DEPARTMENT, UnitKind.PROVINCE)):
        raise DossierError(DossierCode.INVALID_TARGET, {"to_unit": _(
            "Pass it to another open ward, commune, department or the city.")})
    return target


def transfer_dossier(
    *, actor: audit.Actor, dossier: Dossier, to_unit: Unit | str | None, reason: str,
    now: dt.datetime | None = None,
) -> Transition | None:
    """Pass a dossier in processing to the next unit (inter-agency one-stop), with the reason.

    The leader of the unit holding it decides (the engine's roles); the receiving unit
    inherits the time left to the appointment, which does not move. Both units' audit
    trails record it.
    """
    if not (reason or "").strip():
        raise DossierError(Common.COMMENT_REQUIRED, _("Say why the dossier goes to another unit."))
    target = _target(dossier, to_unit)
    old = dossier.unit
    with transaction.atomic():
        step = _engine(dossier, "transfer", actor=actor, now=now, comment=_(
            "Passed from %(old)s to %(new)s: %(reason)s") % {
            "old": old.name, "new": target.name, "reason": reason.strip()})
        # The engine keeps a case in its unit; the move is this service's.
        Dossier.objects.filter(pk=dossier.pk).update(unit=target, assignee=None)
        dossier.unit, dossier.assignee = target, None
        for unit in (old, target):
            audit.record(actor=actor, action=DossierAudit.TRANSFER, obj=dossier, unit=unit,
                         changes={"unit": [old.code, target.code], "reason": [None, reason]})
    return step


def reschedule_dossier(
    *, actor: audit.Actor, dossier: Dossier, appointment_at: dt.datetime, reason: str,
    now: dt.datetime | None = None,
) -> Transition | None:
    """Give a late dossier a new appointment, with the reasons form 04 tells the applicant.

    Only a dossier past its appointment, and only to a later moment.
    """
    now = now or timezone.now()
    if dossier.due_at is None or dossier.due_at >= now:
        raise DossierError(Common.INVALID_STATE, _(
            "Only a dossier past its appointment gets a new one."))
    if appointment_at <= now:
        raise DossierError(DossierCode.INVALID_APPOINTMENT, {"appointment_at": _(
            "The new appointment must be later than now.")})
    before = dossier.appointment_at
    with transaction.atomic():
        step = _engine(dossier, "reschedule", actor=actor, comment=reason, now=now,
                       deadline=appointment_at)
        _keep_appointment(dossier)
        audit.record(actor=actor, action=DossierAudit.RESCHEDULE, obj=dossier,
                     unit=dossier.unit, changes={
                         "appointment_at": [before.isoformat(),
                                            dossier.appointment_at.isoformat()]})
    return step


def _is_staff_of(actor: audit.Actor, dossier: Dossier) -> bool:
    """Whether the actor works at the counter of the unit that received or decides it."""
    if not isinstance(actor, User) or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    return Membership.objects.active_on().filter(
        user=actor, role__in=COUNTER_ROLES,
        unit_id__in=[dossier.receiving_unit_id, dossier.unit_id]).exists()


def attach_scans(
    *, actor: audit.Actor, dossier: Dossier, components: Sequence[ComponentIn],
    now: dt.datetime | None = None,
) -> int:
    """A clerk attaches the scans of papers handed in at the counter (files only, the
    upload rules of a submission); a component given again is replaced. No workflow step:
    the clock does not move. Returns how many components were stored."""
    if not _is_staff_of(actor, dossier):
        raise DossierError(Common.NOT_ALLOWED, _(
            "Only staff of the unit that received or decides the dossier attach scans."))
    if dossier.state not in OPEN_STATES:
        raise DossierError(Common.INVALID_STATE, _("This dossier is closed."))
    if not components or any(c.file is None for c in components):
        raise DossierError(DossierCode.INVALID_COMPONENT, _(
            "Give a scan (PDF) or a photo (JPEG, PNG) for each component attached."))
    now = now or timezone.now()
    parts = prepare_components(dossier.procedure, components)
    with transaction.atomic():
        _store_parts(dossier, parts, now)
        audit.record(actor=actor, action=DossierAudit.ATTACH, obj=dossier,
                     unit=dossier.receiving_unit, changes={"components": [None, len(parts)]})
    return len(parts)


def issue_result(
    *, actor: audit.Actor, dossier: Dossier, file: object = None, comment: str = "",
    now: dt.datetime | None = None,
) -> Transition | None:
    """The competent unit issues the result; with `file`, the electronic result (a PDF)
    that the applicant downloads from their page."""
    upload = None
    if file is not None:
        (upload,) = uploads.check_files([file])
        if upload.content_type != "application/pdf":
            raise DossierError(DossierCode.RESULT_NOT_PDF, {"result": _(
                "An electronic result is a PDF document.")})
    with transaction.atomic():
        step = _engine(dossier, "issue_result", actor=actor, comment=comment, now=now)
        if upload is not None and step is not None:
            (stored,) = uploads.store_files(dossier, [upload])
            Dossier.objects.filter(pk=dossier.pk).update(result_file=stored)
            dossier.result_file = stored
            audit.record(actor=actor, action=DossierAudit.RESULT, obj=dossier, unit=dossier.unit,
                         changes={"result_file": [None, stored.pk]})
    return step


def result_of(dossier: Dossier) -> DossierFile | None:
    """The electronic result the applicant may download (once issued)."""
    if dossier.state not in RATEABLE or dossier.result_file_id is None:
        return None
    return dossier.result_file


def rate_dossier(
    *, actor: audit.Actor, dossier: Dossier, rating: int, comment: str = "",
    now: dt.datetime | None = None,
) -> Dossier:
    """The applicant rates the service (1-5) once the result is out, once; counted for the
    index with the day and the competent unit."""
    now = now or timezone.now()
    if not isinstance(actor, User) or actor.pk != dossier.applicant_id:
        raise DossierError(Common.NOT_ALLOWED, _("Only the applicant rates the service."))
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DossierError(Common.INVALID_RATING, {"rating": _("Rate from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise DossierError(Common.INVALID_RATING, {"comment": _(
            "At most %(n)s characters.") % {"n": 1000}})
    if dossier.state not in RATEABLE:
        raise DossierError(Common.INVALID_STATE, _(
            "The service can be rated once the result is issued."))
    with transaction.atomic():
        # One rating per dossier, also when two requests race: the update decides.
        if not Dossier.objects.filter(pk=dossier.pk, rating__isnull=True).update(
                rating=rating, rating_comment=comment, rated_at=now):
            raise DossierError(Common.ALREADY_RATED, _(
                "This dossier has been rated already."))
        dossier.rating, dossier.rating_comment, dossier.rated_at = rating, comment, now
        facts.tell([facts.Fact(case_type=dossier._meta.label_lower, case=dossier,
                               kind="rated", at=now, unit_id=dossier.unit_id, value=rating)])
        audit.record(actor=actor, action=DossierAudit.RATE, obj=dossier, unit=dossier.unit,
                     changes={"rating": [None, rating]})
    return dossier
