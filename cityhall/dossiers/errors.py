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
    # A component's file, refused by the file layer (`core.files.FileError`, prefixed).
    FILE_TYPE = "file_type", 400
    FILE_TOO_LARGE = "file_too_large", 400
    FILE_TOO_MANY_PIXELS = "file_too_many_pixels", 400
    FILE_TOO_MANY_PAGES = "file_too_many_pages", 400
    FILE_ENCRYPTED = "file_encrypted", 400
    FILE_INFECTED = "file_infected", 400
    FILE_SCAN_FAILED = "file_scan_failed", 503
    TOO_MANY_FILES = "too_many_files", 400
    # Data held: no record under the reference, or the source did not answer.
    NO_RECORD = "no_record_in_data_source", 400
    DATA_SOURCE_UNAVAILABLE = "data_source_unavailable", 503
    # Staff steps of the dossier's own (beyond the engine's).
    INVALID_TARGET = "invalid_target_unit", 400
    INVALID_APPOINTMENT = "invalid_appointment", 400
    # The applicant's side: a rating out of 1-5 or given twice; a result that is not a PDF.
    RESULT_NOT_PDF = "result_not_pdf", 400
    # Payments: an unknown gateway, a callback not signed right, a payment that does not
    # match a dossier's fee.
    UNKNOWN_GATEWAY = "unknown_gateway", 404
    BAD_CALLBACK = "bad_callback", 400
    PAYMENT_MISMATCH = "payment_mismatch", 400


#: Every code a dossier refusal may carry.
Code = DossierCode | WorkflowCode | Common


class DossierError(Refused):
    """A dossier action refused; `code` is stable, `detail` is for people (or maps fields)."""

    code: Code

    def __init__(self, code: Code, detail: Any) -> None:
        super().__init__(code, detail)
