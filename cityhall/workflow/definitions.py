"""Workflow definitions: YAML files in the repo, validated and loaded into the database.

The typed form (`Spec`) and `DefinitionError` are in `spec.py`; this module loads, keeps
versions and caches parsed definitions.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from cityhall.core.localcache import ProcessCache
from cityhall.workflow.models import Transition, WorkflowDefinition
from cityhall.workflow.spec import DefinitionError, Spec, parse

# Parsed definitions by primary key. A version that a case has used never changes
# (load_file refuses), and every save of a definition in this process empties the
# cache, so a version is parsed from the database once per process.
_specs: dict[int, Spec] = {}
_specs_lock = threading.Lock()


def validate(spec: dict[str, Any]) -> dict[str, Any]:
    """Check a definition read from YAML; return it as it is stored, with its order recorded.

    The stored form is the file's mapping plus the order of its states and actions
    (PostgreSQL's jsonb does not keep key order); its digest tells versions apart.
    """
    parse(spec)
    spec["state_order"] = list(spec["states"])
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


# The newest version's key by name: read on every case started (each receipt, each
# report filed). A version loaded in this process empties it at once; another process
# (`cityhall load_workflows`) is seen within the minute, and cases started meanwhile stay
# on the version before, which is as valid as ever (a case keeps its version).
_LATEST: ProcessCache[int | None] = ProcessCache(
    "workflow.latest_id", ttl=60.0, models=(WorkflowDefinition,), keep_none=False)


def latest_id(name: str) -> int:
    """The primary key of the newest loaded version of a workflow (its spec via `spec_of`)."""
    found = _LATEST.get(name, lambda: WorkflowDefinition.objects.filter(name=name)
                        .order_by("-version").values_list("pk", flat=True).first())
    if found is None:
        found = latest(name).pk
    return found


def spec_of(definition_id: int) -> Spec:
    """The parsed definition with this primary key, read from the database once per process."""
    spec = _specs.get(definition_id)
    if spec is None:
        spec = parse(
            WorkflowDefinition.objects.values_list("spec", flat=True).get(pk=definition_id))
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
