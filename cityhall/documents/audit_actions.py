"""The audit actions of `documents`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class DocumentAudit(AuditAction):
    """Official documents and their registers."""

    DRAFT = "documents.draft"
    EDIT = "documents.edit_draft"
    NUMBER = "documents.number"
    REGISTER_INCOMING = "documents.register_incoming"
    ASSIGN_HANDLING = "documents.assign_handling"
    HANDLING_REPORT = "documents.handling_report"
    LOAD_TYPES = "documents.load_types"
    SIGNATURE_OVERRIDE = "documents.signature_override"
    SEND_EDXML = "documents.send_edxml"
    RECEIVE_EDXML = "documents.receive_edxml"
    ACCEPT_EDXML = "documents.accept_edxml"
    REJECT_EDXML = "documents.reject_edxml"
    RECALL_REQUEST = "documents.recall_request"
    RECALL_ANSWER = "documents.recall_answer"
    PEER = "documents.peer"
    SIGN = "documents.sign"
    ON_PAPER = "documents.on_paper"
    KEY_ADD = "documents.signing_key_add"
    KEY_RETIRE = "documents.signing_key_retire"
