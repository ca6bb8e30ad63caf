"""Shared test helpers: real units by name, people made through the real services, personas."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias
from zoneinfo import ZoneInfo

from cityhall.accounts import services
from cityhall.accounts.models import Membership, Role, User, UserKind
from cityhall.core.audit import SYSTEM, AuditAction
from cityhall.orgunits.models import Unit, UnitKind
from cityhall.orgunits.services import create_unit

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

    # What the test client's get/post return: django-stubs names it, Django does not, so
    # other modules import it under TYPE_CHECKING too, for annotations only.
    Response: TypeAlias = _MonkeyPatchedWSGIResponse

SAIGON = "Phường Sài Gòn"
THUDUC = "Phường Thủ Đức"
ANKHANH = "Phường An Khánh"
START = dt.date(2025, 7, 1)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A moment in Ho Chi Minh City time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=HCM)


def unit_named(name: str) -> Unit:
    """The open unit of the real registry with this name (exactly one)."""
    return Unit.objects.active_on().get(name=name)


def city() -> Unit:
    """The province unit, Thành phố Hồ Chí Minh."""
    return Unit.objects.active_on().get(kind=UnitKind.PROVINCE, valid_to__isnull=True)


def department(code: str) -> Unit:
    """A city department by its demo code (79-SXD...)."""
    return Unit.objects.active_on().get(code=code)


def neighbourhood(ward: Unit, number: int = 1) -> Unit:
    """A neighbourhood of the ward, created through the registry service if missing."""
    code = f"{ward.code}-KP{number:02d}"
    found = Unit.objects.filter(code=code, valid_to__isnull=True).first()
    if found is not None:
        return found
    return create_unit(
        actor=SYSTEM, code=code, kind=UnitKind.NEIGHBOURHOOD, name=f"Khu phố {number}",
        parent=ward, valid_from=START, is_demo=True,
    )


def make_user(username: str, kind: str = UserKind.RESIDENT, language: str = "",
              **fields: Any) -> User:
    """A person created through `create_user` (and `set_language` when a language is given)."""
    user = services.create_user(actor=SYSTEM, username=username, kind=kind, **fields)
    if language:
        services.set_language(actor=SYSTEM, user=user, language=language)
    return user


def make_staff(username: str, unit: Unit, role: str = Role.OFFICER, **fields: Any) -> User:
    """A member of staff holding `role` in `unit` since 1 July 2025."""
    fields.setdefault("full_name", username.replace(".", " ").title())
    user = make_user(username, kind=UserKind.STAFF, **fields)
    services.grant_membership(actor=SYSTEM, user=user, unit=unit, role=role, valid_from=START)
    return user


def bearer(user: User) -> dict[str, str]:
    """Headers that authenticate as `user` with a fresh personal token."""
    _token, raw = services.issue_token(actor=SYSTEM, user=user, name="test")
    return {"Authorization": f"Bearer {raw}"}


@dataclass
class Personas:
    """The people every scoped endpoint is tested with."""

    ward: Unit
    other_ward: Unit
    kp: Unit
    leader: User
    officer: User
    outsider: User
    city_leader: User
    kp_head: User
    resident: User

    def all(self) -> dict[str, User | None]:
        """Persona name -> user (None is the anonymous visitor)."""
        return {
            "leader": self.leader,
            "officer": self.officer,
            "outsider": self.outsider,
            "city_leader": self.city_leader,
            "kp_head": self.kp_head,
            "resident": self.resident,
            "anonymous": None,
        }


def personas() -> Personas:
    """Leader, officer and outsider of Phường Sài Gòn, plus city leader, khu phố head, resident."""
    ward = unit_named(SAIGON)
    other = unit_named(THUDUC)
    kp = neighbourhood(ward)
    return Personas(
        ward=ward,
        other_ward=other,
        kp=kp,
        leader=make_staff("p.leader", ward, Role.LEADER, phone="0900000001"),
        officer=make_staff("p.officer", ward, Role.OFFICER, phone="0900000002",
                           national_id="079200000002"),
        outsider=make_staff("p.outsider", other, Role.LEADER),
        city_leader=make_staff("p.city", city(), Role.LEADER),
        kp_head=make_staff("p.kp", kp, Role.NEIGHBOURHOOD_HEAD),
        resident=make_user("p.resident", full_name="Trần Thị Dân", phone="0911111111",
                           national_id="079300000003"),
    )


@dataclass
class WardTeam:
    """The staff of Phường Thủ Đức who handle reports, a neighbour ward's, a resident and a
    business: the people of the reports tests (scoped endpoints use `Personas`)."""

    ward: Unit
    leader: User
    officer: User
    other: User  # a second officer of the ward
    clerk: User
    outsider: User  # an officer of Phường An Khánh
    leader_ak: User  # the leader of Phường An Khánh
    resident: User
    business: User


def ward_team() -> WardTeam:
    """Make the `WardTeam` (the registry and, for reports, the categories loaded first)."""
    ward = unit_named(THUDUC)
    neighbour = unit_named(ANKHANH)
    return WardTeam(
        ward=ward,
        leader=make_staff("leader.td", ward, Role.LEADER, full_name="Phạm Lãnh Đạo"),
        officer=make_staff("officer.td", ward, Role.OFFICER, full_name="Trần Cán Bộ"),
        other=make_staff("officer2.td", ward, Role.OFFICER, full_name="Lê Chậm Chân"),
        clerk=make_staff("clerk.td", ward, Role.CLERK),
        outsider=make_staff("officer.ak", neighbour, Role.OFFICER),
        leader_ak=make_staff("leader.ak", neighbour, Role.LEADER),
        resident=make_user("dan.td", full_name="Lê Văn Dân", phone="0912345678",
                           email="dan@example.org"),
        business=make_user("dn.td", kind=UserKind.BUSINESS, tax_code="0300588569",
                           business_name="Công ty TNHH Mẫu"),
    )


def memberships_of(user: User) -> list[Membership]:
    """The user's memberships, unit loaded."""
    return list(Membership.objects.filter(user=user).select_related("unit"))


class Probe(AuditAction):
    """Audit actions the tests write to have entries to read (none of the platform's)."""

    PROBE = "probe"
    OTHER = "other"
    WARD = "probe.ward"
    KP = "probe.kp"
    OTHER_WARD = "probe.other"
    NO_UNIT = "probe.nounit"
    CONTRACT = "contract.probe"
