"""Workflow definitions: YAML files in the repo, validated and loaded into the database."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from cityhall.workflow.models import Transition, WorkflowDefinition

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

# Parsed definitions by primary key. A version that a case has used never changes
# (load_file refuses), and every save of a definition in this process empties the
# cache, so a version is parsed from the database once per process.
_specs: dict[int, dict[str, Any]] = {}
_specs_lock = threading.Lock()


class DefinitionError(ValueError):
    """A workflow definition that does not hold together."""


def check_span(where: str, span: Any) -> None:
    """Refuse a span that is not exactly one positive `working_days` or `working_hours`."""
    if span is None:
        return
    if not isinstance(span, dict) or len(span) != 1:
        raise DefinitionError(f"{where}: give exactly one of working_days / working_hours")
    ((unit, amount),) = span.items()
    if unit not in {"working_days", "working_hours"}:
        raise DefinitionError(f"{where}: unknown unit {unit!r}")
    if not isinstance(amount, int | float) or amount <= 0:
        raise DefinitionError(f"{where}: the amount must be positive")


def validate(spec: dict[str, Any]) -> dict[str, Any]:
    """Check a definition's structure and cross-references; return it with its order recorded."""
    for key in ("name", "version", "states", "actions"):
        if key not in spec:
            raise DefinitionError(f"missing {key!r}")
    states: dict[str, dict[str, Any]] = spec["states"]
    starts = [s for s, v in states.items() if (v or {}).get("start")]
    if len(starts) != 1:
        raise DefinitionError("exactly one state must be the start state")
    if not any((v or {}).get("terminal") for v in states.values()):
        raise DefinitionError("at least one state must be terminal")
    for name, state in states.items():
        check_span(f"state {name}", (state or {}).get("deadline"))
    check_span("deadline", spec.get("deadline"))
    for name, action in spec["actions"].items():
        if name in ENGINE_EVENTS:
            raise DefinitionError(f"action {name}: the name is the engine's own event")
        if action.get("to") not in states:
            raise DefinitionError(f"action {name}: unknown target state {action.get('to')!r}")
        for source in action.get("from", []):
            if source not in states:
                raise DefinitionError(f"action {name}: unknown source state {source!r}")
            if (states[source] or {}).get("terminal"):
                raise DefinitionError(f"action {name}: leaves terminal state {source!r}")
        if not action.get("roles"):
            raise DefinitionError(f"action {name}: say which roles may take it")
        unknown = set(action.get("requires", [])) - REQUIREMENTS
        if unknown:
            raise DefinitionError(f"action {name}: unknown requirements {sorted(unknown)}")
        if "reason" in action.get("requires", []) and not action.get("reasons"):
            raise DefinitionError(f"action {name}: requires a reason but lists no reasons")
    esc = spec.get("escalation") or {}
    check_span("escalation.remind_before", esc.get("remind_before"))
    if esc.get("on_overdue", "none") not in ESCALATIONS:
        raise DefinitionError(f"escalation.on_overdue must be one of {sorted(ESCALATIONS)}")
    auto = esc.get("auto_close")
    if auto:
        if not isinstance(auto, dict) or set(auto) - AUTO_CLOSE_KEYS:
            raise DefinitionError(
                f"escalation.auto_close takes only {sorted(AUTO_CLOSE_KEYS)}")
        if auto.get("action") not in spec["actions"]:
            raise DefinitionError("escalation.auto_close.action must name an action")
        if SYSTEM_ROLE not in spec["actions"][auto["action"]]["roles"]:
            raise DefinitionError("the auto-close action must allow the system role")
        if not isinstance(auto.get("after_working_days"), int):
            raise DefinitionError("escalation.auto_close.after_working_days must be a whole number")
        check_span("escalation.auto_close", {"working_days": auto.get("after_working_days")})
        if auto.get("counted_from", "deadline") not in AUTO_CLOSE_FROM:
            raise DefinitionError(
                f"escalation.auto_close.counted_from must be one of {sorted(AUTO_CLOSE_FROM)}")
    for rule in spec.get("notifications", []):
        if rule.get("event") not in set(spec["actions"]) | ENGINE_EVENTS:
            raise DefinitionError(f"notification on unknown action {rule.get('event')!r}")
        if not set(rule.get("channels", [])) <= CHANNELS or not rule.get("channels"):
            raise DefinitionError(f"notification channels must be among {sorted(CHANNELS)}")
        if not rule.get("audience") or not rule.get("template"):
            raise DefinitionError("a notification needs an audience and a template")
        if set(rule["audience"]) == {"contacts"} and set(rule["channels"]) == {"in_app"}:
            raise DefinitionError("contacts have no account: tell them by email, sms or zalo")
    # PostgreSQL's jsonb does not keep key order, so the file's order is kept as lists.
    spec["state_order"] = list(states)
    spec["action_order"] = list(spec["actions"])
    return spec


def definition_files() -> list[Path]:
    """Every `workflows/*.yaml` file of the project's apps."""
    root = Path(settings.BASE_DIR) / "cityhall"
    return sorted(root.glob("*/workflows/*.yaml"))


def _digest(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def load_file(path: Path) -> tuple[WorkflowDefinition, bool]:
    """Load one definition file; refuse to change a version that cases already use."""
    spec = validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    digest = _digest(spec)
    try:
        source = str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        source = str(path)
    existing = (
        WorkflowDefinition.objects.select_for_update()
        .filter(name=spec["name"], version=spec["version"])
        .first()
    )
    if existing is None:
        created = WorkflowDefinition.objects.create(
            name=spec["name"], version=spec["version"], title=spec.get("title", ""),
            spec=spec, source=source, sha256=digest,
        )
        return created, True
    if existing.sha256 == digest:
        return existing, False
    if Transition.objects.filter(workflow=existing).exists():
        raise DefinitionError(
            f"{spec['name']} v{spec['version']} is in use; publish a new version instead"
        )
    existing.spec, existing.sha256, existing.title, existing.source = (
        spec, digest, spec.get("title", ""), source,
    )
    existing.save(update_fields=["spec", "sha256", "title", "source"])
    return existing, True


def load_all() -> list[tuple[WorkflowDefinition, bool]]:
    """Load every definition file of the project."""
    return [load_file(p) for p in definition_files()]


def latest(name: str) -> WorkflowDefinition:
    """The newest loaded version of a workflow, loading the files on first use."""
    found = WorkflowDefinition.objects.filter(name=name).order_by("-version").first()
    if found is None:
        load_all()
        found = WorkflowDefinition.objects.filter(name=name).order_by("-version").first()
    if found is None:
        raise DefinitionError(f"no workflow named {name!r}")
    return found


def latest_id(name: str) -> int:
    """The primary key of the newest loaded version of a workflow (its spec via `spec_of`)."""
    newest = WorkflowDefinition.objects.filter(name=name).order_by("-version")
    found = newest.values_list("pk", flat=True).first()
    if found is None:
        found = latest(name).pk
    return found


def spec_of(definition_id: int) -> dict[str, Any]:
    """The parsed definition with this primary key, read from the database once per process."""
    spec = _specs.get(definition_id)
    if spec is None:
        spec = WorkflowDefinition.objects.values_list("spec", flat=True).get(pk=definition_id)
        with _specs_lock:
            _specs[definition_id] = spec
    return spec


def forget_specs(**_: object) -> None:
    """Empty the cache of parsed definitions (a definition was saved or deleted)."""
    with _specs_lock:
        _specs.clear()


def connect_cache_invalidation() -> None:
    """Drop cached definitions whenever one is saved or deleted in this process."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(forget_specs, sender=WorkflowDefinition, dispatch_uid="workflow-spec-save")
    post_delete.connect(forget_specs, sender=WorkflowDefinition, dispatch_uid="workflow-spec-del")
