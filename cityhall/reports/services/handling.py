"""Handling a report: assign, work, reply, rate, reopen, transfer, reject, merge; contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cityhall.accounts.models import User
from cityhall.accounts.scope import scope_of
from cityhall.core import audit, facts
from cityhall.core.audit import SystemActor
from cityhall.core.errors import Common
from cityhall.core.text import in_each_language
from cityhall.notifications import services as notices
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind
from cityhall.reports import policy
from cityhall.reports.audit_actions import ReportAudit
from cityhall.reports.errors import ReportCode, ReportError
from cityhall.reports.models import MAX_DESCRIPTION, Report, ReportPhoto
from cityhall.reports.services.intake import clean_photos, store_photos
from cityhall.workflow import engine
from cityhall.workflow.calendar_data import current_calendar
from cityhall.workflow.models import Transition

#: The actor the engine sees when the reporter acts through their private link.
REPORTER_LINK = SystemActor("reporter-link")


@contextmanager
def _engine_errors() -> Iterator[None]:
    """Report the engine's refusals as `ReportError`s with the engine's codes."""
    try:
        yield
    except engine.WorkflowError as exc:
        raise ReportError(exc.code, exc.detail) from None


def _touch(report: Report, now: dt.datetime, **fields: Any) -> None:
    """Write the report's own fields (the engine wrote its fields already)."""
    for name, value in fields.items():
        setattr(report, name, value)
    report.updated_at = now
    Report.objects.filter(pk=report.pk).update(updated_at=now, **fields)


def _reply_text(reply: str) -> str:
    if not (reply or "").strip():
        raise ReportError(ReportCode.REPLY_REQUIRED, _("Write the public reply."))
    if len(reply) > MAX_DESCRIPTION:
        raise ReportError(ReportCode.REPLY_TOO_LONG,
                          _("At most %(n)s characters.") % {"n": MAX_DESCRIPTION})
    return reply


@dataclass(frozen=True)
class Assignment:
    """What an assignment did: `changed` is False when the report already had that assignee
    in that state, so that nothing was recorded and nobody was told."""

    report: Report
    changed: bool


def assign_report(
    *, actor: audit.Actor, report: Report, assignee: User, comment: str = "",
    now: dt.datetime | None = None,
) -> Assignment:
    """Give the report to a member of staff who can see its unit (again: a no-op)."""
    now = now or timezone.now()
    with transaction.atomic(), _engine_errors():
        step = engine.perform(report, "assign", actor=actor, assignee=assignee, comment=comment,
                              now=now)
        if step is not None:
            _touch(report, now)
    return Assignment(report, changed=step is not None)


def bulk_assign(
    *, actor: audit.Actor, reports: Iterable[Report], assignee: User, comment: str = "",
    now: dt.datetime | None = None,
) -> list[Assignment]:
    """Assign many reports to one person: all of them or, on any refusal, none.

    One engine call for the batch (`engine.perform_many`): each table is written once,
    whatever the number of reports. A report that already has that assignee in that
    state is left as it is (`changed` False).
    """
    now = now or timezone.now()
    chosen = list(reports)
    with transaction.atomic():
        try:
            steps = engine.perform_many(chosen, "assign", actor=actor, assignee=assignee,
                                        comment=comment, now=now)
        except engine.BatchError as exc:
            # perform_many was given reports only, so the failing case is one of them.
            raise ReportError(exc.code, {cast(Report, exc.case).code: exc.detail}) from None
        except engine.WorkflowError as exc:
            raise ReportError(exc.code, exc.detail) from None
        done = [Assignment(r, changed=s is not None) for r, s in zip(chosen, steps, strict=True)]
        Report.objects.filter(pk__in=[a.report.pk for a in done if a.changed]).update(
            updated_at=now)
    for assignment in done:
        if assignment.changed:
            assignment.report.updated_at = now
    return done


def take_report(*, actor: audit.Actor, report: Report, comment: str = "",
                now: dt.datetime | None = None) -> Report:
    """A member of staff takes a received report that nobody has: they become its assignee.

    The workflow says who may (`take`, `self_assign`); of two people taking it at once,
    the second is refused (`invalid_state`): by then the report is assigned.
    """
    now = now or timezone.now()
    with transaction.atomic(), _engine_errors():
        engine.perform(report, "take", actor=actor, comment=comment, now=now)
        _touch(report, now)
    return report


def start_work(*, actor: audit.Actor, report: Report, comment: str = "",
               now: dt.datetime | None = None) -> Report:
    """The assignee starts working on the report."""
    now = now or timezone.now()
    with transaction.atomic(), _engine_errors():
        engine.perform(report, "start_work", actor=actor, comment=comment, now=now)
        _touch(report, now)
    return report


def _tell_duplicates(original: Report) -> None:
    """Tell every reporter of a report merged into `original` how `original` ended.

    Reporters with an account hear in the application and by e-mail; those who left
    only an e-mail address or a phone number (`Report.notification_contacts`) by e-mail.
    """
    batch = []
    for dup in original.duplicates.select_related("reporter", "contact"):
        users = [dup.reporter] if dup.reporter is not None and dup.reporter.is_active else []
        contacts = dup.notification_contacts()
        if users or contacts:
            batch.append(notices.Notice(
                recipients=users, contacts=contacts, channels=["in_app", "email"],
                template="report_duplicate_outcome",
                context={"case": dup.code, "original": original.code, "state": original.state,
                         "reply": original.public_reply},
                subject_ref=f"reports.report:{dup.pk}"))
    notices.notify_many(batch)


def resolve_report(
    *, actor: audit.Actor, report: Report, reply: str, photos: Sequence[Any] = (),
    now: dt.datetime | None = None,
) -> Report:
    """Answer the report publicly (with optional photos of the fix): it is resolved."""
    now = now or timezone.now()
    reply = _reply_text(reply)
    cleaned = clean_photos(list(photos))
    with transaction.atomic(), _engine_errors():
        due = report.due_at
        engine.perform(report, "resolve", actor=actor, comment=reply, now=now,
                       attachments=[f"photo:{p.sha256}" for p in cleaned])
        worked = current_calendar().working_time_between(report.started_at or now, now)
        _touch(report, now, public_reply=reply, replied_at=now, resolved_at=now,
               resolved_due_at=due, handling_seconds=int(worked.total_seconds()))
        store_photos(report, cleaned, ReportPhoto.Kind.REPLY)
        audit.record(actor=actor, action=ReportAudit.RESOLVE, obj=report, unit=report.unit,
                     changes={"public_reply": [None, reply[:200]]})
        _tell_duplicates(report)
    return report


def _as_reporter(
    report: Report, actor: audit.Actor | None, private_token: str,
) -> audit.Actor:
    """The actor the engine should see for the reporter; refuse anyone else."""
    if isinstance(actor, User) and report.followed_by(actor):
        return actor
    if report.followed_by(None, private_token):
        return REPORTER_LINK
    raise ReportError(ReportCode.NOT_REPORTER, _("Only the reporter may do this."))


def rate_report(
    *, actor: audit.Actor | None, report: Report, rating: int, comment: str = "",
    private_token: str = "", now: dt.datetime | None = None,
) -> Report:
    """The reporter rates the answer (1-5): a resolved report closes; a closed one keeps it."""
    now = now or timezone.now()
    who = _as_reporter(report, actor, private_token)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ReportError(Common.INVALID_RATING, _("Rate from 1 to 5."))
    if len(comment) > 1000:
        raise ReportError(Common.INVALID_RATING, _("At most %(n)s characters.") % {"n": 1000})
    if report.rating is not None:
        raise ReportError(Common.ALREADY_RATED, _("This report has been rated already."))
    with transaction.atomic(), _engine_errors():
        if report.state == "resolved":
            engine.perform(report, "rate", actor=who, comment=comment, now=now)
        elif report.state != "closed" or report.resolved_at is None:
            raise ReportError(Common.INVALID_STATE, _("Only an answered report can be rated."))
        _touch(report, now, rating=rating, rating_comment=comment, rated_at=now)
        # The daily roll-ups count the rating with the change (the engine does not see it).
        facts.tell([facts.Fact(case_type=report._meta.label_lower, case=report, kind="rated",
                               at=now, unit_id=report.unit_id, value=rating)])
        audit.record(actor=who if isinstance(who, User) else REPORTER_LINK,
                     action=ReportAudit.RATE, obj=report, unit=report.unit,
                     changes={"rating": [None, rating]})
    return report


def reopen_report(
    *, actor: audit.Actor | None, report: Report, reason: str, private_token: str = "",
    now: dt.datetime | None = None,
) -> Report:
    """The reporter reopens a resolved report within the reopen window: work starts again."""
    now = now or timezone.now()
    who = _as_reporter(report, actor, private_token)
    if not (reason or "").strip():
        raise ReportError(Common.COMMENT_REQUIRED, _("Say why the problem remains."))
    if report.state != "resolved" or report.resolved_at is None:
        raise ReportError(Common.INVALID_STATE, _("Only a resolved report can be reopened."))
    if now > report.resolved_at + dt.timedelta(days=settings.CITYHALL_REPORTS_REOPEN_DAYS):
        raise ReportError(ReportCode.REOPEN_WINDOW_PASSED, _(
            "A report can be reopened within %(n)s days of the answer.") % {
            "n": settings.CITYHALL_REPORTS_REOPEN_DAYS})
    with transaction.atomic(), _engine_errors():
        engine.perform(report, "reopen", actor=who, comment=reason[:MAX_DESCRIPTION], now=now)
        # The reply did not solve it: it no longer counts as resolved.
        _touch(report, now, resolved_at=None, resolved_due_at=None, handling_seconds=None)
    return report


def transfer_report(
    *, actor: audit.Actor, report: Report, to_unit: Unit, reason: str,
    now: dt.datetime | None = None,
) -> Report:
    """Send a report outside the unit's remit to the unit responsible, with the reason."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ReportError(Common.COMMENT_REQUIRED, _("Say why the report goes to another unit."))
    day = timezone.localdate(now)
    if (to_unit.pk == report.unit_id or not to_unit.is_active_on(day)
            or to_unit.kind not in (*COMMUNE_LEVEL, UnitKind.DEPARTMENT)):
        raise ReportError(ReportCode.INVALID_TARGET, _(
            "Transfer to another open ward, commune, special zone or department."))
    old = report.unit
    with transaction.atomic(), _engine_errors():
        # Recorded in the site's language, as the start's routing reason is.
        with translation.override(settings.LANGUAGE_CODE):
            comment = _("Transferred from %(old)s to %(new)s: %(reason)s") % {
                "old": old.name, "new": to_unit.name, "reason": reason}
        # The definition says whether the receiving unit gets a fresh deadline; the
        # transfer step then records it.
        spec = engine.case_spec(report)
        restart = (spec.setting("transfer") or {}).get("deadline", "restart") == "restart"
        engine.perform(report, "transfer", actor=actor, comment=comment, now=now,
                       deadline={"working_days": report.category.deadline_days}
                       if restart else None)
        # The engine keeps a case in its unit; the move is this service's, recorded above
        # as the transfer step and below in the audit trail of both units.
        Report.objects.filter(pk=report.pk).update(unit=to_unit, assignee=None)
        report.unit, report.assignee = to_unit, None
        reasons = in_each_language(lambda: _("%(new)s: transferred by %(old)s (%(reason)s).") % {
            "new": to_unit.name, "old": old.name, "reason": reason})
        _touch(report, now, routing_reason=reasons[settings.LANGUAGE_CODE],
               routing_reasons=reasons)
        for unit in (old, to_unit):
            audit.record(actor=actor, action=ReportAudit.TRANSFER, obj=report, unit=unit,
                         changes={"unit": [old.code, to_unit.code], "reason": [None, reason]})
        notices.notify(recipients=list(policy.intake_staff(to_unit)), channels=["in_app", "email"],
                       template="report_transferred_in",
                       context={"case": report.code, "due_at": report.due_at},
                       subject_ref=f"reports.report:{report.pk}")
    return report


def reject_report(
    *, actor: audit.Actor, report: Report, reason: str, reply: str, responsible: str,
    now: dt.datetime | None = None,
) -> Report:
    """Decline a report that no unit here should handle, saying who is responsible."""
    now = now or timezone.now()
    reply = _reply_text(reply)
    if not (responsible or "").strip():
        raise ReportError(ReportCode.RESPONSIBLE_REQUIRED,
                          _("Say which body is responsible, so the reporter can turn to it."))
    with transaction.atomic(), _engine_errors():
        engine.perform(report, "reject", actor=actor, comment=reply, reason=reason, now=now)
        _touch(report, now, public_reply=reply, replied_at=now,
               responsible_pointer=responsible[:1000])
        audit.record(actor=actor, action=ReportAudit.REJECT, obj=report, unit=report.unit,
                     changes={"reason": [None, reason], "responsible": [None, responsible]})
        _tell_duplicates(report)
    return report


def merge_duplicate(
    *, actor: audit.Actor, report: Report, original: Report, comment: str = "",
    now: dt.datetime | None = None,
) -> Report:
    """Close `report` as a duplicate of `original`; its reporters hear how `original` ends."""
    now = now or timezone.now()
    while original.duplicate_of_id is not None:
        original = original.duplicate_of  # type: ignore[assignment]
    if original.pk == report.pk:
        raise ReportError(ReportCode.INVALID_ORIGINAL, _("A report cannot duplicate itself."))
    if original.state == "merged" or not scope_of(actor).covers(original.unit):
        raise ReportError(ReportCode.INVALID_ORIGINAL, _("Choose an earlier report you can see."))
    text = comment.strip() or _("Same problem as %(code)s.") % {"code": original.code}
    with transaction.atomic(), _engine_errors():
        engine.perform(report, "merge", actor=actor, comment=text, now=now)
        _touch(report, now, duplicate_of=original)
        # Reports merged into this one follow it to the original.
        Report.objects.filter(duplicate_of=report).update(duplicate_of=original, updated_at=now)
        audit.record(actor=actor, action=ReportAudit.MERGE, obj=report, unit=report.unit,
                     changes={"duplicate_of": [None, original.code]})
        if original.state in ("resolved", "closed", "rejected"):
            _tell_duplicates(original)
    return report


def read_reporter_contact(*, report: Report, user: User, purpose: str = "") -> dict[str, str]:
    """The reporter's contact details for staff handling the report; each read is logged."""
    if not Report.objects.visible_to(user).filter(pk=report.pk).exists():
        raise ReportError(Common.NOT_FOUND, _("No such report."))
    found: dict[str, str] = {}
    contact = getattr(report, "contact", None)
    if contact is not None:
        found.update({f: getattr(contact, f) for f in contact.filled()})
    reporter = report.reporter
    if reporter is not None and not report.anonymous:
        account = {"account_full_name": reporter.full_name, "account_phone": reporter.phone,
                   "account_email": reporter.email}
        found.update({k: v for k, v in account.items() if v})
    if found:
        audit.log_personal_data_read(
            reader=user, obj=report, fields=list(found),
            subject=reporter if reporter is not None and not report.anonymous else None,
            purpose=purpose or _("handling report %(code)s") % {"code": report.code})
    return found


def history(report: Report) -> list[Transition]:
    """Every step of the report, oldest first."""
    return list(engine.history(report))


def claim_report(*, actor: User, report: Report, private_token: str,
                 now: dt.datetime | None = None) -> Report:
    """A signed-in resident adds a report they sent without an account (they hold its
    private link) to their own reports: they are told of its steps from now on.

    The report stays as anonymous to staff as it was: an anonymous report's staff see no
    account details (`read_reporter_contact`).
    """
    now = now or timezone.now()
    if not isinstance(actor, User) or not actor.is_active:
        raise ReportError(ReportCode.NOT_REPORTER, _("Sign in first."))
    if not report.followed_by(None, private_token):
        raise ReportError(ReportCode.NOT_REPORTER, _("Only the reporter may do this."))
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.reporter_id == actor.pk:
            return report
        if report.reporter_id is not None:
            raise ReportError(ReportCode.ALREADY_CLAIMED,
                              _("This report already belongs to an account."))
        Report.objects.filter(pk=report.pk).update(reporter=actor, updated_at=now)
        report.reporter, report.updated_at = actor, now
        audit.record(actor=actor, action=ReportAudit.CLAIM, obj=report, unit=report.unit,
                     changes={"reporter": [None, actor.pk]})
    return report
