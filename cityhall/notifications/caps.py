"""Caps on messages to addresses given without an account, so the city cannot be made to
bomb a stranger's phone or mailbox.

A report may name any phone number or e-mail address. Until the owner of that address
confirms (through the link the messages carry), at most
`CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY` messages go to it in 24 hours; once confirmed, at
most `CITYHALL_MESSAGES_CONFIRMED_PER_DAY`. Messages over the cap are written as `held`
(the worker never claims them): they are sent if the address is confirmed in time, else
dropped after `CITYHALL_MESSAGES_HOLD_HOURS`. An owner who refuses gets nothing more.
Holds, releases and drops are in the audit trail. Addresses of accounts are not capped:
the account holder or an administrator entered them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from cityhall.core import audit
from cityhall.core.models import AuditEntry
from cityhall.notifications.audit_actions import MessageAudit
from cityhall.notifications.models import ContactPoint, OutboxMessage

HELD = MessageAudit.MESSAGE_HELD
DROPPED = MessageAudit.MESSAGE_DROPPED
RELEASED = MessageAudit.MESSAGE_RELEASED
CONFIRMED = MessageAudit.CONTACT_CONFIRMED
REFUSED = MessageAudit.CONTACT_REFUSED

#: Where the confirmation link goes in a message (the footer templates
#: `contact_confirm.<lang>.txt` hold it): filled in at delivery (`fill_link`), so the outbox
#: keeps no token. Text from a context never makes it (`services.render` escapes it).
LINK_MARKER = "[[secret:contact_confirm_link]]"
#: How long a confirmation link works.
LINK_MAX_AGE = dt.timedelta(days=30)
_SALT = "cityhall.notifications.contact"
#: The owner of an address, acting through the link sent to it.
ADDRESS_OWNER = audit.SystemActor("address-owner")
_COUNTED = (OutboxMessage.Status.PENDING, OutboxMessage.Status.SENT,
            OutboxMessage.Status.FAILED)


def kind_of(channel: str) -> str:
    """The kind of address a channel sends to: e-mail, or a phone number (SMS and Zalo)."""
    return (ContactPoint.Kind.EMAIL if channel == OutboxMessage.Channel.EMAIL
            else ContactPoint.Kind.PHONE)


def normalise(kind: str, address: str) -> str:
    """One spelling per address: e-mail in lower case; a phone number as its digits, with
    Vietnam's +84 written as the national 0 (0909 000 111 and +84 909000111 are one)."""
    if kind == ContactPoint.Kind.EMAIL:
        return address.strip().lower()
    digits = re.sub(r"\D", "", address)
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits


def digest(kind: str, address: str) -> str:
    """The keyed hash an address is kept as (HMAC-SHA256 under a key derived from SECRET_KEY)."""
    return salted_hmac(_SALT, f"{kind}:{normalise(kind, address)}",
                       algorithm="sha256").hexdigest()


def _points(addresses: Sequence[tuple[str, str]]) -> dict[tuple[str, str], ContactPoint]:
    """The rows of (kind, normalised address) pairs, created if new, each locked until the
    caller's transaction ends (so that two reports naming one address are counted one after
    the other): three statements at most, however many addresses."""
    digests = {(kind, digest(kind, address)): (kind, address) for kind, address in addresses}
    if not digests:
        return {}

    def locked() -> dict[tuple[str, str], ContactPoint]:
        wanted = Q()
        for kind in {k for k, _ in digests}:
            wanted |= Q(kind=kind, digest__in=sorted(d for k, d in digests if k == kind))
        # In one order for all (kind, digest): two batches never wait on each other in a cycle.
        rows = ContactPoint.objects.select_for_update().filter(wanted).order_by("kind", "digest")
        return {digests[p.kind, p.digest]: p for p in rows}

    found = locked()
    if len(found) < len(digests):
        # Rows another transaction creates meanwhile are waited for, then skipped.
        ContactPoint.objects.bulk_create(
            [ContactPoint(kind=kind, digest=key) for (kind, key), pair in sorted(digests.items())
             if pair not in found], ignore_conflicts=True)
        found = locked()
    return found


def cap_of(point: ContactPoint) -> int:
    """Messages the address may receive in 24 hours."""
    if point.confirmed_at is not None:
        return int(settings.CITYHALL_MESSAGES_CONFIRMED_PER_DAY)
    return int(settings.CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY)


def _sent_recently(points: Sequence[ContactPoint], now: dt.datetime) -> dict[int, int]:
    """Messages counted against each address's cap in the last 24 hours, by row id."""
    rows = (OutboxMessage.objects
            .filter(contact_point__in=[p.pk for p in points],
                    created_at__gt=now - dt.timedelta(hours=24), status__in=_COUNTED)
            .values("contact_point").annotate(n=Count("id")).values_list("contact_point", "n"))
    return dict(rows)


def _footer(language: str) -> str:
    lang = language if language in ("vi", "en") else settings.LANGUAGE_CODE
    with translation.override(lang):
        return render_to_string(f"notifications/messages/contact_confirm.{lang}.txt", {
            "cap": settings.CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY,
            "site": settings.CITYHALL_SITE_NAME}).strip()


@dataclass
class Outcome:
    """What the caps did to a batch of new messages: (message, reason) for their audit."""

    held: list[tuple[OutboxMessage, str]]
    dropped: list[tuple[OutboxMessage, str]]


def apply(messages: Sequence[OutboxMessage], languages: Mapping[int, str],
          now: dt.datetime | None = None) -> Outcome:
    """Cap the new messages to addresses without an account, before they are written.

    Each is linked to its address; over the cap it is held; to an address that refused
    messages it is dropped; sent unconfirmed, it carries the confirmation link.
    `languages` gives each message's language by `id(message)`. Call inside the
    transaction that writes the messages.
    """
    now = now or timezone.now()
    outcome = Outcome(held=[], dropped=[])
    by_address: dict[tuple[str, str], list[OutboxMessage]] = {}
    for message in messages:
        if message.recipient_id is None:
            kind = kind_of(message.channel)
            by_address.setdefault((kind, normalise(kind, message.address)), []).append(message)
    points = _points(sorted(by_address))
    recent = _sent_recently(list(points.values()), now) if points else {}
    for key, group in sorted(by_address.items()):
        point = points[key]
        used, cap = recent.get(point.pk, 0), cap_of(point)
        for message in group:
            message.contact_point = point
            message.created_at = now
            if point.refused_at is not None:
                message.status = OutboxMessage.Status.DROPPED
                message.address = _mask(message.address)
                outcome.dropped.append((message, "refused"))
            elif used >= cap:
                message.status = OutboxMessage.Status.HELD
                outcome.held.append((message, "over_confirmed_cap" if point.confirmed_at
                                     else "over_unconfirmed_cap"))
            else:
                used += 1
                if point.confirmed_at is None:
                    language = languages.get(id(message), settings.LANGUAGE_CODE)
                    message.body = f"{message.body}\n\n{_footer(language)}".strip()
    return outcome


def _mask(address: str) -> str:
    from cityhall.notifications.services import mask_address

    return mask_address(address)


def record(outcome: Outcome) -> None:
    """The audit entries of the held and dropped messages (once they are saved)."""
    entries = [
        audit.entry(actor=audit.SYSTEM, action=action, obj=message, changes={
            "channel": message.channel, "subject_ref": message.subject_ref, "reason": reason})
        for action, pairs in ((HELD, outcome.held), (DROPPED, outcome.dropped))
        for message, reason in pairs
    ]
    if entries:
        AuditEntry.objects.bulk_create(entries)


# -- the confirmation link -------------------------------------------------------------------

def confirmation_token(point_pk: int) -> str:
    """A signed, expiring token naming the address's row (not the address)."""
    return signing.dumps(point_pk, salt=_SALT)


def point_from_token(token: str) -> ContactPoint | None:
    """The address a confirmation token names, if the token is genuine and not expired."""
    try:
        pk = signing.loads(token, salt=_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return ContactPoint.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def confirmation_link(point_pk: int) -> str:
    """The absolute link (CITYHALL_SITE_URL) to the page where the owner confirms or refuses."""
    path = reverse("notifications:contact_confirm", args=[confirmation_token(point_pk)])
    return f"{settings.CITYHALL_SITE_URL}{path}"


def fill_link(message: OutboxMessage) -> str:
    """The message's body with its confirmation link filled in (at delivery)."""
    if LINK_MARKER not in message.body:
        return message.body
    point_pk = message.contact_point_id
    return message.body.replace(LINK_MARKER, confirmation_link(point_pk) if point_pk else "")


# -- the owner's answer, and the end of holds ------------------------------------------------

def confirm(*, actor: audit.Actor, point: ContactPoint, now: dt.datetime | None = None) -> int:
    """The owner wants the messages: lift the cap and release what is held (within the new
    cap); returns how many were released."""
    now = now or timezone.now()
    with transaction.atomic():
        point = ContactPoint.objects.select_for_update().get(pk=point.pk)
        was = {"confirmed": point.confirmed_at is not None, "refused": point.refused_at is not None}
        point.confirmed_at, point.refused_at = point.confirmed_at or now, None
        point.save(update_fields=["confirmed_at", "refused_at"])
        room = max(0, cap_of(point) - _sent_recently([point], now).get(point.pk, 0))
        held = list(point.messages.filter(status=OutboxMessage.Status.HELD)
                    .order_by("created_at", "pk").values_list("pk", flat=True)[:room])
        OutboxMessage.objects.filter(pk__in=held).update(
            status=OutboxMessage.Status.PENDING, next_attempt_at=now)
        audit.record(actor=actor, action=CONFIRMED, obj=point, changes={
            "confirmed": [was["confirmed"], True], "refused": [was["refused"], False],
            "released": len(held)})
        if held:
            AuditEntry.objects.bulk_create([
                audit.entry(actor=actor, action=RELEASED, obj=message, changes={
                    "channel": message.channel, "subject_ref": message.subject_ref})
                for message in OutboxMessage.objects.filter(pk__in=held)])
    return len(held)


def refuse(*, actor: audit.Actor, point: ContactPoint, now: dt.datetime | None = None) -> int:
    """The owner wants no messages: drop what is held, and all that would come; returns how
    many were dropped."""
    now = now or timezone.now()
    with transaction.atomic():
        point = ContactPoint.objects.select_for_update().get(pk=point.pk)
        point.refused_at, point.confirmed_at = now, None
        point.save(update_fields=["confirmed_at", "refused_at"])
        # Held ones, and pending ones no worker is sending right now.
        waiting = point.messages.filter(Q(status=OutboxMessage.Status.HELD) | Q(
            status=OutboxMessage.Status.PENDING, claimed_by=""))
        dropped = _drop(waiting, reason="refused")
        audit.record(actor=actor, action=REFUSED, obj=point, changes={"dropped": dropped})
    return dropped


def _drop(messages: Any, *, reason: str) -> int:
    rows = list(messages.select_for_update().only("pk", "address", "channel", "subject_ref"))
    for message in rows:
        message.status = OutboxMessage.Status.DROPPED
        message.address = _mask(message.address)
    OutboxMessage.objects.bulk_update(rows, ["status", "address"])
    AuditEntry.objects.bulk_create([
        audit.entry(actor=audit.SYSTEM, action=DROPPED, obj=message, changes={
            "channel": message.channel, "subject_ref": message.subject_ref, "reason": reason})
        for message in rows])
    return len(rows)


def drop_expired(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Drop, never to be sent, up to `limit` held messages older than
    CITYHALL_MESSAGES_HOLD_HOURS (a job of `cityhall worker`); returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.CITYHALL_MESSAGES_HOLD_HOURS)
    expired = OutboxMessage.objects.filter(status=OutboxMessage.Status.HELD, created_at__lt=cutoff)
    with transaction.atomic():
        return _drop(expired.filter(pk__in=list(
            expired.order_by("pk").values_list("pk", flat=True)[:limit])),
            reason="not_confirmed_in_time")
