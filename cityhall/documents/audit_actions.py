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
