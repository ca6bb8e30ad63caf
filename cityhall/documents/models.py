"""Official documents (Decree 30/2020/NĐ-CP): their types, each unit's yearly registers,
the documents with the fields of Appendix IV, and the handling of incoming ones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.files.models import StoredFile
from cityhall.documents.queries import (
    ArrivalQuerySet,
    DocumentQuerySet,
    HandlingQuerySet,
    RegisterQuerySet,
    SigningKeyQuerySet,
)
from cityhall.workflow.models import WorkflowCase


class Direction(models.TextChoices):
    OUTGOING = "outgoing", _("outgoing")
    INCOMING = "incoming", _("incoming")


class Authority(models.TextChoices):
    """How the signer signs (Decree 30, Appendix I, part I.8): for the collective, as
    deputy, acting, by order, by authorisation; or in their own name."""

    OWN = "", _("in own name")
    TM = "TM.", _("on behalf of (TM.)")
    KT = "KT.", _("deputy signing for (KT.)")
    Q = "Q.", _("acting (Q.)")
    TL = "TL.", _("by order of (TL.)")
    TUQ = "TUQ.", _("by authorisation of (TUQ.)")


class DocumentType(models.Model):
    """A type of administrative document and its abbreviation in the notation (data)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    abbreviation = models.CharField(_("abbreviation"), max_length=10, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Register(models.Model):
    """One unit's register of a year, incoming or outgoing; `last_number` is its counter,
    locked by the transaction that gives the next number."""

    unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unit"))
    year = models.PositiveSmallIntegerField(_("year"))
    direction = models.CharField(_("incoming or outgoing"), max_length=8, choices=Direction.choices)
    last_number = models.PositiveIntegerField(_("last number given"), default=0)

    objects = RegisterQuerySet.as_manager()

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        ordering = ["unit", "-year", "direction"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "direction"],
                                    name="document_register_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.direction}: {self.last_number}"


class Document(WorkflowCase):
    """An entry of a register: an outgoing document (drafted here, on the `document`
    workflow) or an incoming one (registered on arrival; its handling is a `Handling`).

    `unit` (the engine's) is the unit that issues it, or that received it.
    """

    direction = models.CharField(_("incoming or outgoing"), max_length=8, choices=Direction.choices)
    register = models.ForeignKey(Register, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="documents", verbose_name=_("register"))
    #: Outgoing: the number of the unit's year, given at issue. Incoming: the arrival number.
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    notation = models.CharField(_("number and notation"), max_length=80, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    doc_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("type"))
    summary = models.CharField(_("summary"), max_length=1000)
    content = models.TextField(_("content"), blank=True)
    #: The issuing agency as printed (outgoing: the unit; incoming: the sender).
    author = models.CharField(_("issuing agency"), max_length=300)
    #: The agency's abbreviation in the notation (UBND, SXD ...).
    agency_abbreviation = models.CharField(_("agency abbreviation"), max_length=20, blank=True)
    #: The drafting unit's abbreviation (a Công văn's notation ends with it: UBND-VX).
    drafting_unit = models.CharField(_("drafting unit abbreviation"), max_length=20,
                                     blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+", verbose_name=_("signer"))
    signer_name = models.CharField(_("signer's name"), max_length=200, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=200, blank=True)
    authority = models.CharField(_("signing authority"), max_length=4,
                                 choices=Authority.choices, blank=True)
    #: Whom the signer signs for, after the authority: "ỦY BAN NHÂN DÂN", "CHỦ TỊCH".
    authority_for = models.CharField(_("signing for"), max_length=200, blank=True)
    recipients = models.TextField(_("recipients"), blank=True)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    file_copy_unit = models.CharField(_("file copies kept by"), max_length=200, blank=True)
    notes = models.CharField(_("notes"), max_length=1000, blank=True)
    # Incoming (Appendix IV, the incoming register).
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    receiving_unit = models.CharField(_("receiving unit or person"), max_length=300,
                                      blank=True)
    transfer_date = models.DateField(_("transfer date"), null=True, blank=True)
    #: Outgoing: when it was issued (numbered). Incoming: when it was registered.
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("drafted by"))
    #: A paper document registered with its scan (colour, 200 dpi or better): digitised.
    digitised = models.BooleanField(_("digitised"), default=False)
    #: The notation, summary and author folded to ASCII words (core.text.search_key).
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Never the same number twice in a register.
            models.UniqueConstraint(fields=["register", "number"],
                                    condition=Q(number__isnull=False),
                                    name="document_number_unique"),
        ]
        indexes = [models.Index(fields=["unit", "direction", "registered_at"],
                                name="document_unit_direction")]

    def __str__(self) -> str:
        return self.notation or self.summary[:60]

    @property
    def recipient_lines(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]


class DocumentFile(StoredFile):
    """A document's PDF as issued (or as it arrived): kept, never rebuilt."""

    storage_folder = "documents"

    class Kind(models.TextChoices):
        LEADER = "leader", _("approved by the leader")
        ISSUED = "issued", _("as issued")
        ARRIVED = "arrived", _("as it arrived")
        SCANNED = "scanned", _("scanned from paper")

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    #: Whether the PDF carries a PAdES signature made by this system.
    signed = models.BooleanField(_("digitally signed"), default=False)
    #: A scan of a paper document: the lowest resolution of its pages' images.
    scan_dpi = models.PositiveIntegerField(_("scan resolution (dpi)"), null=True, blank=True)

    class Meta(StoredFile.Meta):
        verbose_name = _("document file")
        verbose_name_plural = _("document files")
        ordering = ["-created_at", "-pk"]


class Handling(WorkflowCase):
    """The handling of an incoming document ("giao xử lý"): the leader gives it to a unit
    or an officer with a deadline; the officer reports it done. `unit` handles it."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="handlings",
                                 verbose_name=_("document"))
    instructions = models.TextField(_("leader's instructions"), blank=True)
    report = models.TextField(_("handling report"), blank=True)
    reply = models.ForeignKey(Document, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("reply document"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = HandlingQuerySet.as_manager()

    class Meta:
        verbose_name = _("handling of an incoming document")
        verbose_name_plural = _("handlings of incoming documents")
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.state}"


class Peer(models.Model):
    """Where an agency outside this instance is reached: its electronic identification code
    (or our unit's code), the exchange endpoint of the instance that serves it, and the key
    shared with that instance for the transport's HMAC. A national axis or a provincial LGSP
    is one more peer (one row per agency code it carries)."""

    code = models.CharField(_("electronic identification code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=300, blank=True)
    url = models.URLField(_("exchange endpoint"), max_length=500)
    key = models.CharField(_("shared key"), max_length=200)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("exchange peer")
        verbose_name_plural = _("exchange peers")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} → {self.url}"


class Dispatch(models.Model):
    """An issued document sent by edXML to one recipient, and the latest status it answered."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="dispatches",
                                 verbose_name=_("document"))
    recipient_code = models.CharField(_("recipient's code"), max_length=32)
    recipient_name = models.CharField(_("recipient"), max_length=300, blank=True)
    #: The edXML DocumentId the statuses answer about (`exchange.edxml_document_id`).
    document_key = models.CharField(max_length=200, db_index=True)
    message_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(_("latest status"), max_length=2, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("document sent by edXML")
        verbose_name_plural = _("documents sent by edXML")
        ordering = ["document", "recipient_code"]
        constraints = [models.UniqueConstraint(fields=["document", "recipient_code"],
                                               name="document_dispatch_unique")]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.recipient_code}: {self.status or '-'}"


class Arrival(models.Model):
    """An edXML envelope received for one of our units, waiting for its clerk to accept it
    (registered in the incoming register) or reject it."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting for the clerk")
        ACCEPTED = "accepted", _("accepted and registered")
        REJECTED = "rejected", _("rejected")
        RECALLED = "recalled", _("recalled by the sender")

    unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("receiving unit"))
    message_id = models.CharField(max_length=64, unique=True)
    sha256 = models.CharField(max_length=64)
    #: The code the sender addressed us by (the unit's electronic code, or its code).
    recipient_code = models.CharField(_("recipient's code"), max_length=32)
    sender_code = models.CharField(_("sender's code"), max_length=32)
    sender_name = models.CharField(_("sender"), max_length=300, blank=True)
    document_key = models.CharField(max_length=200, db_index=True)
    notation = models.CharField(_("number and notation"), max_length=80, blank=True)
    summary = models.CharField(_("summary"), max_length=1000)
    document_date = models.DateField(_("document date"))
    type_name = models.CharField(_("type"), max_length=100, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=200, blank=True)
    #: The envelope as it arrived (its PDFs inside, in base64).
    envelope = models.TextField()
    #: What core.signing.verify_pdf said of each PDF's signatures.
    signatures = models.JSONField(default=list, blank=True)
    signatures_valid = models.BooleanField(_("signatures valid"), default=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices,
                             default=State.WAITING)
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    override_reason = models.CharField(_("why registered despite the signature"),
                                       max_length=1000, blank=True)
    recall_requested = models.BooleanField(_("recall requested"), default=False)
    recall_reason = models.CharField(_("recall reason"), max_length=1000, blank=True)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="arrivals", verbose_name=_("register entry"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ArrivalQuerySet.as_manager()

    class Meta:
        verbose_name = _("document received by edXML")
        verbose_name_plural = _("documents received by edXML")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["unit", "state"], name="document_arrival_waiting")]

    def __str__(self) -> str:
        return f"{self.sender_code} {self.notation} → {self.unit_id}: {self.state}"


class ExchangeStatus(models.Model):
    """One edXML status message sent or received (01 arrived ... 16 refused): the history
    of a dispatch at the sender, of an arrival at the receiver."""

    class Way(models.TextChoices):
        SENT = "sent", _("sent")
        RECEIVED = "received", _("received")

    way = models.CharField(max_length=8, choices=Way.choices)
    message_id = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64, blank=True)
    code = models.CharField(_("status"), max_length=2)
    description = models.CharField(_("description"), max_length=1000, blank=True)
    at = models.DateTimeField(_("at"))
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="statuses")
    arrival = models.ForeignKey(Arrival, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="statuses")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("edXML status message")
        verbose_name_plural = _("edXML status messages")
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["way", "message_id"],
                                               name="document_status_message_unique")]

    def __str__(self) -> str:
        return f"{self.way} {self.code} {self.message_id}"


class SigningKey(models.Model):
    """A key registered to sign documents: a leader's personal key or a unit's (the
    organisation's signature, with its seal), in a PKCS#12 file or on a PKCS#11 token.

    The passphrase or PIN is never stored: `secret_env` names an environment variable of
    the service, or `secret_file` a file it can read. What the certificate says is copied
    for display and for the checks made before signing (`keystore.py`).
    """

    class Storage(models.TextChoices):
        PKCS12 = "pkcs12", _("PKCS#12 file")
        PKCS11 = "pkcs11", _("PKCS#11 token")

    class Status(models.TextChoices):
        ACTIVE = "active", _("in use")
        RETIRED = "retired", _("retired")
        REVOKED = "revoked", _("revoked")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+", verbose_name=_("leader"))
    unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("unit"))
    storage = models.CharField(_("storage"), max_length=8, choices=Storage.choices)
    pkcs12_path = models.CharField(_("PKCS#12 file"), max_length=500, blank=True)
    pkcs11_module = models.CharField(_("PKCS#11 module"), max_length=500, blank=True)
    token_label = models.CharField(_("token label"), max_length=64, blank=True)
    key_label = models.CharField(_("key label"), max_length=64, blank=True)
    key_id = models.CharField(_("key id (hexadecimal)"), max_length=128, blank=True)
    secret_env = models.CharField(_("environment variable holding the passphrase or PIN"),
                                  max_length=100, blank=True)
    secret_file = models.CharField(_("file holding the passphrase or PIN"), max_length=500,
                                   blank=True)
    #: The visible image: a leader's signature, or the unit's seal (PNG, transparent).
    image = models.BinaryField(_("signature or seal image"), null=True, blank=True)
    subject = models.CharField(_("certificate subject"), max_length=1000)
    common_name = models.CharField(_("certificate holder"), max_length=300)
    issuer = models.CharField(_("certificate issuer"), max_length=1000)
    serial = models.CharField(_("certificate serial"), max_length=80)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    #: SHA-256 of the certificate (DER), in hexadecimal: the key opened must show it.
    fingerprint = models.CharField(_("certificate fingerprint (SHA-256)"), max_length=64)
    certificate = models.TextField(_("certificate (PEM)"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.ACTIVE)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now,
                                      editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("registered by"))
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    retired_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("retired by"))
    retire_reason = models.CharField(_("why retired"), max_length=1000, blank=True)

    objects = SigningKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, unit__isnull=True)
                           | Q(user__isnull=True, unit__isnull=False)),
                name="signing_key_one_holder"),
            # One key in use per holder, and a certificate in use by one holder only.
            models.UniqueConstraint(fields=["user"], condition=Q(status="active"),
                                    name="signing_key_one_active_per_person"),
            models.UniqueConstraint(fields=["unit"], condition=Q(status="active"),
                                    name="signing_key_one_active_per_unit"),
            models.UniqueConstraint(fields=["fingerprint"], condition=Q(status="active"),
                                    name="signing_key_certificate_in_use_once"),
        ]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.serial}, {self.status})"

    @property
    def holder(self) -> str:
        """Whose key it is, for people."""
        if self.user is not None:
            return f"{self.user.display_name} ({self.user.username})"
        return str(self.unit)
