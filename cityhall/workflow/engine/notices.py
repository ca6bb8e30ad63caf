"""Who the definitions say to tell about a step, written with one read of the people."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cityhall.accounts.models import Membership, Role, User
from cityhall.core.audit import Actor
from cityhall.notifications import services as notifications
from cityhall.workflow.engine.cases import actor_label
from cityhall.workflow.models import WorkflowCase
from cityhall.workflow.spec import ENGINE_AUDIENCES, NotificationRule, Spec

#: The leaders (user ids) of a unit, by unit id.
LeadersOf = Callable[[int], list[int]]


@dataclass
class Event:
    """An event on a case whose notices are still to be written."""

    case: WorkflowCase
    spec: Spec
    name: str
    actor: Actor
    previous_assignee: int | None
    comment: str = ""


def audience(event: Event, names: Iterable[str], leaders_of: LeadersOf) -> list[int]:
    """The accounts (user ids) a rule's audience names for `event`."""
    case = event.case
    ids: set[int] = set()
    for name in names:
        if name == "assignee" and case.assignee_id:
            ids.add(case.assignee_id)
        elif name == "previous_assignee" and event.previous_assignee:
            ids.add(event.previous_assignee)
        elif name == "actor" and isinstance(event.actor, User):
            ids.add(event.actor.pk)
        elif name == "unit_leaders":
            ids.update(leaders_of(case.unit_id))
        elif name not in ENGINE_AUDIENCES:
            linked = getattr(case, f"{name}_id", None)
            if linked:
                ids.add(linked)
    return sorted(ids)


def contacts_of(case: WorkflowCase) -> list[notifications.ContactAddress]:
    """The people without an account to tell about `case`, from its type's hook.

    A case type lists them with a method `notification_contacts()` returning
    `notifications.services.ContactAddress` values (e-mail, phone, language); a type
    without the method has none.
    """
    hook = getattr(case, "notification_contacts", None)
    return list(hook()) if callable(hook) else []


def notify(events: Sequence[Event], leaders_of: LeadersOf, known: Iterable[Any] = ()) -> None:
    """Write the notices the definitions ask for on `events`, with one read of the people."""
    notifications.notify_many(notices_for(events, leaders_of, known))


def notices_for(events: Sequence[Event], leaders_of: LeadersOf, known: Iterable[Any] = ()
                ) -> list[notifications.Notice]:
    """The notices the definitions ask for on `events`, not written; one read of the people."""
    planned: list[tuple[Event, NotificationRule, list[int]]] = []
    contacts: dict[int, list[notifications.ContactAddress]] = {}
    for event in events:
        for rule in event.spec.rules_for(event.name):
            wanted = audience(event, rule.audience, leaders_of)
            if "contacts" in rule.audience and id(event) not in contacts:
                contacts[id(event)] = contacts_of(event.case)
            if wanted or ("contacts" in rule.audience and contacts[id(event)]):
                planned.append((event, rule, wanted))
    if not planned:
        return []
    needed = {pk for _, _, wanted in planned for pk in wanted}
    # The actor and the new assignee are usually in hand already: no need to read them again.
    people = {u.pk: u for u in known if isinstance(u, User) and u.pk in needed}
    missing = needed - people.keys()
    if missing:
        people.update((u.pk, u) for u in User.objects.filter(pk__in=sorted(missing)))
    batch = []
    for event, rule, wanted in planned:
        recipients = [people[pk] for pk in wanted if pk in people and people[pk].is_active]
        reached = contacts.get(id(event), []) if "contacts" in rule.audience else []
        if not recipients and not reached:
            continue
        case = event.case
        batch.append(notifications.Notice(
            recipients=recipients, contacts=reached, channels=rule.channels,
            template=rule.template,
            context={
                "case": str(case), "case_id": case.pk, "case_type": case._meta.label_lower,
                "event": event.name, "state": case.state, "actor": actor_label(event.actor),
                "due_at": case.due_at, "comment": event.comment,
            },
            subject_ref=f"{case._meta.label_lower}:{case.pk}",
        ))
    return batch


def leaders_by_unit(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """The leaders in force of each unit, by username, in one query."""
    found: dict[int, list[int]] = {}
    rows = (
        Membership.objects.active_on().filter(unit_id__in=sorted(set(unit_ids)), role=Role.LEADER)
        .order_by("unit_id", "user__username").values_list("unit_id", "user_id")
    )
    for unit_id, user_id in rows:
        found.setdefault(unit_id, []).append(user_id)
    return found


def leaders_lookup() -> LeadersOf:
    """Leaders per unit, each unit read once during one call of the engine."""
    seen: dict[int, list[int]] = {}

    def leaders_of(unit_id: int) -> list[int]:
        if unit_id not in seen:
            seen[unit_id] = leaders_by_unit([unit_id]).get(unit_id, [])
        return seen[unit_id]

    return leaders_of
