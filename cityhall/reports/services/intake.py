"""Receiving a report: check everything, route it by place and category, start its workflow."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import math
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cityhall.accounts.models import ApiKey, User, UserKind
from cityhall.core import audit
from cityhall.core.audit import SystemActor
from cityhall.core.localcache import ProcessCache
from cityhall.core.models import AuditEntry
from cityhall.core.text import in_each_language
from cityhall.notifications import services as notices
from cityhall.orgunits.models import Unit
from cityhall.orgunits.resolve import (
    Resolution,
    UnknownPlace,
    active_unit,
    resolve_address,
    resolve_point,
)
from cityhall.reports import policy
from cityhall.reports.audit_actions import ReportAudit
from cityhall.reports.errors import ReportCode, ReportError
from cityhall.reports.models import (
    COMMUNE,
    MAX_DESCRIPTION,
    Audience,
    Category,
    Channel,
    Report,
    ReportContact,
    ReportPhoto,
)
from cityhall.reports.photos import CheckedPhoto, PhotoRejected, check_photos, store_photos
from cityhall.reports.services.similar import suggest_duplicates
from cityhall.workflow import engine

#: Who files from where: staff take calls and e-mails; partners come through Open311.
PUBLIC_CHANNELS = {Channel.WEB, Channel.APP}
MAX_MEDIA_URLS = 5
CONTACT_FIELDS = ("name", "phone", "email", "device_id", "account_id")


@dataclass(frozen=True)
class Contact:
    """How to reach the reporter (kept apart from the report, never public)."""

    name: str = ""
    phone: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""

    def identifies(self) -> bool:
        """Whether someone could be reached or named from it."""
        return bool(self.name.strip() or self.phone.strip() or self.email.strip())


@dataclass
class Submission:
    """The outcome of `submit_report`: the report, its private token, similar open reports."""

    report: Report
    private_token: str
    created: bool
    duplicates: list[Report] = field(default_factory=list)


def private_token_of(report: Report) -> str:
    """The report's private follow token, rebuilt from its salt and the secret key."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"report:{report.token_salt}".encode(),
                   hashlib.sha256)
    return mac.hexdigest()[:40]


# Categories change with an administrator's save: kept per process, emptied on save.
_CATEGORIES: ProcessCache[Category | None] = ProcessCache(
    "reports.categories", ttl=60.0, models=(Category,))


def category_of(category: Category | str) -> Category:
    """The active category named by `category` (or itself); refused if unknown or retired."""
    if isinstance(category, Category):
        found: Category | None = category
    else:
        code = str(category or "")
        found = _CATEGORIES.get(code, lambda: Category.objects.filter(code=code).first())
    if found is None or not found.is_active:
        raise ReportError(ReportCode.UNKNOWN_CATEGORY, _("There is no such category."))
    return found


def _actor_label(actor: audit.Actor) -> str:
    if isinstance(actor, User):
        return f"user:{actor.pk}"
    if isinstance(actor, ApiKey):
        return f"api-key:{actor.pk}"
    return f"system:{getattr(actor, 'label', 'system')}"


def _people(
    actor: audit.Actor, channel: str, on_behalf_of: User | None
) -> tuple[User | None, User | None, ApiKey | None]:
    """Check the actor may file through `channel`; return (reporter, filed_by, api key)."""
    if channel not in Channel.values:
        raise ReportError(ReportCode.INVALID_CHANNEL, _("Unknown channel."))
    if isinstance(actor, ApiKey):
        if channel != Channel.OPEN311:
            raise ReportError(ReportCode.CHANNEL_NOT_ALLOWED, _("Partners file through Open311."))
        return None, None, actor
    if channel == Channel.OPEN311:
        raise ReportError(ReportCode.CHANNEL_NOT_ALLOWED,
                          _("Only partner systems file through Open311."))
    user = actor if isinstance(actor, User) and actor.is_active else None
    if channel in policy.STAFF_CHANNELS:
        if user is None or not policy.is_report_staff(user):
            raise ReportError(ReportCode.CHANNEL_NOT_ALLOWED,
                              _("Only staff enter reports taken by phone or e-mail."))
        return on_behalf_of, user, None
    if channel == Channel.NEIGHBOURHOOD_HEAD:
        if user is None or Channel.NEIGHBOURHOOD_HEAD not in policy.entry_channels(user):
            raise ReportError(ReportCode.CHANNEL_NOT_ALLOWED,
                              _("Only neighbourhood heads file on behalf of residents."))
        return on_behalf_of, user, None
    if on_behalf_of is not None and on_behalf_of != user:
        raise ReportError(ReportCode.CHANNEL_NOT_ALLOWED,
                          _("Reports on behalf of someone else come through staff channels."))
    return user, None, None


def _check_attributes(category: Category, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate extra-field values against the category; return them normalised."""
    specs = {a["code"]: a for a in category.attribute_specs()}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for code in values:
        if code not in specs:
            errors[str(code)] = _("This category has no such field.")
    for code, spec in specs.items():
        raw: Any = values.get(code)
        empty = raw is None or raw == "" or raw == []
        if empty:
            if spec.get("required"):
                errors[code] = _("This field is required.")
            continue
        kind = spec["datatype"]
        keys = {str(v["key"]) for v in spec.get("values", [])}
        if kind in ("string", "text"):
            text = str(raw)
            limit = 200 if kind == "string" else 4000
            if len(text) > limit:
                errors[code] = _("At most %(n)s characters.") % {"n": limit}
            else:
                clean[code] = text
        elif kind == "number":
            try:
                number = float(raw)
            except (TypeError, ValueError):
                number = math.nan
            if not math.isfinite(number) or isinstance(raw, bool):
                errors[code] = _("A number is expected.")
            else:
                clean[code] = int(number) if number.is_integer() else number
        elif kind == "datetime":
            moment = raw if isinstance(raw, dt.datetime) else parse_datetime(str(raw))
            if moment is None or moment.tzinfo is None:
                errors[code] = _("A date and time with a time zone is expected.")
            else:
                clean[code] = moment.isoformat()
        elif kind == "singlevaluelist":
            if isinstance(raw, list | tuple) or str(raw) not in keys:
                errors[code] = _("Choose one of the listed values.")
            else:
                clean[code] = str(raw)
        else:
            chosen = [str(v) for v in (raw if isinstance(raw, list | tuple) else [raw])]
            if not set(chosen) <= keys:
                errors[code] = _("Choose among the listed values.")
            else:
                clean[code] = sorted(set(chosen), key=chosen.index)
    if errors:
        raise ReportError(ReportCode.INVALID_ATTRIBUTE, errors)
    return clean


def _place(
    category: Category, latitude: float | None, longitude: float | None, address: str,
    day: dt.date,
) -> Resolution | None:
    if (latitude is None) != (longitude is None):
        raise ReportError(ReportCode.INVALID_LOCATION, _("Give both latitude and longitude."))
    has_point = latitude is not None and longitude is not None
    if not has_point and not address.strip():
        if category.handled_by_commune:
            raise ReportError(ReportCode.PLACE_REQUIRED,
                              _("Say where the problem is: a point on the map or an address."))
        return None
    try:
        if has_point:
            return resolve_point(float(latitude), float(longitude), day=day)  # type: ignore[arg-type]
        return resolve_address(address, day=day)
    except UnknownPlace as exc:
        raise ReportError(ReportCode.PLACE_OUTSIDE_CITY, str(exc)) from None


def route(category: Category, place: Resolution | None, *, day: dt.date) -> tuple[Unit, str]:
    """The unit that handles a report of `category` at `place`, and why, in words."""
    if category.handler == COMMUNE:
        if place is None:
            raise ReportError(ReportCode.PLACE_REQUIRED,
                              _("This category is handled where it happens."))
        return place.unit, routing_words(category, place, place.unit)
    department = active_unit(category.handler, day)
    if department is None:
        raise ReportError(ReportCode.NO_HANDLER,
                          _("The unit handling this category is not in the registry."))
    return department, routing_words(category, place, department)


def routing_words(category: Category, place: Resolution | None, unit: Unit) -> str:
    """Why a report of `category` at `place` goes to `unit` (as `route` chose), in the active
    language; reads nothing, so that it can be said again in each language."""
    if category.handler == COMMUNE and place is not None:
        return place.reason_here()
    name = category.name_en if (translation.get_language() or "").startswith("en") \
        and category.name_en else category.name
    reason = _("%(unit)s handles '%(category)s' for the whole city.") % {
        "unit": unit.name, "category": name}
    if place is not None:
        reason += " " + _("The place lies in %(unit)s.") % {"unit": place.unit.name}
    return reason


def _check_contact(contact: Contact) -> Contact:
    errors: dict[str, str] = {}
    if contact.email:
        try:
            EmailValidator()(contact.email)
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address.")
    digits = "".join(ch for ch in contact.phone if ch.isdigit())
    if contact.phone and not 8 <= len(digits) <= 15:
        errors["phone"] = _("Enter a valid phone number.")
    for name, limit in (("name", 200), ("device_id", 200), ("account_id", 200)):
        if len(getattr(contact, name)) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    if errors:
        raise ReportError(ReportCode.INVALID_CONTACT, errors)
    return contact


def _check_media(urls: Sequence[str]) -> list[str]:
    if len(urls) > MAX_MEDIA_URLS:
        raise ReportError(ReportCode.INVALID_MEDIA_URL,
                          _("At most %(n)s links.") % {"n": MAX_MEDIA_URLS})
    check = URLValidator(schemes=["http", "https"])
    for url in urls:
        try:
            check(url)
        except ValidationError:
            raise ReportError(ReportCode.INVALID_MEDIA_URL,
                              _("Links must be http or https addresses.")
                              ) from None
    return list(urls)


def clean_photos(photos: Sequence[Any]) -> list[CheckedPhoto]:
    """Check uploads (bytes or files) and clean what the budget allows, before any write."""
    try:
        return check_photos(photos)
    except PhotoRejected as exc:
        raise ReportError(exc.code, exc.detail) from None


# One upsert for both databases (SQLite has had ON CONFLICT ... RETURNING since 3.35): the
# row lock it takes lasts until the transaction ends, so two filings never get the same
# number; in autocommit (a web request) that transaction is this one statement. A filing
# rolled back after its codes were taken leaves a gap, never a repeat.
_NEXT_CODES = (
    "INSERT INTO reports_codecounter (day, last) VALUES (%s, %s) ON CONFLICT (day) "
    "DO UPDATE SET last = reports_codecounter.last + excluded.last RETURNING last"
)
# How long codes taken apart wait for the day's row before they are taken in the caller's
# transaction instead: the row is held for microseconds unless that transaction (or
# another one filing one at a time) holds it itself.
_APART_LOCK_TIMEOUT = "1s"
_apart = threading.local()


def _connection_apart() -> BaseDatabaseWrapper:
    """A second connection of this thread (and process) to the database, in autocommit."""
    main = connections[DEFAULT_DB_ALIAS]
    held = getattr(_apart, "held", None)
    if held is None or held[0] != os.getpid() or held[1].settings_dict is not main.settings_dict:
        side = type(main)(main.settings_dict, main.alias)
        with side.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{_APART_LOCK_TIMEOUT}'")
        held = _apart.held = (os.getpid(), side)
    return held[1]


def _take(db: BaseDatabaseWrapper, day: dt.date, count: int) -> int:
    with db.cursor() as cursor:
        cursor.execute(_NEXT_CODES, [db.ops.adapt_datefield_value(day), count])
        return int(cursor.fetchone()[0])


def allocate_codes(day: dt.date, count: int, *, apart: bool = False) -> list[str]:
    """The next `count` codes of the day, PA-YYMMDD-NNNN, in one statement; never shared.

    `apart` (PostgreSQL, inside a transaction): take them in a transaction of their own,
    on a second connection, so that the day's row is not held until the caller commits
    and concurrent batches do not wait for each other; a batch rolled back then leaves a
    gap, as a failed web request always has.
    """
    if count < 1:
        return []
    last = None
    if apart and connection.vendor == "postgresql" and connection.in_atomic_block:
        side = _connection_apart()
        try:
            last = _take(side, day, count)
        except DatabaseError:
            # The row is held longer than a filing takes (by this very transaction,
            # perhaps), or the connection broke: take the codes in the transaction,
            # waiting as it must, and open the second connection again next time.
            with contextlib.suppress(DatabaseError):
                side.close()
            _apart.held = None
    if last is None:
        last = _take(connection, day, count)
    return [f"PA-{day:%y%m%d}-{number:04d}" for number in range(last - count + 1, last + 1)]


def idempotency_scope(actor: audit.Actor, category: Category, description: str) -> str:
    """Whose idempotency keys a submission shares: the sender's (and, anonymous, the content's)."""
    scope = _actor_label(actor)
    if not isinstance(actor, User | ApiKey):
        # Anonymous senders share one actor: tie the key to the content too, so that
        # someone else's key never hands out another person's report and token.
        scope += ":" + hashlib.sha256(f"{category.code}\n{description}".encode()).hexdigest()[:32]
    return scope[:200]


def _replay(scope: str, key: str) -> Submission | None:
    if not key:
        return None
    found = Report.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
    if found is None:
        return None
    return Submission(report=found, private_token=private_token_of(found), created=False)


def submit_report(
    *,
    actor: audit.Actor,
    category: Category | str,
    description: str,
    channel: str,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str = "",
    contact: Contact | None = None,
    attributes: Mapping[str, Any] | None = None,
    photos: Sequence[Any] = (),
    media_urls: Sequence[str] = (),
    anonymous: bool = False,
    on_behalf_of: User | None = None,
    idempotency_key: str = "",
    now: dt.datetime | None = None,
    suggest: bool = True,
) -> Submission:
    """Receive a report: check it, route it, start its workflow; refusals leave an audit entry only.

    `actor` is the signed-in resident or business, the staff member or neighbourhood head
    filing it, the partner's `ApiKey` (Open311), or `SystemActor("anonymous")` for the web
    without sign-in. A repeated `idempotency_key` from the same sender returns the first
    report (with `created=False`) and changes nothing. `suggest=False` skips the search for
    similar open reports (`Submission.duplicates` stays empty) for callers that show none.
    """
    now = now or timezone.now()
    description = description or ""
    key = (idempotency_key or "").strip()[:100]
    try:
        cat = category_of(category)
        scope = idempotency_scope(actor, cat, description)
        replayed = _replay(scope, key)
        if replayed is not None:
            return replayed
        submission = _submit(
            actor=actor, category=cat, description=description, channel=channel,
            latitude=latitude, longitude=longitude, address=address or "",
            contact=contact or Contact(), attributes=attributes or {}, photos=photos,
            media_urls=media_urls, anonymous=anonymous, on_behalf_of=on_behalf_of,
            key=key, scope=scope, now=now, suggest=suggest,
        )
    except ReportError as exc:
        refusal_entry(actor, exc, category, channel).save()
        raise
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its report.
        replayed = _replay(idempotency_scope(actor, category_of(category), description), key)
        if replayed is None:
            raise
        return replayed
    return submission


def _check_text(description: str, address: str) -> None:
    if not description.strip():
        raise ReportError(ReportCode.DESCRIPTION_REQUIRED, _("Describe the problem."))
    if len(description) > MAX_DESCRIPTION:
        raise ReportError(ReportCode.DESCRIPTION_TOO_LONG, _("At most %(n)s characters.") % {
            "n": MAX_DESCRIPTION})
    if len(address) > 500:
        raise ReportError(ReportCode.INVALID_LOCATION, _("The address is too long."))


def check_partner_report(
    *, actor: ApiKey, category: str, description: str, latitude: float | None,
    longitude: float | None, address: str, contact: Contact, attributes: Mapping[str, Any],
    media_urls: Sequence[str], now: dt.datetime | None = None,
) -> Category:
    """The checks of an Open311 submission that need no write (queued intake); refusals audited.

    Everything `submit_report` would refuse for a partner is refused here too, except an
    address that names no unit (the parser's work is left to the worker); a point is
    resolved, as that is cheap. The worker's `submit_report` checks it all again.
    """
    day = timezone.localdate(now or timezone.now())
    try:
        cat = category_of(category)
        _people(actor, Channel.OPEN311, None)
        _check_text(description, address)
        if cat.audience == Audience.ENTERPRISE:
            raise ReportError(ReportCode.BUSINESS_ACCOUNT_REQUIRED,
                              _("Enterprise problems are filed with a business account."))
        _check_attributes(cat, attributes)
        if latitude is not None or longitude is not None or not address.strip():
            with translation.override(settings.LANGUAGE_CODE):
                _place(cat, latitude, longitude, "", day)
        _check_contact(contact)
        if not contact.identifies() and not cat.anonymous_allowed:
            raise ReportError(ReportCode.ANONYMOUS_NOT_ALLOWED,
                              _("This category needs a name and a phone number or e-mail."))
        _check_media(list(media_urls))
    except ReportError as exc:
        audit.record(actor=actor, action=ReportAudit.SUBMIT_REFUSED, changes={
            "code": exc.code, "category": str(category)[:64], "channel": Channel.OPEN311})
        raise
    return cat


@dataclass
class Checked:
    """A submission that passed every check and is routed: what its report is made of."""

    actor: audit.Actor
    category: Category
    description: str
    channel: str
    latitude: float | None
    longitude: float | None
    address: str
    place: Resolution | None
    unit: Unit
    reason: str
    #: The reason in each language of the site (`Report.routing_reasons`).
    reasons: dict[str, str]
    reporter: User | None
    filed_by: User | None
    api_key: ApiKey | None
    business: User | None
    values: dict[str, Any]
    contact: Contact
    anonymous: bool
    media: list[str]
    key: str
    scope: str


def check_submission(
    *, actor: audit.Actor, category: Category, description: str, channel: str,
    latitude: float | None, longitude: float | None, address: str, contact: Contact,
    attributes: Mapping[str, Any], media_urls: Sequence[str], anonymous: bool,
    on_behalf_of: User | None, key: str, scope: str, day: dt.date,
) -> Checked:
    """Check a submission and route it, without writing; raises `ReportError`."""
    reporter, filed_by, api_key = _people(actor, channel, on_behalf_of)
    _check_text(description, address)
    business = reporter if reporter is not None and reporter.kind == UserKind.BUSINESS else None
    if category.audience == Audience.ENTERPRISE and (business is None or not business.tax_code):
        raise ReportError(ReportCode.BUSINESS_ACCOUNT_REQUIRED,
                          _("Enterprise problems are filed with a business account."))
    values = _check_attributes(category, attributes)
    # Found once, in the sender's language, so that a refusal reads in it; the reason is
    # then said again in each language of the site, from what was found.
    place = _place(category, latitude, longitude, address, day)
    unit, _reason = route(category, place, day=day)
    reasons = in_each_language(lambda: routing_words(category, place, unit))
    reason = reasons[settings.LANGUAGE_CODE]
    contact = _check_contact(contact)
    anonymous = bool(anonymous) or (reporter is None and not contact.identifies())
    if anonymous and not category.anonymous_allowed:
        raise ReportError(ReportCode.ANONYMOUS_NOT_ALLOWED,
                          _("This category needs a name and a phone number or e-mail."))
    media = _check_media(list(media_urls))
    return Checked(
        actor=actor, category=category, description=description, channel=channel,
        latitude=latitude, longitude=longitude, address=address, place=place, unit=unit,
        reason=reason, reasons=reasons, reporter=reporter, filed_by=filed_by, api_key=api_key,
        business=business, values=values, contact=contact, anonymous=anonymous, media=media,
        key=key, scope=scope,
    )


def new_report(checked: Checked, code: str, now: dt.datetime
               ) -> tuple[Report, str, ReportContact | None]:
    """The unsaved report of a checked submission, its private token and its contact row."""
    c = checked
    business = c.business
    report = Report(
        code=code, category=c.category, description=c.description, latitude=c.latitude,
        longitude=c.longitude, address=c.address, place_unit=c.place.unit if c.place else None,
        routing_method=c.place.method if c.place else "category", routing_reason=c.reason,
        routing_reasons=c.reasons,
        channel=c.channel, reporter=c.reporter, filed_by=c.filed_by, api_key=c.api_key,
        anonymous=c.anonymous, token_salt=secrets.token_hex(16), attribute_values=c.values,
        media_urls=c.media, tax_code=business.tax_code if business else "",
        business_name=business.business_name if business else "", unit=c.unit,
        idempotency_scope=c.scope if c.key else "", idempotency_key=c.key,
        created_at=now, updated_at=now,
    )
    token = private_token_of(report)
    report.private_token_hash = Report.hash_token(token)
    kept = Contact() if c.anonymous else c.contact
    # Built before the start so that the workflow's receipt can reach this contact
    # (`Report.notification_contacts`); saved once the report has its row.
    contact_row = None
    if any(getattr(kept, f) for f in CONTACT_FIELDS):
        contact_row = ReportContact(report=report, **{f: getattr(kept, f)
                                                      for f in CONTACT_FIELDS})
    return report, token, contact_row


def submit_entry(checked: Checked, report: Report) -> AuditEntry:
    """The `reports.submit` audit entry of a filed report (not saved)."""
    c = checked
    kept = Contact() if c.anonymous else c.contact
    return audit.entry(actor=c.actor, action=ReportAudit.SUBMIT, obj=report, unit=c.unit, changes={
        "category": [None, c.category.code], "unit": [None, c.unit.code],
        "channel": [None, c.channel], "anonymous": [None, c.anonymous],
        "contact": [None, "***" if not c.anonymous and kept.identifies() else None],
    })


def refusal_entry(actor: audit.Actor, exc: ReportError, category: Category | str, channel: str
                  ) -> AuditEntry:
    """The `reports.submit_refused` audit entry of a refused submission (not saved)."""
    return audit.entry(actor=actor, action=ReportAudit.SUBMIT_REFUSED, changes={
        "code": exc.code, "category": getattr(category, "code", str(category))[:64],
        "channel": str(channel)[:32]})


def unit_notice(report: Report, staff: Sequence[User]) -> notices.Notice | None:
    """The notice to the unit's leaders and clerks of a new report (None if nobody is there)."""
    if not staff:
        return None
    context = {"case": report.code, "case_id": report.pk, "due_at": report.due_at,
               "state": report.state}
    return notices.Notice(recipients=list(staff), channels=["in_app"], template="report_new",
                          context=context, subject_ref=f"reports.report:{report.pk}")


def _submit(
    *, actor: audit.Actor, category: Category, description: str, channel: str,
    latitude: float | None, longitude: float | None, address: str, contact: Contact,
    attributes: Mapping[str, Any], photos: Sequence[Any], media_urls: Sequence[str],
    anonymous: bool, on_behalf_of: User | None, key: str, scope: str, now: dt.datetime,
    suggest: bool,
) -> Submission:
    day = timezone.localdate(now)
    checked = check_submission(
        actor=actor, category=category, description=description, channel=channel,
        latitude=latitude, longitude=longitude, address=address, contact=contact,
        attributes=attributes, media_urls=media_urls, anonymous=anonymous,
        on_behalf_of=on_behalf_of, key=key, scope=scope, day=day)
    cleaned = clean_photos(list(photos))

    [code] = allocate_codes(day, 1)
    with transaction.atomic():
        report, token, contact_row = new_report(checked, code, now)

        def also(_: object) -> tuple[list[AuditEntry], list[notices.Notice]]:
            notice = unit_notice(report, list(policy.intake_staff(report.unit_id)))
            return [submit_entry(checked, report)], [notice] if notice is not None else []

        # The report's audit entry and the notice to its unit go with the workflow's own.
        engine.start(report, actor=actor, comment=checked.reason, now=now,
                     deadline={"working_days": category.deadline_days}, also=also)
        if contact_row is not None:
            contact_row.report = report
            contact_row.save()
        store_photos(report, cleaned, ReportPhoto.Kind.REPORT)
    duplicates: list[Report] = []
    if suggest:
        duplicates = suggest_duplicates(
            category=category, latitude=latitude, longitude=longitude, address=address,
            place_unit=report.place_unit, now=now, exclude=report)
    return Submission(report=report, private_token=token, created=True, duplicates=duplicates)


ANONYMOUS = SystemActor("anonymous")
