"""Telling people: in-app notices, and an outbox delivered by the worker with retries."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cityhall.core.audit import Actor
from cityhall.core.queue import Lease, Retry, WorkQueue
from cityhall.notifications import caps
from cityhall.notifications.models import Notification, OutboxMessage

logger = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")
MAX_ATTEMPTS = 12
LEASE = dt.timedelta(minutes=5)

#: The outbox as a queue: pending messages, retried after 30 s doubling up to an hour (plus
#: up to 10 % jitter), given up after the 12th attempt and kept as failed for an operator.
RETRY = Retry(first=dt.timedelta(seconds=30), cap=dt.timedelta(hours=1),
              max_attempts=MAX_ATTEMPTS)
OUTBOX = WorkQueue(
    OutboxMessage, pending=Q(status=OutboxMessage.Status.PENDING), retry=RETRY,
    given_up={"status": OutboxMessage.Status.FAILED}, lease_columns=Lease(length=LEASE),
)


class GatewayError(Exception):
    """A message channel could not take the message; it will be retried."""


#: Channels other apps deliver through the outbox (`register_channel`): their messages are
#: handed to the app's sender, and their address is kept once sent (not a person's).
_CHANNELS: dict[str, Callable[[OutboxMessage], None]] = {}


def register_channel(channel: str, sender: Callable[[OutboxMessage], None]) -> None:
    """Let an app deliver its own messages through the outbox, with its retries: `sender`
    takes one message (`address`, `subject`, `body`, `subject_ref` as the app wrote them)
    and raises GatewayError when it must be tried again. Called from `AppConfig.ready()`."""
    _CHANNELS[channel[:8]] = sender


def render(template: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """Render a message template in `language`: its first line is the subject, the rest the body."""
    lang = language if language in LANGUAGES else settings.LANGUAGE_CODE
    # Text from the context (a reply, a comment) never makes a secret marker: only the
    # template's own markers are filled at delivery.
    values = {k: SECRET_MARKER.sub("[[ secret:\\1]]", v) if isinstance(v, str) else v
              for k, v in context.items()}
    with translation.override(lang):
        text = render_to_string(f"notifications/messages/{template}.{lang}.txt", values)
    subject, _, body = text.strip().partition("\n")
    return subject.strip()[:200], body.strip()


def _address(user: Any, channel: str) -> str:
    if channel == OutboxMessage.Channel.EMAIL:
        return user.email or ""
    return user.phone or ""


@dataclass(frozen=True)
class ContactAddress:
    """Someone to tell who has no account: an e-mail address and/or a phone number.

    Personal data: it goes only into the outbox row that delivers to it, never into the
    audit trail or a notice shown in the application.
    """

    email: str = ""
    phone: str = ""
    language: str = ""  # empty: the site's language (Vietnamese)


@dataclass(frozen=True)
class Notice:
    """One thing to tell: who, through which channels, with which template and context.

    `recipients` are users; `contacts` are people without an account, reached by
    e-mail, SMS or Zalo only (the in-app channel needs an account).
    """

    recipients: Sequence[Any]
    channels: Sequence[str]
    template: str
    context: Mapping[str, Any]
    subject_ref: str = ""
    link: str = ""
    contacts: Sequence[ContactAddress] = ()


def _language(code: str) -> str:
    return code if code in LANGUAGES else settings.LANGUAGE_CODE


def _compose(
    notice: Notice, in_app: list[Notification], outbox: list[OutboxMessage],
    languages: dict[int, str],
) -> None:
    rendered: dict[str, tuple[str, str]] = {}

    def text(lang: str) -> tuple[str, str]:
        if lang not in rendered:
            rendered[lang] = render(notice.template, lang, notice.context)
        return rendered[lang]

    for user in notice.recipients:
        subject, body = text(_language(user.language))
        for channel in notice.channels:
            if channel == "in_app":
                in_app.append(Notification(recipient=user, subject=subject, body=body,
                                           subject_ref=notice.subject_ref, link=notice.link))
                continue
            address = _address(user, channel)
            if not address:
                continue  # no address for this channel: the in-app notice still reaches them
            outbox.append(OutboxMessage(channel=channel, recipient=user, address=address,
                                        subject=subject, body=body,
                                        subject_ref=notice.subject_ref))
    seen: set[tuple[str, str]] = set()
    for contact in notice.contacts:
        subject, body = text(_language(contact.language))
        for channel in notice.channels:
            if channel == "in_app":
                continue  # no account, no bell
            address = (contact.email if channel == OutboxMessage.Channel.EMAIL
                       else contact.phone).strip()
            if not address or (channel, address) in seen:
                continue
            seen.add((channel, address))
            outbox.append(OutboxMessage(channel=channel, recipient=None, address=address,
                                        subject=subject, body=body,
                                        subject_ref=notice.subject_ref))
            languages[id(outbox[-1])] = _language(contact.language)


def notify_many(notices: Iterable[Notice]) -> int:
    """Write the notices of many events at once (one insert per table), in the caller's transaction.

    In-app notices become visible when the transaction commits; other channels
    go to the outbox, which the worker delivers after commit. Messages to addresses
    without an account are capped (`caps.apply`): over the cap they are held, not sent.
    """
    in_app: list[Notification] = []
    outbox: list[OutboxMessage] = []
    languages: dict[int, str] = {}
    for notice in notices:
        _compose(notice, in_app, outbox, languages)
    if in_app:
        Notification.objects.bulk_create(in_app)
    if outbox:
        # The caps lock the rows of the addresses without an account until the messages are
        # written: in the caller's transaction, or in one of their own.
        to_contacts = any(m.recipient_id is None for m in outbox)
        with (transaction.atomic() if to_contacts and not transaction.get_connection()
              .in_atomic_block else nullcontext()):
            capped = caps.apply(outbox, languages)
            OutboxMessage.objects.bulk_create(outbox)
            caps.record(capped)
    return len(in_app) + len(outbox)


def notify(
    *, recipients: Iterable[Any], channels: Iterable[str], template: str,
    context: Mapping[str, Any], subject_ref: str = "", link: str = "",
    contacts: Iterable[ContactAddress] = (),
) -> int:
    """Write notices for `recipients` in their own language, inside the caller's transaction."""
    return notify_many([Notice(recipients=list(recipients), channels=list(channels),
                               template=template, context=context, subject_ref=subject_ref,
                               link=link, contacts=list(contacts))])


# -- secrets filled in at delivery ---------------------------------------------

#: A template writes `[[secret:NAME]]` where a value that must not be stored (a private
#: follow link with its token) belongs; the outbox row keeps the marker, and `send`
#: asks the resolver registered for NAME, with the message's `subject_ref`, just
#: before handing the message over.
SECRET_MARKER = re.compile(r"\[\[secret:([a-z0-9_]+)\]\]")
_secrets: dict[str, Callable[[str], str | None]] = {}


def register_secret(name: str, resolver: Callable[[str], str | None]) -> None:
    """Let `[[secret:name]]` in a message be replaced at delivery by `resolver(subject_ref)`."""
    _secrets[name] = resolver


def fill_secrets(text: str, subject_ref: str) -> str:
    """`text` with its secret markers replaced (by nothing when no resolver answers)."""
    def value(match: re.Match[str]) -> str:
        resolver = _secrets.get(match.group(1))
        return (resolver(subject_ref) if resolver else None) or ""

    return SECRET_MARKER.sub(value, text)


def mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notices read (all of them when `ids` is None); returns how many changed."""
    qs = Notification.objects.for_user(actor).unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# -- delivery -----------------------------------------------------------------

_client: httpx.Client | None = None


def gateway_client() -> httpx.Client:
    """The HTTP client of the message gateways, made on first use (after a fork) and reused."""
    global _client  # one pool of connections per process
    if _client is None:
        # Redirects are not followed: a gateway that moves is a misconfiguration to see.
        _client = httpx.Client(follow_redirects=False)
    return _client


def _post(url: str, key: str, payload: dict[str, Any], idempotency_key: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise GatewayError(f"gateway URL must be http(s): {url!r}")
    try:
        response = gateway_client().post(
            url, json=payload, timeout=settings.CITYHALL_GATEWAY_TIMEOUT,
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key},
        )
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # timeouts, refused connections, bad URLs
        raise GatewayError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise GatewayError(f"gateway answered {response.status_code}")


def send(message: OutboxMessage) -> None:
    """Hand one message to its channel; raise GatewayError when it must be retried."""
    registered = _CHANNELS.get(message.channel)
    if registered is not None:
        registered(message)
        return
    body = fill_secrets(caps.fill_link(message), message.subject_ref)
    if message.channel == OutboxMessage.Channel.EMAIL:
        try:
            send_mail(message.subject, body, settings.DEFAULT_FROM_EMAIL, [message.address])
        except OSError as exc:
            raise GatewayError(str(exc)) from exc
        return
    url, key = settings.CITYHALL_MESSAGE_GATEWAYS.get(message.channel, ("", ""))
    if not url:
        # No gateway configured (development): log it, like the console email backend,
        # without the full number (logs are kept and read more widely than the outbox).
        logger.info("%s to %s: %s", message.channel, mask_address(message.address),
                    message.subject)
        if settings.DEBUG:
            # Development: the whole text, so that a sign-in code can be read and used.
            logger.warning("%s to %s (development, no gateway):\n%s\n%s", message.channel,
                           message.address, message.subject, body)
        return
    _post(url, key, {"channel": message.channel, "to": message.address,
                     "text": f"{message.subject}\n{body}".strip()},
          idempotency_key=f"cityhall-outbox-{message.pk}")


def mask_address(address: str) -> str:
    """What is kept of an address once its message is sent: the e-mail's domain, or the
    phone's last three digits (enough to answer "was it sent to my number?")."""
    if "@" in address:
        return "…@" + address.rsplit("@", 1)[1]
    return "…" + address[-3:] if len(address) > 3 else "…"


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try, without jitter: 30 s doubling per attempt, at most an hour."""
    return RETRY.delay(max(attempts, 1))


@dataclass
class DeliveryResult:
    """What one `deliver_outbox` call did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def tried(self) -> int:
        return self.sent + self.retried + self.failed


def deliver_outbox(*, worker: str = "worker", now: dt.datetime | None = None,
                   batch: int = 100, limit: int | None = None,
                   only: Sequence[int] | None = None) -> DeliveryResult:
    """Deliver the messages that are due, or `limit` of them; failures wait and try again.
    `only`: just these messages (by id), if due and free: an app sending one at once.

    Messages are leased `batch` at a time (`core.queue.WorkQueue.lease`): sending talks to
    a gateway that no transaction can undo, so a worker that dies mid-batch leaves its
    lease to run out rather than a lock held.
    """
    result = DeliveryResult()
    while limit is None or result.tried < limit:
        current = now or timezone.now()
        take = batch if limit is None else min(batch, limit - result.tried)
        claimed = OUTBOX.lease(
            worker=worker, now=current, limit=take,
            among=None if only is None else OutboxMessage.objects.filter(pk__in=only))
        for message in claimed:
            try:
                send(message)
            except GatewayError as exc:
                failure = OUTBOX.failure(message, now=current)
                OUTBOX.release(message, worker=worker, last_error=str(exc)[:2000],
                               **failure.changes)
                if failure.gave_up:
                    result.failed += 1
                    logger.error("gave up on outbox message %s: %s", message.pk, exc)
                else:
                    result.retried += 1
                continue
            # Delivered: the full address is no longer needed (personal data, minimised).
            OUTBOX.release(message, worker=worker, status=OutboxMessage.Status.SENT,
                           sent_at=timezone.now(), attempts=message.attempts + 1,
                           address=(message.address if message.channel in _CHANNELS
                                    else mask_address(message.address)))
            result.sent += 1
        if len(claimed) < take:
            break
    return result
