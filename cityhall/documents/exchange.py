"""The exchange of official documents between agencies in edXML (QCVN 102:2016): sending
an issued document to recipients addressed by electronic identification code, receiving
envelopes and status messages, and telling the sender each state of its document.

Every message goes through the notifications outbox (channel `edxml`): written in the
transaction that decides it, pushed at once after commit, and retried by `cityhall worker`
while the other side is down. Where a code leads:

- a `Peer` with that code: an HTTP POST of the XML to its exchange endpoint, authenticated
  with the key shared with that peer (`signature`: HMAC-SHA256 over the timestamp, the
  message id, both codes and the body);
- else one of our own units with that electronic code (or unit code): `receive` in this
  process, without HTTP.

A message carries a message id (a UUID); the receiver keeps it, so a message delivered
twice (a retry after a lost answer) is acknowledged and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import time
import uuid
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core import audit
from cityhall.core.errors import Common, Refused
from cityhall.documents import edxml, verification
from cityhall.documents.audit_actions import DocumentAudit
from cityhall.documents.errors import DocumentCode, DocumentError
from cityhall.documents.models import (
    Arrival,
    Direction,
    Dispatch,
    Document,
    DocumentFile,
    ExchangeStatus,
    Peer,
)
from cityhall.notifications.models import OutboxMessage
from cityhall.notifications.services import GatewayError, deliver_outbox
from cityhall.orgunits.models import Unit

logger = logging.getLogger(__name__)

#: The outbox channel of edXML messages (`notifications.services.register_channel`).
CHANNEL = "edxml"
#: The transport's headers.
MESSAGE_ID = "X-Edxml-Message-Id"
FROM = "X-Edxml-From"
TO = "X-Edxml-To"
TIMESTAMP = "X-Edxml-Timestamp"
SIGNATURE = "X-Edxml-Signature"

Code = edxml.StatusCode


def org_code(unit: Unit) -> str:
    """The code a unit is addressed by: its electronic identification code, or (none
    given yet) its unit code."""
    return unit.electronic_id or unit.code


def local_unit(code: str) -> Unit | None:
    """Our unit addressed by `code` (electronic code first, then unit code)."""
    code = code.strip()[:32]
    if not code:
        return None
    found = list(Unit.objects.active_on().filter(Q(electronic_id=code) | Q(code=code))[:2])
    return next((u for u in found if u.electronic_id == code), found[0] if found else None)


def peer_for(code: str) -> Peer | None:
    return Peer.objects.filter(code=code.strip()[:32], active=True).first()


def reachable(code: str) -> str | None:
    """The recipient's name if `code` leads somewhere (a peer, or one of our units)."""
    peer = peer_for(code)
    if peer is not None:
        return peer.name or peer.code
    unit = local_unit(code)
    return unit.name if unit is not None else None


def document_key(document: Document) -> str:
    """The edXML DocumentId of an issued document (`000.00.00.H29,2026/01/05,07/QĐ-UBND`)."""
    day = document.document_date or timezone.localdate(document.registered_at)
    return edxml.document_id(org_code(document.unit), day, document.notation)


def signature(key: str, *, timestamp: str, message_id: str, sender: str, recipient: str,
              body: bytes) -> str:
    """The transport's HMAC-SHA256, in hexadecimal, over everything the receiver acts on."""
    signed = f"{timestamp}\n{message_id}\n{sender}\n{recipient}\n".encode() + body
    return hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()


# Sending --------------------------------------------------------------------------------


def issued_pdf(document: Document) -> DocumentFile | None:
    return (DocumentFile.objects.filter(document=document, kind=DocumentFile.Kind.ISSUED)
            .order_by("-created_at", "-pk").first())


def envelope_of(document: Document, recipients: list[tuple[str, str]],
                now: dt.datetime | None = None) -> edxml.Envelope:
    """An issued document as an edXML envelope to `recipients` ((code, name) pairs), its
    signed PDF attached."""
    if document.direction != Direction.OUTGOING or document.number is None:
        raise DocumentError(DocumentCode.NOT_ISSUED, _("Only an issued document is sent."))
    now = now or timezone.now()
    number, _slash, notation = document.notation.partition("/")
    stored = issued_pdf(document)
    attachments = []
    if stored is not None:
        with stored.file.open("rb") as handle:
            data = handle.read()
        attachments.append(edxml.Attachment(
            content_id=f"{uuid.uuid5(uuid.NAMESPACE_URL, document_key(document)).hex}@pdf",
            name=f"{document.notation.replace('/', '-')}.pdf", content_type="application/pdf",
            data=data, description=document.summary[:200]))
    competence = " ".join(p for p in (document.authority, document.authority_for) if p)
    return edxml.Envelope(
        sender=edxml.Organ(organ_id=org_code(document.unit), name=document.author),
        recipients=[edxml.Organ(organ_id=code, name=name) for code, name in recipients],
        document_id=document_key(document),
        promulgation_date=document.document_date or timezone.localdate(now),
        subject=document.summary, code_number=number, code_notation=notation,
        place=document.place,
        document_type=edxml.DocumentType(name=document.doc_type.name,
                                         detail=document.doc_type.code),
        content=document.content,
        signer=edxml.Signer(competence=competence, position=document.signer_title,
                            full_name=document.signer_name),
        amount=document.copies, to_places=document.recipient_lines,
        traces=[edxml.Trace(organ_id=org_code(document.unit), timestamp=now)],
        attachments=attachments)


def _queue(*, sender: str, recipient: str, message_id: str, body: bytes, kind: str) -> None:
    """Write the message to the outbox; after commit, try to deliver it at once."""
    row = OutboxMessage.objects.create(
        channel=CHANNEL, address=recipient, subject=f"{kind} {sender}"[:200],
        body=body.decode("utf-8"), subject_ref=message_id)
    transaction.on_commit(lambda: push([row.pk]))


def push(ids: list[int]) -> None:
    """Deliver these outbox messages now, if they are free; what fails waits for the
    worker's retries (never an error for the caller: the message is safe in the outbox)."""
    if not settings.CITYHALL_EDXML_PUSH_AT_ONCE:
        return
    try:
        deliver_outbox(worker=f"edxml-push-{os.getpid()}", only=ids, limit=len(ids))
    except Exception:  # a push is only a shortcut; the outbox keeps the message
        logger.exception("pushing edXML messages %s failed; the worker will retry", ids)


def deliver_all() -> int:
    """Deliver every edXML message due now (the demo's rounds of the worker); how many."""
    sent = 0
    while True:
        ids = list(OutboxMessage.objects.filter(channel=CHANNEL, status="pending")
                   .values_list("pk", flat=True)[:100])
        done = deliver_outbox(only=ids, limit=len(ids)).sent if ids else 0
        sent += done
        if not done:
            return sent


def dispatch(*, actor: audit.Actor, document: Document, codes: list[str],
             now: dt.datetime | None = None) -> list[Dispatch]:
    """Send an issued document to each recipient code (one message each), in the caller's
    transaction. A code already sent to is skipped; an unknown code refuses the lot."""
    now = now or timezone.now()
    wanted = list(dict.fromkeys(c.strip()[:32] for c in codes if c.strip()))
    names: dict[str, str] = {}
    unknown = []
    for code in wanted:
        name = reachable(code)
        if name is None:
            unknown.append(code)
        else:
            names[code] = name
    if unknown:
        raise DocumentError(DocumentCode.INVALID_DOCUMENT, {"to": _(
            "No peer and none of our units has the code: %(codes)s.") % {
                "codes": ", ".join(unknown)}})
    done = set(Dispatch.objects.filter(document=document).values_list("recipient_code",
                                                                       flat=True))
    made = []
    for code in wanted:
        if code in done:
            continue
        envelope = envelope_of(document, [(code, names[code])], now=now)
        body = edxml.write_envelope(envelope)
        row = Dispatch.objects.create(
            document=document, recipient_code=code, recipient_name=names[code][:300],
            document_key=envelope.document_id, message_id=uuid.uuid4().hex, created_at=now)
        _queue(sender=envelope.sender.organ_id, recipient=code, message_id=row.message_id,
               body=body, kind="envelope")
        made.append(row)
    if made:
        audit.record(actor=actor, action=DocumentAudit.SEND_EDXML, obj=document,
                     unit=document.unit, changes={"to": [None, [d.recipient_code for d in made]]})
    return made


def _status_message(*, code: Code, sender: tuple[str, str], about: edxml.ResponseFor,
                    description: str, now: dt.datetime) -> bytes:
    return edxml.write_status(edxml.Status(
        response_for=about, sender=edxml.Organ(organ_id=sender[0], name=sender[1]), code=code,
        timestamp=now, description=description[:1000]))


def report(arrival: Arrival, code: Code, *, description: str = "",
           now: dt.datetime | None = None) -> ExchangeStatus:
    """Tell the sender of `arrival` its new state (01 ... 06, 15, 16), in the caller's
    transaction."""
    # To the second, as the message carries it: histories on both sides agree.
    now = (now or timezone.now()).replace(microsecond=0)
    about = edxml.ResponseFor(organ_id=arrival.sender_code, code=arrival.notation,
                              promulgation_date=arrival.document_date,
                              document_id=arrival.document_key)
    body = _status_message(code=code, sender=(arrival.recipient_code, arrival.unit.name),
                           about=about, description=description, now=now)
    row = ExchangeStatus.objects.create(
        way=ExchangeStatus.Way.SENT, message_id=uuid.uuid4().hex, code=code.value,
        description=description[:1000], at=now, arrival=arrival)
    _queue(sender=arrival.recipient_code, recipient=arrival.sender_code,
           message_id=row.message_id, body=body, kind="status")
    return row


def handling_moved(document: Document, code: Code, *, now: dt.datetime | None = None) -> None:
    """An incoming document that came by edXML was assigned (04), passed on (05) or its
    handling completed (06): tell its sender. Nothing for a document entered by hand."""
    for arrival in Arrival.objects.filter(document=document,
                                          state=Arrival.State.ACCEPTED).select_related("unit"):
        report(arrival, code, now=now)


def request_recall(*, actor: audit.Actor, document: Document, reason: str,
                   now: dt.datetime | None = None) -> list[ExchangeStatus]:
    """Ask every recipient of a sent document to recall it (status 13, with the reason);
    each answers 15 (agreed) or 16 (refused)."""
    now = (now or timezone.now()).replace(microsecond=0)
    reason = reason.strip()[:1000]
    if not reason:
        raise DocumentError(Common.INVALID, {"reason": _("Say why the document is recalled.")})
    made = []
    with transaction.atomic():
        for sent in Dispatch.objects.filter(document=document).exclude(
                status__in=[Code.REJECTED, Code.RECALL_AGREED]):
            about = edxml.ResponseFor(organ_id=org_code(document.unit), code=document.notation,
                                      promulgation_date=document.document_date,
                                      document_id=sent.document_key)
            body = _status_message(code=Code.RECALL_REQUESTED,
                                   sender=(org_code(document.unit), document.author),
                                   about=about, description=reason, now=now)
            row = ExchangeStatus.objects.create(
                way=ExchangeStatus.Way.SENT, message_id=uuid.uuid4().hex,
                code=Code.RECALL_REQUESTED.value, description=reason, at=now, dispatch=sent)
            Dispatch.objects.filter(pk=sent.pk).update(status=Code.RECALL_REQUESTED.value,
                                                       status_at=now)
            _queue(sender=org_code(document.unit), recipient=sent.recipient_code,
                   message_id=row.message_id, body=body, kind="status")
            made.append(row)
        if made:
            audit.record(actor=actor, action=DocumentAudit.RECALL_REQUEST, obj=document,
                         unit=document.unit, changes={"reason": [None, reason[:200]]})
    return made


def deliver(message: OutboxMessage) -> None:
    """The outbox's sender for the `edxml` channel: to a peer over HTTP, or to one of our
    units in this process. GatewayError (retried) when it cannot be delivered."""
    _kind, _space, sender = message.subject.partition(" ")
    recipient, body = message.address, message.body.encode("utf-8")
    peer = peer_for(recipient)
    if peer is None:
        if local_unit(recipient) is None:
            raise GatewayError(f"no peer and no unit of ours has the code {recipient}")
        try:
            receive(body, message_id=message.subject_ref, sender=sender, recipient=recipient)
        except Refused as exc:
            raise GatewayError(f"{exc.code}: {exc.detail}") from exc
        return
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/xml; charset=utf-8", MESSAGE_ID: message.subject_ref,
        FROM: sender, TO: recipient, TIMESTAMP: stamp,
        SIGNATURE: signature(peer.key, timestamp=stamp, message_id=message.subject_ref,
                             sender=sender, recipient=recipient, body=body),
    }
    try:
        answer = httpx.post(peer.url, content=body, headers=headers,
                            timeout=settings.CITYHALL_EDXML_TIMEOUT)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise GatewayError(f"{type(exc).__name__}: {exc}") from exc
    if answer.status_code >= 300:
        raise GatewayError(f"{peer.url} answered {answer.status_code}: {answer.text[:500]}")


# Receiving ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What `receive` did: the kind of message, and whether it was a repeat."""

    kind: str
    message_id: str
    duplicate: bool


def authenticate(*, body: bytes, headers: dict[str, str], now: float | None = None) -> None:
    """Check a message posted by a peer: the sender's code is in the directory, the
    timestamp is recent, the HMAC matches. Refusals are machine-readable (4xx)."""
    sender = headers.get(FROM, "")
    peer = peer_for(sender) if sender else None
    if peer is None:
        raise DocumentError(DocumentCode.UNKNOWN_PEER, _(
            "The sender's code is not in this instance's directory of peers."))
    try:
        stamp = int(headers.get(TIMESTAMP, ""))
    except ValueError:
        raise DocumentError(DocumentCode.STALE_MESSAGE, _("No timestamp.")) from None
    window = settings.CITYHALL_EDXML_MAX_SKEW_SECONDS
    if abs((now or time.time()) - stamp) > window:
        raise DocumentError(DocumentCode.STALE_MESSAGE, _(
            "The timestamp is more than %(n)s seconds off.") % {"n": window})
    expected = signature(peer.key, timestamp=str(stamp), message_id=headers.get(MESSAGE_ID, ""),
                         sender=sender, recipient=headers.get(TO, ""), body=body)
    given = headers.get(SIGNATURE, "").removeprefix("sha256=")
    if not hmac.compare_digest(expected, given):
        raise DocumentError(DocumentCode.BAD_SIGNATURE, _("The signature does not match."))


def receive(body: bytes, *, message_id: str, sender: str, recipient: str,
            now: dt.datetime | None = None) -> Received:
    """Take an envelope or a status message (already authenticated). Idempotent by message
    id: the same message again is acknowledged and changes nothing; another body under a
    message id already seen is refused (`message_id_reused`)."""
    now = now or timezone.now()
    message_id = message_id.strip()[:64]
    if not message_id:
        raise DocumentError(Common.BAD_REQUEST, _("No message id."))
    digest = hashlib.sha256(body).hexdigest()
    kind = edxml.message_kind(body)
    seen = (Arrival.objects.filter(message_id=message_id).values_list("sha256", flat=True)
            if kind == "envelope" else
            ExchangeStatus.objects.filter(way=ExchangeStatus.Way.RECEIVED,
                                          message_id=message_id).values_list("sha256", flat=True))
    for earlier in seen[:1]:
        if earlier != digest:
            raise DocumentError(DocumentCode.MESSAGE_ID_REUSED, _(
                "This message id came before with another content."))
        return Received(kind, message_id, duplicate=True)
    try:
        if kind == "envelope":
            _receive_envelope(body, digest, message_id=message_id, sender=sender,
                              recipient=recipient, now=now)
        else:
            _receive_status(body, digest, message_id=message_id, sender=sender,
                            recipient=recipient, now=now)
    except IntegrityError:
        # The same message delivered twice at the same moment: the other one took it.
        return Received(kind, message_id, duplicate=True)
    return Received(kind, message_id, duplicate=False)


def pdfs_of(envelope: edxml.Envelope) -> list[edxml.Attachment]:
    return [a for a in envelope.attachments
            if a.content_type == "application/pdf" or a.name.lower().endswith(".pdf")]


def _receive_envelope(body: bytes, digest: str, *, message_id: str, sender: str,
                      recipient: str, now: dt.datetime) -> None:
    envelope = edxml.read_envelope(body)
    if envelope.sender.organ_id != sender:
        raise DocumentError(Common.BAD_REQUEST, _("The envelope's From is not the sender."))
    unit = local_unit(recipient)
    if unit is None or recipient not in {o.organ_id for o in envelope.recipients}:
        raise DocumentError(DocumentCode.UNKNOWN_RECIPIENT, _(
            "None of our units is this envelope's recipient %(code)s.") % {"code": recipient})
    checked, valid = verification.verify_files([a.data for a in pdfs_of(envelope)])
    notation = "/".join(p for p in (envelope.code_number, envelope.code_notation) if p)
    with transaction.atomic():
        arrival = Arrival.objects.create(
            unit=unit, message_id=message_id, sha256=digest, recipient_code=recipient,
            sender_code=sender, sender_name=envelope.sender.name[:300],
            document_key=envelope.document_id[:200], notation=notation[:80],
            summary=envelope.subject[:1000], document_date=envelope.promulgation_date,
            type_name=envelope.document_type.name[:100],
            signer_name=envelope.signer.full_name[:200], envelope=body.decode("utf-8"),
            signatures=checked, signatures_valid=valid, received_at=now)
        audit.record(actor=audit.SYSTEM, action=DocumentAudit.RECEIVE_EDXML, obj=arrival,
                     unit=unit, changes={"from": [None, sender], "notation": [None, notation],
                                         "signatures_valid": [None, valid]})
        # Decree 30, Art. 21: the receipt is confirmed at once.
        report(arrival, Code.ARRIVED, now=now)


def _receive_status(body: bytes, digest: str, *, message_id: str, sender: str,
                    recipient: str, now: dt.datetime) -> None:
    status = edxml.read_status(body)
    if status.sender.organ_id != sender:
        raise DocumentError(Common.BAD_REQUEST, _("The status's From is not the sender."))
    key = status.response_for.document_id
    with transaction.atomic():
        row = ExchangeStatus(way=ExchangeStatus.Way.RECEIVED, message_id=message_id,
                             sha256=digest, code=status.code.value,
                             description=status.description[:1000], at=status.timestamp,
                             created_at=now)
        if status.code == Code.RECALL_REQUESTED:
            arrival = (Arrival.objects.select_for_update()
                       .filter(document_key=key, sender_code=sender, recipient_code=recipient)
                       .order_by("-pk").first())
            if arrival is None:
                raise DocumentError(DocumentCode.UNKNOWN_EXCHANGED_DOCUMENT, _(
                    "No document %(key)s arrived here from this sender.") % {"key": key})
            row.arrival = arrival
            row.save()
            Arrival.objects.filter(pk=arrival.pk).update(
                recall_requested=True, recall_reason=status.description[:1000])
            return
        sent = (Dispatch.objects.select_for_update()
                .filter(document_key=key, recipient_code=sender).first())
        if sent is None:
            raise DocumentError(DocumentCode.UNKNOWN_EXCHANGED_DOCUMENT, _(
                "No document %(key)s was sent from here to this recipient.") % {"key": key})
        row.dispatch = sent
        row.save()
        if sent.status_at is None or status.timestamp >= sent.status_at:
            # The latest state wins; an older one delivered late only joins the history.
            Dispatch.objects.filter(pk=sent.pk).update(status=status.code.value,
                                                       status_at=status.timestamp)
