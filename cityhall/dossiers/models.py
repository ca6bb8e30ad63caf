"""Dossiers of the one-stop shop: who applies for which procedure, where, with what, by when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.files.models import StoredFile
from cityhall.dossiers.queries import DossierQuerySet
from cityhall.workflow.models import WorkflowCase


class Channel(models.TextChoices):
    ONLINE = "online", _("online")
    COUNTER = "counter", _("at the counter")
    POST = "post", _("by post")


class ApplicantKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    ENTERPRISE = "enterprise", _("enterprise")


class DossierCounter(models.Model):
    """The last sequence number a receiving agency gave out on a day."""

    agency = models.CharField(_("receiving agency code"), max_length=32)
    day = models.DateField(_("day"))
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dossier code counter")
        verbose_name_plural = _("dossier code counters")
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="dossier_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} {self.day}: {self.last}"


class Dossier(WorkflowCase):
    """One dossier: `unit` (the engine's) is the competent unit that decides it."""

    # {receiving agency code}-{yymmdd}-{4-digit sequence}; unique through Meta.
    code = models.CharField(_("code"), max_length=48)
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("procedure"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    receiving_unit = models.ForeignKey("orgunits.Unit", on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("receiving unit"))
    # The engine's user link: the applicant may supply what is asked, or withdraw.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="dossiers", verbose_name=_("applicant's account"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("submitted by (clerk or representative)"))
    on_behalf = models.BooleanField(_("submitted on someone else's behalf"), default=False)
    applicant_kind = models.CharField(_("applicant is"), max_length=12,
                                      choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("applicant's name"), max_length=300)
    applicant_id_number = models.CharField(_("ID number or tax code"), max_length=20)
    applicant_phone = models.CharField(_("phone"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=500, blank=True)
    fee_vnd = models.PositiveIntegerField(_("fee (VND)"), default=0)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    appointment_at = models.DateTimeField(_("appointment for the result"))
    #: The electronic result (a PDF) the competent unit issued, for the applicant to download.
    result_file = models.ForeignKey("DossierFile", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("result"))
    #: The applicant's rating of the service (1-5), once the result is issued.
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment on the rating"), max_length=1000, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    #: The components as received, which the roll-ups counted then: how many, and how many
    #: of them replaced by data held. Written at receipt, never after: a supplement that
    #: adds a component or replaces a file by data does not change what was received.
    components_at_receipt = models.PositiveSmallIntegerField(_("components at receipt"))
    by_data_at_receipt = models.PositiveSmallIntegerField(
        _("components replaced by data at receipt"))
    #: When every part was first held electronically (at receipt, or when the last part
    #: on paper was scanned or supplied); empty until then. Set once: a part added later
    #: does not move it. Counted by the index's `dossiers.digitised` on that day.
    digitised_at = models.DateTimeField(_("every part digitised at"), null=True, blank=True)
    idempotency_scope = models.CharField(max_length=200, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="dossier_code_unique"),
            models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"],
                                    condition=~Q(idempotency_key=""),
                                    name="dossier_idempotency_unique"),
        ]
        indexes = [models.Index(fields=["receiving_unit", "received_at"],
                                name="dossier_receiving_received"),
                   # The indicators' "in processing now": the running dossiers only,
                   # by unit first, so a ward's count reads its own entries, not the
                   # whole city's (the city's reads them all either way).
                   models.Index(fields=["unit", "due_at"], name="dossier_running_unit_due",
                                condition=models.Q(closed_at__isnull=True,
                                                   clock_paused_at__isnull=True))]

    def __str__(self) -> str:
        return self.code


class DossierFile(StoredFile):
    """A file uploaded for a dossier's component (scan or photo), checked by core.files."""

    storage_folder = "dossiers"

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="files")

    class Meta(StoredFile.Meta):
        verbose_name = _("dossier file")
        verbose_name_plural = _("dossier files")


class DossierPayment(models.Model):
    """A fee paid for a dossier, as a payment gateway's signed callback reported it.

    One row per gateway transaction (`gateway`, `reference` unique): a callback repeated
    by the gateway finds its row and records nothing more.
    """

    class State(models.TextChoices):
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(_("gateway"), max_length=32)
    reference = models.CharField(_("gateway's transaction reference"), max_length=100)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices)
    reported_at = models.DateTimeField(_("reported by the gateway at"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    #: The callback's body as received (for reconciliation).
    callback = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("dossier payment")
        verbose_name_plural = _("dossier payments")
        ordering = ["dossier", "pk"]
        constraints = [models.UniqueConstraint(fields=["gateway", "reference"],
                                               name="dossier_payment_unique")]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.reference}"


class DossierComponent(models.Model):
    """What the applicant supplied for one component: a file, or a reference to data held."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="components")
    procedure_component = models.ForeignKey(
        "procedures.ProcedureComponent", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+")
    name = models.CharField(_("name"), max_length=500)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    file = models.ForeignKey(DossierFile, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    data_source = models.CharField(_("data source"), max_length=24, blank=True)
    data_reference = models.CharField(_("reference in the data source"), max_length=200,
                                      blank=True)
    #: What was read from the data source when the dossier was received.
    data_read = models.JSONField(_("data read"), default=dict, blank=True)
    #: When the part was first held electronically (a file: a scan or an upload; or data
    #: held); empty while it is only on paper. Counted by the index's "digitised" tallies.
    digitised_at = models.DateTimeField(_("digitised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier component")
        verbose_name_plural = _("dossier components")
        ordering = ["dossier", "pk"]
        # The index's roll-ups count parts by the day they were digitised (verify, rebuild).
        indexes = [models.Index(fields=["digitised_at"], name="dossier_component_digitised")]

    def __str__(self) -> str:
        return self.name

    @property
    def replaced_by_data(self) -> bool:
        return bool(self.data_source)
