"""Every write about people and access: users, memberships, tokens and partner keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.audit_actions import AccountAudit
from cityhall.accounts.models import ApiKey, ApiToken, Membership, Role, User, UserKind
from cityhall.accounts.scope import forget_scope
from cityhall.accounts.taxcode import normalise_tax_code
from cityhall.core import audit
from cityhall.core.audit import Actor
from cityhall.orgunits.models import Unit

#: The scopes a partner key may carry; an unknown scope is refused at creation.
KNOWN_SCOPES = frozenset(
    {
        "open311:read",
        "open311:write",
        "units:read",
        "documents:exchange",
        "indicators:read",
    }
)

_PERSONAL_FIELDS = ("full_name", "phone", "email", "national_id", "tax_code", "business_name")


def _user_snapshot(user: User) -> dict[str, Any]:
    # Personal values are not copied into the audit trail; only that they changed.
    snap: dict[str, Any] = {
        "username": user.username,
        "kind": user.kind,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }
    snap.update({f: "***" if getattr(user, f) else "" for f in _PERSONAL_FIELDS})
    return snap


#: What `update_user` may change: Django's own account fields and ours.
USER_FIELDS = (
    "username", "first_name", "last_name", "email", "is_active", "is_superuser", "kind",
    "full_name", "phone", "national_id", "tax_code", "business_name", "language",
)
# Personal values are recorded as changed, never copied: "***" for a value, "" for none.
_MASKED_FIELDS = frozenset({*_PERSONAL_FIELDS, "first_name", "last_name"})


def _masked(name: str, value: Any) -> Any:
    if name in _MASKED_FIELDS:
        return "***" if value else ""
    return value


def clean_kind_and_tax_code(kind: str, tax_code: str) -> str:
    """The normalised tax code; ValidationError for an unknown kind or a business without one."""
    if kind not in UserKind.values:
        raise ValidationError({"kind": [_("Unknown kind of user.")]})
    if kind == UserKind.BUSINESS and not tax_code:
        raise ValidationError({"tax_code": [_("A business account needs a tax code.")]})
    return normalise_tax_code(tax_code) if tax_code else ""


@transaction.atomic
def create_user(
    *,
    actor: Actor,
    username: str,
    kind: str = UserKind.RESIDENT,
    password: str | None = None,
    password_hash: str | None = None,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    national_id: str = "",
    tax_code: str = "",
    business_name: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a person's account; a business account needs a valid tax code.

    `password_hash` takes an already hashed password (`make_password`), for bulk loads.
    """
    tax_code = clean_kind_and_tax_code(kind, tax_code)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": [_("This username is taken.")]})
    user = User(
        username=username,
        kind=kind,
        full_name=full_name,
        email=email,
        phone=phone,
        national_id=national_id,
        tax_code=tax_code,
        business_name=business_name,
        is_superuser=is_superuser,
        # Django's admin site needs is_staff; only superusers get it here, staff work
        # in the portal through their memberships.
        is_staff=is_superuser,
    )
    if password:
        user.set_password(password)
    elif password_hash:
        user.password = password_hash
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=actor, action=AccountAudit.USER_CREATE, obj=user,
        changes=audit.diff({}, _user_snapshot(user)),
    )
    return user


@transaction.atomic
def update_user(*, actor: Actor, user: User, **changes: Any) -> User:
    """Change fields of a person's account (`USER_FIELDS`); audited, personal values masked.

    Only superusers are `is_staff` (Django's admin needs it): the flag follows
    `is_superuser`, as in `create_user`.
    """
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    fields = (*USER_FIELDS, "is_staff")
    before = {name: getattr(user, name) for name in fields}
    for name, value in changes.items():
        setattr(user, name, value)
    user.tax_code = clean_kind_and_tax_code(user.kind, user.tax_code)
    user.is_staff = user.is_superuser
    user.full_clean(exclude=["password"])
    changed = [name for name in fields if getattr(user, name) != before[name]]
    if changed:
        user.save(update_fields=changed)
        forget_scope(user)
        audit.record(
            actor=actor, action=AccountAudit.USER_CHANGE, obj=user,
            changes={name: [_masked(name, before[name]), _masked(name, getattr(user, name))]
                     for name in changed},
        )
    return user


@transaction.atomic
def set_password(*, actor: Actor, user: User, password: str | None) -> User:
    """Set a person's password after Django's validators, or turn password sign-in off (None)."""
    was_usable = user.has_usable_password()
    if password:
        password_validation.validate_password(password, user)
        user.set_password(password)
        changes: dict[str, Any] = {"password": [None, "***"]}
    else:
        user.set_unusable_password()
        changes = {"usable_password": [was_usable, False]}
    user.save(update_fields=["password"])
    audit.record(actor=actor, action=AccountAudit.USER_SET_PASSWORD, obj=user, changes=changes)
    return user


#: What `change_membership` may change.
MEMBERSHIP_FIELDS = ("unit", "role", "title", "valid_from", "valid_to")


def _membership_snapshot(membership: Membership) -> dict[str, Any]:
    return {
        "user": membership.user.username,
        "unit": membership.unit.code,
        "role": membership.role,
        "title": membership.title,
        "valid_from": membership.valid_from.isoformat(),
        "valid_to": membership.valid_to.isoformat() if membership.valid_to else None,
    }


def _check_membership(
    *, role: str, unit: Unit, valid_from: dt.date, valid_to: dt.date | None
) -> None:
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": [_("A membership cannot end before it starts.")]})
    if unit.valid_to is not None and unit.valid_to < valid_from:
        raise ValidationError({"unit": [_("This unit has ended before the membership starts.")]})


@transaction.atomic
def grant_membership(
    *,
    actor: Actor,
    user: User,
    unit: Unit,
    role: str,
    title: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> Membership:
    """Give a person a role in a unit for a period; staff roles make the account staff."""
    valid_from = valid_from or timezone.localdate()
    _check_membership(role=role, unit=unit, valid_from=valid_from, valid_to=valid_to)
    membership = Membership.objects.create(
        user=user, unit=unit, role=role, title=title, valid_from=valid_from, valid_to=valid_to
    )
    if user.kind != UserKind.STAFF:
        User.objects.filter(pk=user.pk).update(kind=UserKind.STAFF)
        user.kind = UserKind.STAFF
    forget_scope(user)
    audit.record(
        actor=actor,
        action=AccountAudit.MEMBERSHIP_GRANT,
        obj=membership,
        unit=unit,
        changes={name: [None, value] for name, value in _membership_snapshot(membership).items()},
    )
    return membership


@transaction.atomic
def end_membership(
    *, actor: Actor, membership: Membership, on: dt.date | None = None
) -> Membership:
    """End a membership on a day (today when omitted); the last day it is in force."""
    on = on or timezone.localdate()
    if on < membership.valid_from:
        raise ValidationError({"valid_to": [_("A membership cannot end before it starts.")]})
    before = membership.valid_to
    membership.valid_to = on
    membership.save(update_fields=["valid_to"])
    forget_scope(membership.user)
    audit.record(
        actor=actor,
        action=AccountAudit.MEMBERSHIP_END,
        obj=membership,
        unit=membership.unit,
        changes={"valid_to": [before.isoformat() if before else None, on.isoformat()]},
    )
    return membership


@transaction.atomic
def change_membership(*, actor: Actor, membership: Membership, **changes: Any) -> Membership:
    """Change a membership's unit, role, title or period; audited with before and after.

    To end a membership use `end_membership`; this is for corrections.
    """
    unknown = set(changes) - set(MEMBERSHIP_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    before = _membership_snapshot(membership)
    for name, value in changes.items():
        setattr(membership, name, value)
    _check_membership(role=membership.role, unit=membership.unit,
                      valid_from=membership.valid_from, valid_to=membership.valid_to)
    delta = audit.diff(before, _membership_snapshot(membership))
    if delta:
        membership.save(update_fields=list(MEMBERSHIP_FIELDS))
        forget_scope(membership.user)
        audit.record(actor=actor, action=AccountAudit.MEMBERSHIP_CHANGE, obj=membership,
                     unit=membership.unit, changes=delta)
    return membership


@transaction.atomic
def delete_membership(*, actor: Actor, membership: Membership) -> None:
    """Remove a membership recorded by mistake; its audit entry keeps what it was.

    A membership that was real ends (`end_membership`) instead, so its period stays.
    """
    audit.record(
        actor=actor, action=AccountAudit.MEMBERSHIP_DELETE, obj=membership, unit=membership.unit,
        changes={name: [value, None] for name, value in _membership_snapshot(membership).items()},
    )
    user = membership.user
    membership.delete()
    forget_scope(user)


@transaction.atomic
def issue_token(*, actor: Actor, user: User, name: str = "cli") -> tuple[ApiToken, str]:
    """Create a personal bearer token; returns it with the raw secret, shown once."""
    if not user.is_active:
        raise ValidationError({"user": [_("This account is not active.")]})
    token, raw = ApiToken.issue(user, name=name)
    audit.record(
        actor=actor, action=AccountAudit.TOKEN_ISSUE, obj=token,
        changes={"user": [None, user.username], "name": [None, name]},
    )
    return token, raw


@transaction.atomic
def revoke_token(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke a personal token; it stops working at once."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action=AccountAudit.TOKEN_REVOKE, obj=token)
    return token


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """Sorted, de-duplicated scopes; ValidationError for one the platform does not know."""
    cleaned = sorted({s.strip() for s in scopes if s.strip()})
    unknown = [s for s in cleaned if s not in KNOWN_SCOPES]
    if unknown:
        raise ValidationError(
            {"scopes": [_("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}]}
        )
    return cleaned


@transaction.atomic
def create_api_key(
    *, actor: Actor, name: str, scopes: Iterable[str], owner_unit: Unit | None = None
) -> tuple[ApiKey, str]:
    """Create a partner system's key; returns it with the raw secret, shown once."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("A key needs a name.")]})
    if ApiKey.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("A key with this name exists.")]})
    key = ApiKey(name=name, scopes=clean_scopes(scopes), owner_unit=owner_unit)
    raw = key.set_secret()
    key.save()
    audit.record(
        actor=actor, action=AccountAudit.API_KEY_CREATE, obj=key, unit=owner_unit,
        changes={
            "name": [None, name],
            "scopes": [None, key.scopes],
            "owner_unit": [None, owner_unit.code if owner_unit else None],
        },
    )
    return key, raw


def _key_snapshot(key: ApiKey) -> dict[str, Any]:
    return {"scopes": list(key.scopes), "owner_unit": key.owner_unit_id, "is_active": key.is_active}


@transaction.atomic
def update_api_key(
    *, actor: Actor, key: ApiKey, scopes: Iterable[str] | None = None,
    owner_unit: Unit | None = None, is_active: bool | None = None,
) -> ApiKey:
    """Change what a partner key may do, whose it is, or whether it works."""
    before = _key_snapshot(key)
    if scopes is not None:
        key.scopes = clean_scopes(scopes)
    if owner_unit is not None:
        key.owner_unit = owner_unit
    if is_active is not None:
        key.is_active = is_active
    changes = audit.diff(before, _key_snapshot(key))
    if changes:
        key.save(update_fields=["scopes", "owner_unit", "is_active"])
        audit.record(
            actor=actor, action=AccountAudit.API_KEY_UPDATE, obj=key, unit=key.owner_unit,
            changes=changes,
        )
    return key


def revoke_api_key(*, actor: Actor, key: ApiKey) -> ApiKey:
    """Switch a partner key off; requests with it are refused from now on."""
    return update_api_key(actor=actor, key=key, is_active=False)


@transaction.atomic
def set_language(*, actor: Actor, user: User, language: str) -> User:
    """Set the language a person reads the interface in."""
    if language not in {code for code, _label in User._meta.get_field("language").choices or ()}:
        raise ValidationError({"language": [_("Unknown language.")]})
    if user.language != language:
        before = user.language
        user.language = language
        user.save(update_fields=["language"])
        audit.record(
            actor=actor, action=AccountAudit.USER_SET_LANGUAGE, obj=user,
            changes={"language": [before, language]},
        )
    return user
