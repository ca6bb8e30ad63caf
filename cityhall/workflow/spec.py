"""Workflow definitions as typed objects, parsed and checked once; the engine reads only these.

The YAML format is the one in docs/architecture.md. Inside states, actions, escalation and
notification rules every key is the engine's, so an unknown one (a typo) is refused; a
top-level key the engine does not know is left to the app that owns the workflow (reports
read `transfer`), see `Spec.setting`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

ESCALATIONS = {"none", "escalate_to_unit_leader", "escalate_to_parent_unit"}
REQUIREMENTS = {"comment", "attachment", "assignee", "reason"}
CHANNELS = {"in_app", "email", "sms", "zalo"}
# Events the engine raises itself, besides the definition's own actions.
ENGINE_EVENTS = {"start", "remind", "escalate", "set_deadline", "*"}
SYSTEM_ROLE = "system"
# Audiences the engine resolves itself; any other name is a user link on the case.
# `contacts` are the people without an account that the case type lists through its
# `notification_contacts()` method (an e-mail address and/or a phone number).
ENGINE_AUDIENCES = {"assignee", "previous_assignee", "actor", "unit_leaders", "contacts"}
# Where auto-close counts from: the case deadline, or the moment the case entered a
# state that the auto-close action leaves.
AUTO_CLOSE_FROM = {"deadline", "state_entry"}
AUTO_CLOSE_KEYS = {"after_working_days", "action", "counted_from"}
SPAN_UNITS = {"working_days", "working_hours"}
# The stored form of a definition also lists its states and actions in the file's order
# (PostgreSQL's jsonb does not keep key order).
ORDER_KEYS = ("state_order", "action_order")


class DefinitionError(ValueError):
    """A workflow definition that does not hold together."""


class _Part(BaseModel):
    """A part of a definition: immutable, and every key is the engine's."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Part):
    """A length of working time, `{working_days: N}` or `{working_hours: N}` in the YAML."""

    unit: Literal["working_days", "working_hours"]
    amount: float


def span_problem(value: Any) -> str | None:
    """What is wrong with a span given as a mapping, if anything."""
    if not isinstance(value, dict) or len(value) != 1:
        return "give exactly one of working_days / working_hours"
    ((unit, amount),) = value.items()
    if unit not in SPAN_UNITS:
        return f"unknown unit {unit!r}"
    if not isinstance(amount, int | float) or amount <= 0:
        return "the amount must be positive"
    return None


def _to_span(value: Any) -> Any:
    if value is None or isinstance(value, Span):
        return value
    problem = span_problem(value)
    if problem:
        raise ValueError(problem)
    ((unit, amount),) = value.items()
    return Span(unit=unit, amount=amount)


def parse_span(where: str, value: Any) -> Span | None:
    """The span a mapping gives (None for None); DefinitionError naming `where` otherwise."""
    try:
        return _to_span(value)
    except ValueError as exc:
        raise DefinitionError(f"{where}: {exc}") from None


OptionalSpan = Annotated[Span | None, BeforeValidator(_to_span)]


def _or_empty(value: Any) -> Any:
    """An empty YAML value (`assigned:`) is an empty mapping."""
    return {} if value is None else value


class State(_Part):
    """A state: the start, terminal, stopping the clock, with a deadline of its own."""

    start: bool = False
    terminal: bool = False
    stops_clock: bool = False
    deadline: OptionalSpan = None


class Action(_Part):
    """An action: from which states to which, who may take it and what it needs."""

    to: str
    sources: tuple[str, ...] = Field((), alias="from")
    roles: tuple[str, ...] = ()
    only_assignee: bool = False
    #: Taken on a case nobody has yet, by whoever takes it: the actor becomes its assignee.
    self_assign: bool = False
    requires: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


class AutoClose(_Part):
    """Closing by itself: `action`, taken as the system, some working days after a moment."""

    after_working_days: int
    action: str
    counted_from: Literal["deadline", "state_entry"] = "deadline"

    @model_validator(mode="before")
    @classmethod
    def _check(cls, value: Any) -> Any:
        if not isinstance(value, dict) or set(value) - AUTO_CLOSE_KEYS:
            raise DefinitionError(f"escalation.auto_close takes only {sorted(AUTO_CLOSE_KEYS)}")
        if not isinstance(value.get("action"), str):
            raise DefinitionError("escalation.auto_close.action must name an action")
        days = value.get("after_working_days")
        if not isinstance(days, int):
            raise DefinitionError("escalation.auto_close.after_working_days must be a whole number")
        if days <= 0:
            raise DefinitionError("escalation.auto_close: the amount must be positive")
        if value.get("counted_from", "deadline") not in AUTO_CLOSE_FROM:
            raise DefinitionError(
                f"escalation.auto_close.counted_from must be one of {sorted(AUTO_CLOSE_FROM)}")
        return value


class Escalation(_Part):
    """The deadline rules: a reminder, what happens when overdue, closing by itself."""

    remind_before: OptionalSpan = None
    on_overdue: Literal["none", "escalate_to_unit_leader", "escalate_to_parent_unit"] = "none"
    # An empty `auto_close` means none.
    auto_close: Annotated[AutoClose | None, BeforeValidator(lambda v: v or None)] = None

    @model_validator(mode="before")
    @classmethod
    def _check(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("on_overdue", "none") not in ESCALATIONS:
            raise DefinitionError(f"escalation.on_overdue must be one of {sorted(ESCALATIONS)}")
        return value


class NotificationRule(_Part):
    """Who is told of an event, through which channels, with which message template."""

    event: str | None = None
    audience: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    template: str = ""


class Spec(BaseModel):
    """One version of a workflow, parsed: what the engine acts on."""

    # Top-level keys the engine does not know belong to the app (see `setting`).
    model_config = ConfigDict(frozen=True, extra="allow")

    name: str
    version: int
    title: str = ""
    deadline: OptionalSpan = None
    escalation: Annotated[Escalation, BeforeValidator(_or_empty)] = Escalation()
    states: dict[str, Annotated[State, BeforeValidator(_or_empty)]]
    actions: dict[str, Annotated[Action, BeforeValidator(_or_empty)]]
    notifications: Annotated[tuple[NotificationRule, ...], BeforeValidator(lambda v: v or ())] = ()

    @model_validator(mode="before")
    @classmethod
    def _in_file_order(cls, value: Any) -> Any:
        """Put a stored definition's states and actions back in the file's order."""
        if not isinstance(value, dict) or not any(k in value for k in ORDER_KEYS):
            return value
        value = dict(value)
        for key, part in zip(ORDER_KEYS, ("states", "actions"), strict=True):
            order = value.pop(key, None)
            found = value.get(part)
            if order is not None and isinstance(found, dict) and set(order) == set(found):
                value[part] = {name: found[name] for name in order}
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Spec:
        states = self.states
        if len([s for s in states.values() if s.start]) != 1:
            raise DefinitionError("exactly one state must be the start state")
        if not any(s.terminal for s in states.values()):
            raise DefinitionError("at least one state must be terminal")
        for name, action in self.actions.items():
            if name in ENGINE_EVENTS:
                raise DefinitionError(f"action {name}: the name is the engine's own event")
            if action.to not in states:
                raise DefinitionError(f"action {name}: unknown target state {action.to!r}")
            for source in action.sources:
                if source not in states:
                    raise DefinitionError(f"action {name}: unknown source state {source!r}")
                if states[source].terminal:
                    raise DefinitionError(f"action {name}: leaves terminal state {source!r}")
            if not action.roles:
                raise DefinitionError(f"action {name}: say which roles may take it")
            unknown = set(action.requires) - REQUIREMENTS
            if unknown:
                raise DefinitionError(f"action {name}: unknown requirements {sorted(unknown)}")
            if action.self_assign and (action.only_assignee or "assignee" in action.requires):
                raise DefinitionError(
                    f"action {name}: self_assign takes a case nobody has; it names no assignee")
            if "reason" in action.requires and not action.reasons:
                raise DefinitionError(f"action {name}: requires a reason but lists no reasons")
        auto = self.escalation.auto_close
        if auto is not None:
            if auto.action not in self.actions:
                raise DefinitionError("escalation.auto_close.action must name an action")
            if SYSTEM_ROLE not in self.actions[auto.action].roles:
                raise DefinitionError("the auto-close action must allow the system role")
        for rule in self.notifications:
            if rule.event not in set(self.actions) | ENGINE_EVENTS:
                raise DefinitionError(f"notification on unknown action {rule.event!r}")
            if not set(rule.channels) <= CHANNELS or not rule.channels:
                raise DefinitionError(f"notification channels must be among {sorted(CHANNELS)}")
            if not rule.audience or not rule.template:
                raise DefinitionError("a notification needs an audience and a template")
            if set(rule.audience) == {"contacts"} and set(rule.channels) == {"in_app"}:
                raise DefinitionError("contacts have no account: tell them by email, sms or zalo")
        return self

    @cached_property
    def start_state(self) -> str:
        """The name of the one start state."""
        return next(name for name, state in self.states.items() if state.start)

    @cached_property
    def auto_close_sources(self) -> frozenset[str]:
        """The states the auto-close action leaves (none without an auto-close)."""
        auto = self.escalation.auto_close
        if auto is None:
            return frozenset()
        return frozenset(self.actions[auto.action].sources)

    def rules_for(self, event: str) -> list[NotificationRule]:
        """The notification rules that fire on `event`, in the definition's order."""
        return [r for r in self.notifications if r.event in (event, "*")]

    def setting(self, key: str) -> Any:
        """A top-level key the engine does not read, left to the app (reports' `transfer`)."""
        return (self.model_extra or {}).get(key)


def _where(loc: tuple[int | str, ...]) -> str:
    """Where in the definition an error is, as the messages name it ("state received")."""
    if not loc:
        return "the definition"
    if loc[0] in ("states", "actions") and len(loc) >= 2:
        head = f"{str(loc[0])[:-1]} {loc[1]}"
        rest = [str(p) for p in loc[2:] if not (loc[0] == "states" and p == "deadline")]
        return ".".join([head, *rest])
    if loc[0] == "notifications" and len(loc) >= 2 and isinstance(loc[1], int):
        return ".".join([f"notification {loc[1] + 1}", *map(str, loc[2:])])
    return ".".join(map(str, loc))


def _message(error: ErrorDetails) -> str:
    loc = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, DefinitionError):
        return str(cause)
    if error["type"] == "value_error" and cause is not None:
        return f"{_where(loc)}: {cause}"
    if error["type"] == "missing" and len(loc) == 1:
        return f"missing {loc[0]!r}"
    if error["type"] == "missing":
        return f"{_where(loc[:-1])}: missing {loc[-1]!r}"
    if error["type"] == "extra_forbidden":
        return f"{_where(loc[:-1])}: unknown key {loc[-1]!r}"
    return f"{_where(loc)}: {error['msg']}"


def parse(data: Any) -> Spec:
    """The typed definition of a mapping (from a YAML file or as stored); refuse a bad one."""
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_message(exc.errors()[0])) from None
