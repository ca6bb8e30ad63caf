"""The one error the dossier services raise, and the codes only dossiers give."""

from __future__ import annotations

from typing import Any

from cityhall.core.errors import Common, ErrorCode, Refused
from cityhall.workflow.engine import WorkflowCode


class DossierCode(ErrorCode):
    """The refusals of the dossier services (they also give `Common`'s and the engine's)."""

    UNKNOWN_PROCEDURE = "unknown_procedure", 400
    NOT_ONLINE = "procedure_not_online", 400
    INVALID_APPLICANT = "invalid_applicant", 400
    UNKNOWN_UNIT = "unknown_unit", 400
    WRONG_COMPETENT_UNIT = "wrong_competent_unit", 400
    NOT_A_COUNTER = "not_a_counter", 403
    INVALID_COMPONENT = "invalid_component", 400


#: Every code a dossier refusal may carry.
Code = DossierCode | WorkflowCode | Common


class DossierError(Refused):
    """A dossier action refused; `code` is stable, `detail` is for people (or maps fields)."""

    code: Code

    def __init__(self, code: Code, detail: Any) -> None:
        super().__init__(code, detail)
