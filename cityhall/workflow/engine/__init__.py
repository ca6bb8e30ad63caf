"""The workflow engine: start a case, list and perform actions, keep history, sweep deadlines.

The engine knows no domain. An app registers its case model (a `WorkflowCase`)
with the name of its workflow definition; everything else comes from the
definition (`cityhall.workflow.spec.Spec`): states, actions, who may take them,
deadlines, escalation and who is told what.

Callers use this package's names (`engine.perform(...)`); the modules behind them:
`registry` (case types), `roles` (who may act), `planning` (deadline maths, pure),
`notices` (who is told), `cases` (the engine's fields on a case object),
`transitions` (start, start_many, perform, perform_many, set_case_deadline), `bulk` (one-statement
writes of many cases) and `sweep` (the deadline sweep).
"""

from cityhall.workflow.engine.cases import CASE_FIELDS
from cityhall.workflow.engine.errors import BatchError, WorkflowCode, WorkflowError
from cityhall.workflow.engine.notices import contacts_of
from cityhall.workflow.engine.planning import (
    AUTO_CLOSE,
    NOTHING,
    OVERDUE,
    REMIND,
    Deadline,
    next_rule,
)
from cityhall.workflow.engine.registry import case_spec, case_types, register_case_type
from cityhall.workflow.engine.roles import available_actions, memberships_of, roles_of
from cityhall.workflow.engine.sweep import SweepResult, sweep
from cityhall.workflow.engine.transitions import (
    NewCase,
    Started,
    definition_of,
    history,
    perform,
    perform_many,
    set_case_deadline,
    start,
    start_many,
)

__all__ = [
    "AUTO_CLOSE",
    "CASE_FIELDS",
    "NOTHING",
    "OVERDUE",
    "REMIND",
    "BatchError",
    "Deadline",
    "NewCase",
    "Started",
    "SweepResult",
    "WorkflowCode",
    "WorkflowError",
    "available_actions",
    "case_spec",
    "case_types",
    "contacts_of",
    "definition_of",
    "history",
    "memberships_of",
    "next_rule",
    "perform",
    "perform_many",
    "register_case_type",
    "roles_of",
    "set_case_deadline",
    "start",
    "start_many",
    "sweep",
]
