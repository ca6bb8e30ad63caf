"""Residents sign up and sign in with a one-time code sent to their phone or e-mail.

A code is asked for a destination (a phone number or an e-mail address); the code is sent
through the outbox by the sender that `notifications` registers here (accounts sits below
notifications and cannot write the outbox itself). Only keyed hashes of the code and of
the destination are kept. A code works once, for CITYHALL_SIGN_IN_CODE_MINUTES and
CITYHALL_SIGN_IN_CODE_ATTEMPTS tries; codes sent to one destination and codes asked for
or tried from one client address are rate-limited (the views count them, `limits`).

The right code signs in the account whose `SignInIdentity` names the destination, or
creates a resident account with that identity. Staff accounts have no such identity:
they sign in with their password. See docs/security.md, "Resident sign-in".
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from cityhall.accounts import services
from cityhall.accounts.audit_actions import AccountAudit
from cityhall.accounts.errors import AccountCode
from cityhall.accounts.models import OneTimeCode, SignInIdentity, User, UserKind
from cityhall.core import audit, limits

CODE_SENT = AccountAudit.CODE_SENT
CODE_FAILED = AccountAudit.CODE_FAILED
SIGNED_UP = AccountAudit.RESIDENT_SIGNED_UP
IDENTITY_ADDED = AccountAudit.IDENTITY_ADDED

CODE_DIGITS = 6
_SALT = "cityhall.accounts.one_time_code"
_ANONYMOUS = audit.SystemActor("anonymous")
#: Vietnamese mobile numbers: 10 digits from 03, 05, 07, 08 or 09 (after +84 becomes 0).
_MOBILE = re.compile(r"^0[35789]\d{8}$")

#: Codes asked for from one client address (the views count them).
PER_CLIENT = limits.Limit("accounts.code_client", anonymous="CITYHALL_SIGN_IN_CODES_PER_CLIENT",
                          signed_in="CITYHALL_SIGN_IN_CODES_PER_CLIENT",
                          partner="CITYHALL_SIGN_IN_CODES_PER_CLIENT")
#: Codes sent to one phone number or e-mail address, whoever asks.
PER_DESTINATION = limits.Limit(
    "accounts.code_destination", anonymous="CITYHALL_SIGN_IN_CODES_PER_DESTINATION",
    signed_in="CITYHALL_SIGN_IN_CODES_PER_DESTINATION",
    partner="CITYHALL_SIGN_IN_CODES_PER_DESTINATION")
#: Codes tried from one client address (a wrong code counts; so does a right one).
CHECKS = limits.Limit("accounts.code_check", anonymous="CITYHALL_SIGN_IN_CODES_PER_CLIENT",
                      signed_in="CITYHALL_SIGN_IN_CODES_PER_CLIENT",
                      partner="CITYHALL_SIGN_IN_CODES_PER_CLIENT")

#: Sent after a destination has been proven by a right code (`destination`: a Destination).
#: `notifications` confirms the address for its message caps.
destination_verified = Signal()


class CodeError(Exception):
    """A refusal, with its code (`AccountCode`: `invalid_destination`, `wrong_code`,
    `code_expired`, `too_many_attempts`, `destination_refused`, `account_disabled`) and a
    sentence for the person."""

    def __init__(self, code: AccountCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Destination:
    """Where a code goes: a phone number (digits, national form) or an e-mail (lower case)."""

    kind: str
    address: str

    @property
    def provider(self) -> str:
        return (SignInIdentity.Provider.PHONE_OTP if self.kind == OneTimeCode.Kind.PHONE
                else SignInIdentity.Provider.EMAIL_OTP)

    @property
    def digest(self) -> str:
        """The keyed hash the destination is kept and counted as."""
        return salted_hmac(_SALT, f"{self.kind}:{self.address}", algorithm="sha256").hexdigest()

    def masked(self) -> str:
        """Enough to recognise it on screen: the e-mail's first letter and domain, or the
        phone's last three digits."""
        if self.kind == OneTimeCode.Kind.EMAIL:
            name, _at, domain = self.address.partition("@")
            return f"{name[:1]}…@{domain}"
        return f"…{self.address[-3:]}"


def parse_destination(text: str) -> Destination:
    """A phone number or an e-mail address as typed, normalised; CodeError if it is neither."""
    text = (text or "").strip()[:254]
    if "@" in text:
        address = text.lower()
        try:
            EmailValidator()(address)
        except ValidationError as exc:
            raise CodeError(AccountCode.INVALID_DESTINATION,
                            _("Enter a valid e-mail address.")) from exc
        return Destination(OneTimeCode.Kind.EMAIL, address)
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _MOBILE.match(digits):
        raise CodeError(AccountCode.INVALID_DESTINATION, _(
            "Enter a Vietnamese mobile number (10 digits, such as 0909 123 456) or an "
            "e-mail address."))
    return Destination(OneTimeCode.Kind.PHONE, digits)


# -- the sender, registered by notifications ---------------------------------------------------

#: sender(destination, code, minutes, language, account) writes the message; it may raise
#: CodeError("destination_refused").
Sender = Callable[[Destination, str, int, str, User | None], None]
_sender: list[Sender] = []


def register_sender(sender: Sender) -> None:
    """Let `sender` deliver the codes (notifications does, through its outbox)."""
    _sender[:] = [sender]


def _hash(challenge: OneTimeCode | int, code: str) -> str:
    pk = challenge if isinstance(challenge, int) else challenge.pk
    return salted_hmac(_SALT, f"{pk}:{code}", algorithm="sha256").hexdigest()


def account_of(destination: Destination) -> User | None:
    """The active account that signs in with this destination, if any."""
    identity = (SignInIdentity.objects.select_related("user")
                .filter(provider=destination.provider, issuer="", subject=destination.address,
                        user__is_active=True).first())
    return identity.user if identity is not None else None


def request_code(*, destination: Destination, language: str = "vi",
                 now: dt.datetime | None = None) -> OneTimeCode:
    """Make a code for `destination` and send it through the outbox; audited.

    The caller has counted the request against PER_CLIENT and PER_DESTINATION.
    """
    if not _sender:
        raise ImproperlyConfigured("no sender of sign-in codes is registered")
    now = now or timezone.now()
    minutes = int(settings.CITYHALL_SIGN_IN_CODE_MINUTES)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        challenge = OneTimeCode.objects.create(
            kind=destination.kind, destination_digest=destination.digest, code_hash="",
            created_at=now, expires_at=now + dt.timedelta(minutes=minutes))
        challenge.code_hash = _hash(challenge, code)
        challenge.save(update_fields=["code_hash"])
        account = account_of(destination)
        _sender[0](destination, code, minutes, language, account)
        audit.record(actor=_ANONYMOUS, action=CODE_SENT, obj=challenge, changes={
            "kind": destination.kind, "to": destination.masked(),
            "account": account.pk if account else None})
    return challenge


@dataclass(frozen=True)
class SignIn:
    """The outcome of a right code: the account, and whether it was made just now."""

    user: User
    created: bool


def _refuse(challenge: OneTimeCode, code: AccountCode, detail: str) -> CodeError:
    audit.record(actor=_ANONYMOUS, action=CODE_FAILED, obj=challenge, changes={
        "reason": str(code), "attempts": challenge.attempts})
    return CodeError(code, detail)


def verify_code(*, challenge_id: int, destination: Destination, code: str,
                full_name: str = "", language: str = "vi",
                now: dt.datetime | None = None) -> SignIn:
    """Check a code; right, it signs in (or up) the destination's account.

    Every try counts, right or wrong; a code works once. The caller logs the person in
    (`django.contrib.auth.login`, which writes the sign-in to the audit trail).
    """
    now = now or timezone.now()
    code = re.sub(r"\s", "", code or "")
    failure: CodeError | None = None
    result: SignIn | None = None
    with transaction.atomic():
        challenge = (OneTimeCode.objects.select_for_update()
                     .filter(pk=challenge_id, destination_digest=destination.digest).first())
        if challenge is None or challenge.used_at is not None:
            raise CodeError(AccountCode.CODE_EXPIRED,
                            _("This code is no longer valid. Ask for a new one."))
        if challenge.expires_at <= now:
            failure = _refuse(challenge, AccountCode.CODE_EXPIRED,
                              _("This code has expired. Ask for a new one."))
        elif challenge.attempts >= settings.CITYHALL_SIGN_IN_CODE_ATTEMPTS:
            failure = _refuse(challenge, AccountCode.TOO_MANY_ATTEMPTS,
                              _("Too many wrong codes. Ask for a new one."))
        else:
            challenge.attempts += 1
            right = hmac.compare_digest(challenge.code_hash, _hash(challenge, code))
            if not right:
                challenge.save(update_fields=["attempts"])
                left = settings.CITYHALL_SIGN_IN_CODE_ATTEMPTS - challenge.attempts
                failure = _refuse(challenge, AccountCode.WRONG_CODE, _(
                    "This code is not right. Tries left: %(left)d.") % {"left": left})
            else:
                challenge.used_at = now
                challenge.save(update_fields=["attempts", "used_at"])
                result = _sign_in_or_up(destination, full_name=full_name, language=language,
                                        now=now)
    if failure is not None or result is None:
        raise failure or CodeError(AccountCode.CODE_EXPIRED, _("Ask for a new code."))
    destination_verified.send(sender=OneTimeCode, destination=destination)
    return result


def _sign_in_or_up(destination: Destination, *, full_name: str, language: str,
                   now: dt.datetime) -> SignIn:
    identity = (SignInIdentity.objects.select_for_update().select_related("user")
                .filter(provider=destination.provider, issuer="",
                        subject=destination.address).first())
    if identity is not None:
        if not identity.user.is_active:
            raise CodeError(AccountCode.ACCOUNT_DISABLED, _("This account is disabled."))
        identity.last_used_at = now
        identity.save(update_fields=["last_used_at"])
        return SignIn(identity.user, created=False)
    is_phone = destination.kind == OneTimeCode.Kind.PHONE
    user = services.create_user(
        actor=_ANONYMOUS, username=f"resident-{uuid.uuid4().hex[:12]}", kind=UserKind.RESIDENT,
        full_name=full_name.strip()[:150], phone=destination.address if is_phone else "",
        email="" if is_phone else destination.address)
    if language in ("vi", "en") and language != user.language:
        services.set_language(actor=user, user=user, language=language)
    add_identity(actor=user, user=user, provider=destination.provider,
                 subject=destination.address, now=now)
    audit.record(actor=user, action=SIGNED_UP, obj=user, changes={
        "provider": destination.provider, "to": destination.masked()})
    return SignIn(user, created=True)


def add_identity(*, actor: audit.Actor, user: User, provider: str, subject: str,
                 issuer: str = "", now: dt.datetime | None = None) -> SignInIdentity:
    """Let `user` sign in through `provider` as `subject` (an OIDC sign-in adds its own
    rows the same way); audited."""
    with transaction.atomic():
        identity = SignInIdentity.objects.create(
            user=user, provider=provider, issuer=issuer, subject=subject,
            created_at=now or timezone.now(), last_used_at=now)
        audit.record(actor=actor, action=IDENTITY_ADDED, obj=user, changes={
            "provider": provider, "issuer": issuer})
    return identity
