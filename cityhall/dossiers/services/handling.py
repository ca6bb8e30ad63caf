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

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.dossiers import uploads
from cityhall.dossiers.audit_actions import DossierAudit
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.models import Dossier
from cityhall.dossiers.services.submit import ComponentIn, prepare_components
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind
from cityhall.workflow import engine
from cityhall.workflow.models import Transition

#: Actions that take more than a comment: they have their own service below (`abandon` is
#: the sweep's alone).
OWN_SERVICE = {"transfer", "reschedule", "abandon"}


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


def supply_components(
    *, actor: audit.Actor, dossier: Dossier, components: Sequence[ComponentIn],
    comment: str = "", now: dt.datetime | None = None,
) -> Transition | None:
    """The applicant (or staff for them) supplies what form 02 asked: files or data held.

    A component given again replaces what the dossier had for it. The clock, stopped by
    the request, restarts with the working time that was left (the engine's stopped clock),
    and the appointment moves to the new deadline.
    """
    now = now or timezone.now()
    parts = prepare_components(dossier.procedure, components)
    with transaction.atomic():
        step = _engine(dossier, "supplement", actor=actor, comment=comment, now=now)
        with_files = [p for p in parts if p.upload is not None]
        stored = uploads.store_files(dossier, [p.upload for p in with_files if p.upload])
        for part, file in zip(with_files, stored, strict=True):
            part.row.file = file
        held = {c.procedure_component_id: c for c in dossier.components.all()}
        for part in parts:
            row = held.get(part.row.procedure_component_id)
            if row is None:
                part.row.dossier = dossier
                part.row.save()
                continue
            row.file, row.data_source = part.row.file, part.row.data_source
            row.data_reference, row.data_read = part.row.data_reference, part.row.data_read
            row.save(update_fields=["file", "data_source", "data_reference", "data_read"])
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
