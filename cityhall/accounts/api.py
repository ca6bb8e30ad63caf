"""Endpoints about people: the signed-in user, staff memberships, the audit trail, personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema

from cityhall.accounts import services
from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.accounts.models import Membership, Role, User
from cityhall.accounts.scope import scope_of
from cityhall.core.api import (
    MAX_OFFSET,
    MAX_PAGE,
    NO_NUL,
    ApiError,
    ErrorOut,
    Input,
    Page,
    paginate,
)
from cityhall.core.audit import log_personal_data_read
from cityhall.core.errors import Common
from cityhall.core.models import AuditEntry, PersonalDataRead

router = Router(tags=["accounts"], auth=AUTH)

_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ErrorOut}


class MembershipBrief(Schema):
    unit_code: str
    unit_name: str
    role: str
    title: str
    valid_from: dt.date
    valid_to: dt.date | None


class MeOut(Schema):
    username: str
    kind: str
    display_name: str
    language: str
    is_superuser: bool
    memberships: list[MembershipBrief]


class MeIn(Input):
    language: Literal["vi", "en"]


class MembershipOut(MembershipBrief):
    id: int
    username: str
    display_name: str


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    unit_code: str | None
    changes: dict[str, Any]
    request_id: str


class PersonOut(Schema):
    username: str
    kind: str
    full_name: str
    phone: str
    email: str
    national_id: str
    memberships: list[MembershipBrief]


class PersonalDataReadOut(Schema):
    at: dt.datetime
    reader: str
    reader_unit: str | None
    reader_role: str
    object_type: str
    object_id: str
    fields: list[str]
    purpose: str


def _brief(m: Membership) -> dict[str, Any]:
    return {
        "unit_code": m.unit.code,
        "unit_name": m.unit.name,
        "role": m.role,
        "title": m.title,
        "valid_from": m.valid_from,
        "valid_to": m.valid_to,
    }


def _me(user: User) -> dict[str, Any]:
    held = Membership.objects.active_on().filter(user=user).select_related("unit")
    return {
        "username": user.get_username(),
        "kind": user.kind,
        "display_name": user.display_name,
        "language": user.language,
        "is_superuser": user.is_superuser,
        "memberships": [_brief(m) for m in held],
    }


@router.get("/me", response={200: MeOut, **_ERRORS})
def me(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user and the memberships they hold today."""
    return _me(auth_user(request))


@router.patch("/me", response={200: MeOut, 400: ErrorOut, **_ERRORS})
def update_me(request: HttpRequest, payload: MeIn) -> dict[str, Any]:
    """Change the signed-in user's preferences (the language of the interface)."""
    me = auth_user(request)
    user = services.set_language(actor=me, user=me, language=payload.language)
    return _me(user)


@router.get("/memberships", response={200: Page[MembershipOut], **_ERRORS})
def memberships(
    request: HttpRequest,
    unit: str | None = Query(None, max_length=32, pattern=NO_NUL, description="A unit code."),
    include_ended: bool = False,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """Staff memberships in the units the user may see (in force today unless asked)."""
    rows = Membership.objects.visible_to(auth_user(request)).select_related("unit", "user")
    if not include_ended:
        rows = rows.active_on()
    if unit:
        rows = rows.filter(unit__code=unit)
    result = paginate(rows.order_by("unit__path", "role", "user__username", "pk"),
                      limit=limit, offset=offset)
    result["items"] = [
        {**_brief(m), "id": m.pk, "username": m.user.username, "display_name": m.user.display_name}
        for m in result["items"]
    ]
    return result


@router.get("/audit", response={200: Page[AuditOut], **_ERRORS})
def audit_entries(
    request: HttpRequest,
    object_type: str | None = Query(None, max_length=80, pattern=NO_NUL),
    object_id: str | None = Query(None, max_length=64, pattern=NO_NUL),
    action: str | None = Query(None, max_length=80, pattern=NO_NUL),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """Audit entries of the units the user may see; unit-less ones for city leadership only."""
    rows = AuditEntry.objects.visible_to(auth_user(request)).select_related("unit")
    if object_type:
        rows = rows.filter(object_type=object_type)
    if object_id:
        rows = rows.filter(object_id=object_id)
    if action:
        rows = rows.filter(action=action)
    result = paginate(rows.order_by("-at", "-id"), limit=limit, offset=offset)
    result["items"] = [
        {
            "id": e.pk,
            "at": e.at,
            "actor": e.actor_label,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object_repr": e.object_repr,
            "unit_code": e.unit.code if e.unit else None,
            "changes": e.changes,
            "request_id": e.request_id,
        }
        for e in result["items"]
    ]
    return result


_PERSON_FIELDS = ["full_name", "phone", "email", "national_id"]


@router.get("/people/{username}", response={200: PersonOut, 404: ErrorOut, **_ERRORS})
def person(
    request: HttpRequest,
    username: str = Path(..., max_length=150, pattern=NO_NUL),
    purpose: str = Query("", max_length=200, pattern=NO_NUL,
                         description="Why the data is needed."),
) -> dict[str, Any]:
    """A person's personal data, for themselves or a leader/administrator of their unit."""
    reader = auth_user(request)
    target = User.objects.filter(username=username, is_active=True).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.active_on().select_related("unit"),
            to_attr="held",
        )
    ).first()
    if target is None:
        raise ApiError(Common.NOT_FOUND, _("No such person."))
    if target.pk != reader.pk:
        # Need to know: only those who manage a unit where the person works read their record.
        managed = scope_of(reader).managed()
        covering = next((m for m in target.held if managed.covers(m.unit)), None)
        if covering is None:
            raise ApiError(Common.NOT_FOUND, _("No such person."))
        reader_membership = _capacity(reader, covering.unit)
        log_personal_data_read(
            reader=reader,
            obj=target,
            subject=target,
            fields=_PERSON_FIELDS,
            purpose=purpose or "personnel record",
            reader_unit=reader_membership.unit if reader_membership else None,
            reader_role=reader_membership.role if reader_membership else "",
        )
    return {
        "username": target.username,
        "kind": target.kind,
        "full_name": target.full_name,
        "phone": target.phone,
        "email": target.email,
        "national_id": target.national_id,
        "memberships": [_brief(m) for m in target.held],
    }


def _capacity(reader: User, unit: Any) -> Membership | None:
    """The reader's leader/administrator membership whose subtree holds `unit`."""
    held = (
        Membership.objects.active_on()
        .filter(user=reader, role__in=[Role.LEADER, Role.ADMIN])
        .select_related("unit")
    )
    return next((m for m in held if unit.path.startswith(m.unit.path)), None)


@router.get("/me/personal-data-reads", response={200: Page[PersonalDataReadOut], **_ERRORS})
def my_personal_data_reads(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """Who read the signed-in person's personal data, when, which fields and why."""
    rows = PersonalDataRead.objects.filter(subject=auth_user(request)).select_related(
        "reader", "reader_unit"
    )
    result = paginate(rows.order_by("-at", "-id"), limit=limit, offset=offset)
    result["items"] = [
        {
            "at": r.at,
            "reader": r.reader.display_name,
            "reader_unit": r.reader_unit.name if r.reader_unit else None,
            "reader_role": r.reader_role,
            "object_type": r.object_type,
            "object_id": r.object_id,
            "fields": r.fields,
            "purpose": r.purpose,
        }
        for r in result["items"]
    ]
    return result
