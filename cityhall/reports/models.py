"""Residents' and enterprises' reports (the 1022 portal): categories, reports, contacts, photos."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from cityhall.core.files.models import StoredFile
from cityhall.core.text import in_reader_language, search_key
from cityhall.notifications.services import ContactAddress
from cityhall.reports.queries import CategoryQuerySet, ReportQuerySet
from cityhall.reports.states import OPEN_STATES, RESOLVED_STATES
from cityhall.workflow.models import WorkflowCase

#: The handler value meaning "the commune-level unit where the problem is".
COMMUNE = "commune"
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
MAX_DESCRIPTION = 4000
#: reports.states.OPEN_STATES, spelt out for the partial indexes (a migration freezes them).
OPEN_STATES_FOR_INDEX = ["received", "assigned", "in_progress"]


class Audience(models.TextChoices):
    RESIDENT = "resident", _("residents")
    ENTERPRISE = "enterprise", _("enterprises")
    BOTH = "both", _("residents and enterprises")


class Channel(models.TextChoices):
    WEB = "web", _("web portal")
    APP = "app", _("mobile app")
    HOTLINE = "hotline", _("hotline 1022")
    EMAIL = "email", _("e-mail")
    OPEN311 = "open311", _("Open311 partner")
    NEIGHBOURHOOD_HEAD = "neighbourhood_head", _("neighbourhood head")


def validate_attribute_specs(specs: Any) -> None:
    """Check a category's extra-field definitions (the Open311 attribute shape)."""
    if not isinstance(specs, list):
        raise ValidationError(_("Extra fields must be a list."))
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, dict) or not spec.get("code"):
            raise ValidationError(_("Each extra field needs a code."))
        code = str(spec["code"])
        if code in seen:
            raise ValidationError(_("Extra field %(code)s appears twice.") % {"code": code})
        seen.add(code)
        if spec.get("datatype") not in DATATYPES:
            raise ValidationError(
                _("Extra field %(code)s has an unknown datatype.") % {"code": code})
        values = spec.get("values", [])
        if spec["datatype"].endswith("valuelist"):
            # Each value is exactly {key, name} (name_en optional), both non-empty text: a
            # stray key means a malformed entry (an unquoted comma in a YAML flow mapping).
            if not values or not all(
                isinstance(v, dict)
                and set(v) <= {"key", "name", "name_en"}
                and all(isinstance(v.get(k), str) and v[k] for k in ("key", "name"))
                for v in values
            ):
                raise ValidationError(
                    _("Extra field %(code)s needs values with a key and a name.")
                    % {"code": code})
        elif values:
            raise ValidationError(
                _("Only list fields take values (%(code)s).") % {"code": code})


def _in_english() -> bool:
    return (translation.get_language() or "").startswith("en")


def attribute_label(spec: dict[str, Any]) -> str:
    """An extra field's label in the active language: `description_en` for English when
    given, else `description` (Vietnamese), else its code."""
    english = spec.get("description_en") if _in_english() else None
    return str(english or spec.get("description") or spec["code"])


def value_name(value: dict[str, Any]) -> str:
    """A list value's name in the active language (`name_en` for English when given)."""
    english = value.get("name_en") if _in_english() else None
    return str(english or value.get("name") or value["key"])


class Category(models.Model):
    """A kind of problem people report, who handles it, its deadline and its extra fields."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    group = models.CharField(_("group (Vietnamese)"), max_length=200)
    group_en = models.CharField(_("group (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    handler = models.CharField(
        _("handled by"), max_length=32, default=COMMUNE,
        help_text=_("'commune' for the commune-level unit where it happens, "
                    "or the code of the department that handles it (79-SXD)."),
    )
    workflow = models.CharField(_("workflow"), max_length=80, default="report")
    deadline_days = models.PositiveSmallIntegerField(_("deadline (working days)"), default=10)
    attributes = models.JSONField(
        _("extra fields"), default=list, blank=True, validators=[validate_attribute_specs]
    )
    anonymous_allowed = models.BooleanField(_("anonymous reports allowed"), default=True)
    audience = models.CharField(
        _("for"), max_length=16, choices=Audience.choices, default=Audience.RESIDENT
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    search_name = models.CharField(max_length=400, editable=False, db_index=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline_days__gte=1), name="category_deadline_pos")
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        words = " ".join([self.name, self.name_en, " ".join(map(str, self.keywords or []))])
        self.search_name = search_key(words)[:400]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        validate_attribute_specs(self.attributes)

    @property
    def handled_by_commune(self) -> bool:
        return self.handler == COMMUNE

    def attribute_specs(self) -> list[dict[str, Any]]:
        """The extra fields in their display order."""
        return sorted(self.attributes or [], key=lambda a: (a.get("order", 0), a["code"]))


class Report(WorkflowCase):
    """One report: what, where, who (kept apart), where it was routed and why, how it ended."""

    # Unique through `report_code_unique` (Meta): a plain btree, without the unused
    # pattern-ops twin that `unique=True` adds on PostgreSQL.
    code = models.CharField(_("code"), max_length=32)
    # `report_category_created` leads with the category: no index of its own.
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports",
                                 db_index=False, verbose_name=_("category"))
    description = models.TextField(_("description"))
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address as given"), max_length=500, blank=True)
    place_unit = models.ForeignKey(
        "orgunits.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("unit of the place"),
    )
    routing_method = models.CharField(_("how the place was found"), max_length=32, blank=True)
    routing_reason = models.TextField(_("why it went to this unit"), blank=True)
    # The same words in each language of the site ({"vi": ..., "en": ...}), written with
    # `routing_reason` (which stays in the site's language, for the record and partners).
    # The database's own default lets code that predates the column insert rows during a
    # rolling deploy.
    routing_reasons = models.JSONField(
        _("why it went to this unit, in each language"), default=dict, blank=True,
        db_default=models.Value({}, output_field=models.JSONField()))
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    # The engine's user link: the reporter may rate and reopen their own report.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="reports", verbose_name=_("reporter"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("filed by (staff, neighbourhood head)"),
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("partner key"),
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    private_token_hash = models.CharField(max_length=64, editable=False)  # unique: Meta
    # The private token is HMAC(SECRET_KEY, salt): a retried submission can be given the
    # same token again, while the database alone (hash and salt) cannot rebuild it.
    token_salt = models.CharField(max_length=32, editable=False)
    attribute_values = models.JSONField(_("extra fields"), default=dict, blank=True)
    media_urls = models.JSONField(_("media links"), default=list, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    business_name = models.CharField(_("business name"), max_length=300, blank=True)
    public_reply = models.TextField(_("public reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    responsible_pointer = models.TextField(
        _("who is responsible (when rejected)"), blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # The facts statistics count: when it was resolved, against which deadline,
    # and how much working time handling took (from the working-day calendar).
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, db_index=True)
    resolved_due_at = models.DateTimeField(null=True, blank=True)
    handling_seconds = models.BigIntegerField(null=True, blank=True)
    is_public = models.BooleanField(_("shown publicly"), default=True)
    idempotency_scope = models.CharField(max_length=200, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="report_code_unique"),
            models.UniqueConstraint(fields=["private_token_hash"], name="report_token_unique"),
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=~Q(idempotency_key=""), name="report_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="report_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "state"], name="report_unit_state"),
            models.Index(fields=["due_at"], name="report_due"),
            models.Index(fields=["category", "created_at"], name="report_category_created"),
            models.Index(fields=["latitude", "longitude"], name="report_point"),
            models.Index(fields=["updated_at"], name="report_updated"),
            # Open311 and the public list with status=open, newest first (all, by category).
            models.Index(F("created_at").desc(), F("id").desc(), name="report_open_created",
                         condition=Q(is_public=True, state__in=OPEN_STATES_FOR_INDEX)),
            models.Index("category", F("created_at").desc(), name="report_open_cat_created",
                         condition=Q(is_public=True, state__in=OPEN_STATES_FOR_INDEX)),
            # The indicators' "open and overdue now": the open requests only, by deadline.
            models.Index(fields=["due_at", "unit"], name="report_open_due",
                         condition=Q(state__in=OPEN_STATES_FOR_INDEX)),
        ]

    def __str__(self) -> str:
        return self.code

    @staticmethod
    def hash_token(raw: str) -> str:
        """The stored form of a private follow token."""
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def routing_reason_for_reader(self) -> str:
        """Why it went to its unit, in the active language (the site's for older reports)."""
        return in_reader_language(self.routing_reasons, self.routing_reason)

    @property
    def routing_reason_language(self) -> str:
        """The language `routing_reason_for_reader` is written in (for the `lang` attribute)."""
        active = translation.get_language() or settings.LANGUAGE_CODE
        return active if self.routing_reasons.get(active) else settings.LANGUAGE_CODE

    def is_open(self) -> bool:
        """Whether it waits for the unit's work (received, assigned or in progress)."""
        return self.state in OPEN_STATES

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        """Whether it is open past its deadline."""
        return self.is_open() and self.due_at is not None \
            and self.due_at < (now or timezone.now())

    def followed_by(self, user: Any, private_token: str = "") -> bool:
        """Whether `user` is its signed-in reporter or `private_token` is its follow token."""
        if getattr(user, "is_authenticated", False) and self.reporter_id is not None \
                and user.pk == self.reporter_id:
            return True
        return bool(private_token) and self.hash_token(private_token) == self.private_token_hash

    def may_be_rated(self) -> bool:
        """Whether its reporter may still rate it: answered (resolved or closed), not rated."""
        return self.rating is None and self.resolved_at is not None \
            and self.state in RESOLVED_STATES

    def reopen_until(self) -> dt.datetime | None:
        """Until when its reporter may reopen it (None unless it is resolved)."""
        if self.state != "resolved" or self.resolved_at is None:
            return None
        return self.resolved_at + dt.timedelta(days=settings.CITYHALL_REPORTS_REOPEN_DAYS)

    def may_be_reopened(self, now: dt.datetime | None = None) -> bool:
        """Whether its reporter may reopen it now."""
        until = self.reopen_until()
        return until is not None and (now or timezone.now()) <= until

    def photos_until(self) -> dt.datetime | None:
        """Until when its reporter may add photos (None once it is no longer open)."""
        if not self.is_open():
            return None
        minutes = settings.CITYHALL_REPORTS_PHOTO_WINDOW_MINUTES
        return self.created_at + dt.timedelta(minutes=minutes)

    @property
    def on_time(self) -> bool | None:
        """Whether it was resolved by its deadline (None while unresolved)."""
        if self.resolved_at is None or self.resolved_due_at is None:
            return None
        return self.resolved_at <= self.resolved_due_at

    def notification_contacts(self) -> list[ContactAddress]:
        """The workflow audience `contacts`: a reporter without an account, by e-mail or phone.

        A reporter with an account is told through their account (audience `reporter`);
        an anonymous report keeps no contact. Vietnamese, as the form does not ask.
        """
        if self.anonymous or self.reporter_id is not None:
            return []
        contact = getattr(self, "contact", None)
        if contact is None or not (contact.email or contact.phone):
            return []
        return [ContactAddress(email=contact.email, phone=contact.phone)]


class ReportContact(models.Model):
    """How to reach the reporter: personal data, never public, each staff read logged."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    device_id = models.CharField(_("device id"), max_length=200, blank=True)
    account_id = models.CharField(_("account id"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reporter's contact")
        verbose_name_plural = _("reporters' contacts")

    def __str__(self) -> str:
        return f"{self.report_id}"

    def filled(self) -> list[str]:
        """The names of the fields that hold something."""
        names = ("name", "phone", "email", "device_id", "account_id")
        return [f for f in names if getattr(self, f)]


class ShownPhotos(models.Manager["ReportPhoto"]):
    """Photos ready to be shown: one still being cleaned, or that failed, never is."""

    def get_queryset(self) -> models.QuerySet[ReportPhoto]:
        return super().get_queryset().filter(state=ReportPhoto.State.READY)


class ReportPhoto(StoredFile):
    """A photo of the problem or of the fix, re-encoded without EXIF (no location).

    `objects` (and so `report.photos`) holds the photos ready to be shown; `everything`
    also those the worker is still cleaning (`pending`) and those it could not (`failed`).
    """

    storage_folder = "reports"

    class Kind(models.TextChoices):
        REPORT = "report", _("reported")
        REPLY = "reply", _("reply")

    class State(models.TextChoices):
        READY = "ready", _("ready")
        PENDING = "pending", _("being cleaned")
        FAILED = "failed", _("could not be read")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REPORT)
    state = models.CharField(max_length=8, choices=State.choices, default=State.READY)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    #: SHA-256 of the bytes as received (`sha256` is the stored file's): a retried upload
    #: is known before it is cleaned.
    received_sha256 = models.CharField(max_length=64, blank=True)

    objects = ShownPhotos()
    everything = models.Manager()

    class Meta:
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.file.name or ""

    def get_absolute_url(self, token: str = "") -> str:
        """Its address on the checked photo view; a reporter's link carries their token."""
        path = reverse("reports:report_photo", args=[self.report.code, self.pk])
        return f"{path}?{urlencode({'t': token})}" if token else path


class CodeCounter(models.Model):
    """The last report number given out on a day (codes are PA-YYMMDD-NNNN)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("report code counter")
        verbose_name_plural = _("report code counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"
