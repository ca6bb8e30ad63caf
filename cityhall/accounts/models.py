"""People and access: users, staff memberships, API tokens and partner API keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.accounts.audit_actions import AccountAudit
from cityhall.accounts.taxcode import validate_tax_code
from cityhall.core import audit
from cityhall.core.scoping import ScopedQuerySet


class UserKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    BUSINESS = "business", _("business")
    STAFF = "staff", _("staff")


class Role(models.TextChoices):
    LEADER = "leader", _("leader")
    OFFICER = "officer", _("officer")
    CLERK = "clerk", _("clerk")
    NEIGHBOURHOOD_HEAD = "neighbourhood_head", _("neighbourhood head")
    ADMIN = "admin", _("administrator")


class AccountManager(UserManager["User"]):
    """Django's user manager, whose superusers (`cityhall createsuperuser`) are audited.

    Our own code creates people with `services.create_user`; Django's command comes here.
    """

    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        with transaction.atomic(using=self.db):
            user = super().create_superuser(username, email, password, **extra_fields)
            audit.record(
                actor=audit.SystemActor("createsuperuser"), action=AccountAudit.USER_CREATE,
                obj=user,
                changes={"username": [None, user.username], "is_superuser": [None, True],
                         "is_staff": [None, True]},
            )
        return user


class User(AbstractUser):
    """Anyone who signs in: a resident, a business account, or a member of staff."""

    kind = models.CharField(
        _("kind"), max_length=16, choices=UserKind.choices, default=UserKind.RESIDENT
    )
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    national_id = models.CharField(_("ID number"), max_length=12, blank=True)
    tax_code = models.CharField(
        _("tax code"), max_length=14, blank=True, validators=[validate_tax_code],
        help_text=_("For business accounts: 10 digits, or 10-3 for a branch."),
    )
    business_name = models.CharField(_("business name"), max_length=255, blank=True)
    language = models.CharField(
        _("language"), max_length=8, default="vi", choices=[("vi", "Tiếng Việt"), ("en", "English")]
    )

    objects: ClassVar[AccountManager] = AccountManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["tax_code"], condition=~Q(tax_code=""), name="unique_business_tax_code"
            )
        ]

    def __str__(self) -> str:
        return self.get_username()

    @property
    def display_name(self) -> str:
        return self.full_name or self.business_name or self.get_username()


class MembershipQuerySet(ScopedQuerySet["Membership"]):
    """Reads of memberships; `visible_to` scopes them by the membership's unit."""

    def active_on(self, day: dt.date | None = None) -> Self:
        """Memberships in force on `day` (today when omitted)."""
        day = day or timezone.localdate()
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


class Membership(models.Model):
    """A person holds a role in a unit for a period."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(
        "orgunits.Unit", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    title = models.CharField(_("title"), max_length=120, blank=True)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["unit__path", "role", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal bearer token for API clients; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, default="cli")
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"

    @classmethod
    def issue(cls, user: User, name: str = "cli") -> tuple[ApiToken, str]:
        """Create a token and return it with the raw secret, shown once."""
        raw = "cht_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=raw[4:12], key_hash=hash_secret(raw)
        )
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        """The live token matching a raw secret, if any."""
        return (
            cls.objects.select_related("user")
            .filter(key_hash=hash_secret(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )


class ApiKey(models.Model):
    """A partner system's key: who owns it, what it may do, whether it still works."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    owner_unit = models.ForeignKey(
        "orgunits.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="api_keys",
        verbose_name=_("owner unit"),
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return self.name

    def set_secret(self) -> str:
        """Give the key a new secret and return it (raw, shown once)."""
        raw = "chk_" + secrets.token_urlsafe(32)
        self.prefix = raw[4:12]
        self.key_hash = hash_secret(raw)
        return raw

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @classmethod
    def find(cls, raw: str) -> ApiKey | None:
        """The active key matching a raw secret, if any."""
        if not raw:
            return None
        return cls.objects.filter(key_hash=hash_secret(raw), is_active=True).first()


class SignInIdentity(models.Model):
    """A way a person signs in without a password: a verified phone number or e-mail
    address today, an OpenID Connect subject (VNeID) later.

    `provider` names the way (`phone_otp`, `email_otp`, later `vneid` or `oidc`), `issuer`
    who vouches for the subject (empty for our own codes; an OIDC issuer URL later) and
    `subject` whom it names there (the normalised number or address; an OIDC `sub`). A new
    provider is new rows, never a change to `User`.
    """

    class Provider(models.TextChoices):
        PHONE_OTP = "phone_otp", _("one-time code by SMS")
        EMAIL_OTP = "email_otp", _("one-time code by e-mail")
        OIDC = "oidc", _("OpenID Connect")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_identities")
    provider = models.CharField(_("provider"), max_length=32)
    issuer = models.CharField(_("issuer"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in identity")
        verbose_name_plural = _("sign-in identities")
        constraints = [models.UniqueConstraint(fields=["provider", "issuer", "subject"],
                                               name="unique_sign_in_identity")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.user_id}"


class OneTimeCode(models.Model):
    """A sign-in code sent to a phone number or e-mail address: only its keyed hash and
    that of the address are kept; it works once, for a few minutes, for a few tries."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("phone number")
        EMAIL = "email", _("e-mail address")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    destination_digest = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"{self.kind} code {self.pk}"
