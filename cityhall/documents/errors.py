"""The one error the document services raise, and the codes only documents give."""

from __future__ import annotations

from typing import Any

from cityhall.core.errors import Common, ErrorCode, Refused
from cityhall.workflow.engine import WorkflowCode


class DocumentCode(ErrorCode):
    """The refusals of the document services (they also give `Common`'s and the engine's)."""

    UNKNOWN_TYPE = "unknown_document_type", 400
    NOT_IN_UNIT = "not_in_unit", 403
    INVALID_DOCUMENT = "invalid_document", 400
    WRONG_DIRECTION = "wrong_direction", 409
    ALREADY_NUMBERED = "already_numbered", 409
    # An arrived PDF (docs/documents.md, "Verification"): refused by the file layer, a broken
    # or missing signature without the clerk's override, a scan below the quality asked.
    DOCUMENT_FILE_REFUSED = "document_file_refused", 400
    SIGNATURE_BROKEN = "signature_broken", 422
    PDF_UNSIGNED = "pdf_unsigned", 422
    SCAN_QUALITY = "scan_quality", 422
    # The edXML exchange (exchange.py): the transport's refusals are machine-readable.
    UNKNOWN_PEER = "unknown_peer", 403
    BAD_SIGNATURE = "bad_signature", 401
    STALE_MESSAGE = "stale_message", 401
    MESSAGE_ID_REUSED = "message_id_reused", 409
    UNKNOWN_RECIPIENT = "unknown_recipient", 404
    UNKNOWN_EXCHANGED_DOCUMENT = "unknown_exchanged_document", 404
    NOT_ISSUED = "not_issued", 409
    # The key store (keystore.py): `sign` and `issue` refused for want of a usable key, and
    # a key whose registration is refused (bad source, secret, certificate or chain).
    NO_SIGNING_KEY = "no_signing_key", 409
    SIGNING_KEY_UNUSABLE = "signing_key_unusable", 409
    SIGNING_KEY_REFUSED = "signing_key_refused", 400


#: Every code a document refusal may carry.
Code = DocumentCode | WorkflowCode | Common


class DocumentError(Refused):
    """A document action refused; `code` is stable, `detail` is for people (or maps fields)."""

    code: Code

    def __init__(self, code: Code, detail: Any) -> None:
        super().__init__(code, detail)
