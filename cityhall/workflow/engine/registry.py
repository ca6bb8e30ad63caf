"""Which case models the engine runs, on which workflow; the definition a case runs on."""

from __future__ import annotations

from cityhall.workflow import definitions
from cityhall.workflow.engine.errors import WorkflowCode, WorkflowError
from cityhall.workflow.models import WorkflowCase
from cityhall.workflow.spec import Spec

_registry: dict[str, tuple[type[WorkflowCase], str]] = {}


def register_case_type(model: type[WorkflowCase], definition_name: str) -> None:
    """Declare that cases of `model` follow the workflow named `definition_name`."""
    if not issubclass(model, WorkflowCase):
        raise TypeError(f"{model!r} does not inherit WorkflowCase")
    _registry[model._meta.label_lower] = (model, definition_name)


def case_types() -> list[tuple[type[WorkflowCase], str]]:
    """The registered case models and their workflow names."""
    return list(_registry.values())


def workflow_name(case: WorkflowCase) -> str:
    """The name of the workflow cases of this type follow; `unknown_case_type` if none."""
    label = case._meta.label_lower
    if label not in _registry:
        raise WorkflowError(WorkflowCode.UNKNOWN_CASE_TYPE)
    return _registry[label][1]


def case_spec(case: WorkflowCase) -> Spec:
    """The parsed definition `case` runs on; WorkflowError `not_started` before `start`."""
    if case.workflow_id is None:
        raise WorkflowError(WorkflowCode.NOT_STARTED)
    return definitions.spec_of(case.workflow_id)
