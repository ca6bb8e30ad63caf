"""Who may do what with reports: the role sets, named once."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from cityhall.accounts.models import Membership, Role, User
from cityhall.accounts.scope import scope_of
from cityhall.core.audit import Actor
from cityhall.orgunits.models import Unit
from cityhall.reports.models import Channel, Report
from cityhall.workflow.models import Transition

#: Staff who handle reports: take them, enter them from the hotline, appear in assign lists.
STAFF_ROLES = frozenset({Role.LEADER, Role.OFFICER, Role.CLERK, Role.ADMIN})
#: Who hears that a report arrived in, or was transferred to, their unit.
INTAKE_ROLES = frozenset({Role.LEADER, Role.CLERK})
#: Channels staff use for reports taken by phone or e-mail.
STAFF_CHANNELS = frozenset({Channel.HOTLINE, Channel.EMAIL})


def roles_in_force(user: User) -> set[str]:
    """The roles the user holds today, in any unit (one query)."""
    return set(Membership.objects.active_on().filter(user=user).values_list("role", flat=True))


def is_report_staff(user: User) -> bool:
    """Whether the user handles reports in some unit (superusers do)."""
    return user.is_superuser or bool(roles_in_force(user) & STAFF_ROLES)


def entry_channels(user: User) -> list[str]:
    """The channels through which the user enters a report for someone else."""
    roles = roles_in_force(user)
    channels: list[str] = []
    if user.is_superuser or roles & STAFF_ROLES:
        channels += [Channel.HOTLINE, Channel.EMAIL]
    if Role.NEIGHBOURHOOD_HEAD in roles:
        channels.append(Channel.NEIGHBOURHOOD_HEAD)
    return channels


def may_moderate(actor: Actor, unit: Unit) -> bool:
    """Whether the actor leads or administers a unit whose subtree holds `unit`."""
    return isinstance(actor, User) and scope_of(actor).managed().covers(unit)


def intake_staff(unit: Unit | int) -> QuerySet[User]:
    """The active leaders and clerks of a unit (who are told of a report coming in)."""
    members = Membership.objects.active_on().filter(unit=unit, role__in=INTAKE_ROLES)
    return User.objects.filter(is_active=True, memberships__in=members).distinct()


def intake_staff_by_unit(units: Iterable[int]) -> dict[int, list[User]]:
    """`intake_staff` of many units in one query, by unit id."""
    found: dict[int, dict[int, User]] = {}
    rows = (Membership.objects.active_on()
            .filter(unit_id__in=sorted(set(units)), role__in=INTAKE_ROLES, user__is_active=True)
            .select_related("user").order_by("unit_id", "user_id"))
    for member in rows:
        found.setdefault(member.unit_id, {})[member.user_id] = member.user
    return {unit: list(users.values()) for unit, users in found.items()}


def taken_by_reporter(step: Transition, report: Report) -> bool:
    """Whether the report's own reporter (by account) took the step.

    Staff see such a step as the reporter's, not by name: the name is personal data, shown
    only with the contact, whose every read is logged.
    """
    return step.actor_id is not None and step.actor_id == report.reporter_id
