"""The demo people of a fresh install: staff of three wards and three departments, and others."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from cityhall.accounts import services
from cityhall.accounts.models import Membership, Role, User, UserKind
from cityhall.core import audit
from cityhall.orgunits.models import Unit, UnitKind
from cityhall.orgunits.services import create_unit

#: The password of every demo account (printed by `cityhall demo_logins`).
DEMO_PASSWORD = "cityhall-demo"  # noqa: S105 (public demo password, by design)

#: The day the two-level government started; demo memberships begin then.
DEMO_START = dt.date(2025, 7, 1)

CITY_CODE = "79"

#: Demo wards, found by name in the real registry: (slug, name).
DEMO_WARDS = (
    ("saigon", "Phường Sài Gòn"),
    ("thuduc", "Phường Thủ Đức"),
    ("ankhanh", "Phường An Khánh"),
)

#: Demo departments: (slug, code).
DEMO_DEPARTMENTS = (("sxd", "79-SXD"), ("snnmt", "79-SNNMT"), ("snv", "79-SNV"))

NEIGHBOURHOODS_PER_WARD = 3


@dataclass(frozen=True)
class DemoStaff:
    """One demo member of staff: login, name, role and title in a unit."""

    username: str
    full_name: str
    role: str
    title: str
    unit: Unit


def _registry() -> tuple[Unit, dict[str, Unit], dict[str, Unit]]:
    """The city, the demo wards and the demo departments; CommandError if not loaded."""
    active = Unit.objects.active_on()
    city = active.filter(code=CITY_CODE, kind=UnitKind.PROVINCE).first()
    wards = {slug: active.filter(name=name).commune_level().first() for slug, name in DEMO_WARDS}
    depts = {slug: active.filter(code=code).first() for slug, code in DEMO_DEPARTMENTS}
    missing = [
        label
        for label, unit in [
            (CITY_CODE, city),
            *((name, wards[slug]) for slug, name in DEMO_WARDS),
            *((code, depts[slug]) for slug, code in DEMO_DEPARTMENTS),
        ]
        if unit is None
    ]
    if missing:
        raise CommandError(
            _("The registry is not loaded (missing: %(units)s). Run `cityhall load_units` first.")
            % {"units": ", ".join(missing)}
        )
    assert city is not None  # noqa: S101 (narrowing for the type checker; checked above)
    return city, wards, depts  # type: ignore[return-value]


def _neighbourhoods(ward: Unit) -> list[Unit]:
    """The ward's demo neighbourhoods (Khu phố 1..3), created when missing."""
    result = []
    for number in range(1, NEIGHBOURHOODS_PER_WARD + 1):
        code = f"{ward.code}-KP{number:02d}"
        unit = Unit.objects.filter(code=code, valid_to__isnull=True).first()
        if unit is None:
            unit = create_unit(
                actor=audit.SYSTEM, code=code, kind=UnitKind.NEIGHBOURHOOD,
                name=f"Khu phố {number}", short_name=f"KP{number}",
                name_en=f"Neighbourhood {number}", parent=ward, valid_from=DEMO_START,
                is_demo=True,
            )
        result.append(unit)
    return result


def demo_staff() -> list[DemoStaff]:
    """Every demo member of staff, in display order (the registry must be loaded)."""
    city, wards, depts = _registry()
    staff = [
        DemoStaff("city.leader", "Nguyễn Văn Thành", Role.LEADER,
                  "Phó Chủ tịch UBND Thành phố", city),
    ]
    ward_people = {
        "saigon": ("Lê Minh Tâm", "Phạm Thu Hà", "Võ Thị Lan", "Đặng Văn Hùng"),
        "thuduc": ("Trần Quốc Bảo", "Ngô Thị Hạnh", "Bùi Văn Phúc", "Huỳnh Thị Nga"),
        "ankhanh": ("Hoàng Đức Anh", "Đỗ Thị Thu", "Phan Văn Lộc", "Lý Thị Mỹ"),
    }
    for slug, _name in DEMO_WARDS:
        ward = wards[slug]
        leader, officer, clerk, head = ward_people[slug]
        first_kp = _neighbourhoods(ward)[0]
        staff += [
            DemoStaff(f"leader.{slug}", leader, Role.LEADER, "Chủ tịch UBND phường", ward),
            DemoStaff(f"officer.{slug}", officer, Role.OFFICER, "Chuyên viên", ward),
            DemoStaff(f"clerk.{slug}", clerk, Role.CLERK, "Cán bộ bộ phận một cửa", ward),
            DemoStaff(f"khupho.{slug}", head, Role.NEIGHBOURHOOD_HEAD, "Trưởng khu phố",
                      first_kp),
        ]
    dept_people = {
        "sxd": ("Nguyễn Hữu Nghĩa", "Trương Thị Kim"),
        "snnmt": ("Mai Văn Sơn", "Châu Thị Diễm"),
        "snv": ("Tôn Thất Vinh", "Lâm Thị Ngọc"),
    }
    for slug, _code in DEMO_DEPARTMENTS:
        leader, officer = dept_people[slug]
        staff += [
            DemoStaff(f"leader.{slug}", leader, Role.LEADER, "Giám đốc Sở", depts[slug]),
            DemoStaff(f"officer.{slug}", officer, Role.OFFICER, "Chuyên viên", depts[slug]),
        ]
    return staff


def _ensure_user(username: str, password_hash: str, **fields: object) -> tuple[User, bool]:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, False
    user = services.create_user(
        actor=audit.SYSTEM, username=username, password_hash=password_hash,
        email=f"{username}@example.org", **fields,  # type: ignore[arg-type]
    )
    return user, True


def load_demo() -> int:
    """Create the demo accounts and memberships that are missing; return how many rows."""
    created = 0
    # One hash for the shared public password: hashing it per account costs seconds.
    hashed = make_password(DEMO_PASSWORD)
    for person in demo_staff():
        user, new = _ensure_user(
            person.username, hashed, kind=UserKind.STAFF, full_name=person.full_name
        )
        created += new
        held = Membership.objects.active_on().filter(user=user, unit=person.unit, role=person.role)
        if not held.exists():
            services.grant_membership(
                actor=audit.SYSTEM, user=user, unit=person.unit, role=person.role,
                title=person.title, valid_from=DEMO_START,
            )
            created += 1
    _user, new = _ensure_user("admin", hashed, kind=UserKind.STAFF, full_name="Quản trị hệ thống",
                              is_superuser=True)
    created += new
    _user, new = _ensure_user(
        "resident", hashed, kind=UserKind.RESIDENT, full_name="Trần Thị Mai",
        phone="0901234567", national_id="079190001234",
    )
    created += new
    _user, new = _ensure_user(
        "business", hashed, kind=UserKind.BUSINESS, full_name="Nguyễn Văn Bình",
        business_name="Công ty TNHH Thương mại Dịch vụ Demo", tax_code="0300588569",
        phone="02838123456",
    )
    created += new
    return created


def demo_usernames() -> list[str]:
    """Every demo login, in display order."""
    names = ["city.leader"]
    for slug, _name in DEMO_WARDS:
        names += [f"leader.{slug}", f"officer.{slug}", f"clerk.{slug}", f"khupho.{slug}"]
    for slug, _code in DEMO_DEPARTMENTS:
        names += [f"leader.{slug}", f"officer.{slug}"]
    return [*names, "admin", "resident", "business"]


def _unit_label(unit: Unit) -> str:
    # "Khu phố 1" alone does not say which ward; name the parent of a neighbourhood.
    if unit.kind == UnitKind.NEIGHBOURHOOD and unit.parent is not None:
        return f"{unit.name}, {unit.parent.name}"
    return unit.name


@dataclass(frozen=True)
class DemoAccount:
    """A demo login: its user name, what it is (a role, "superuser" or a kind of user), where."""

    username: str
    what: str
    unit: str

    def label(self) -> str:
        """What the account is, in the active language."""
        if self.what in Role.values:
            return str(Role(self.what).label)
        if self.what in UserKind.values:
            return str(UserKind(self.what).label)
        return str(_("superuser"))


def demo_accounts() -> list[DemoAccount]:
    """Every demo account that exists, in display order, with its first role in force."""
    names = demo_usernames()
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    held: dict[int, Membership] = {}
    for m in Membership.objects.active_on().filter(user__in=users.values()).select_related(
        "unit__parent"
    ):
        held.setdefault(m.user_id, m)
    rows = []
    for name in names:
        user = users.get(name)
        if user is None:
            continue
        membership = held.get(user.pk)
        if membership is not None:
            rows.append(DemoAccount(name, membership.role, _unit_label(membership.unit)))
        elif user.is_superuser:
            rows.append(DemoAccount(name, "superuser", "—"))
        else:
            rows.append(DemoAccount(name, user.kind, "—"))
    return rows


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, unit) of every demo account that exists, for the sign-in table."""
    return [(a.username, a.label(), a.unit) for a in demo_accounts()]
