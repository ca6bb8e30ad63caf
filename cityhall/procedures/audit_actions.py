"""The audit actions of `procedures`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class ProcedureAudit(AuditAction):
    """The procedure catalogue."""

    IMPORT = "procedures.import"
    IMPORT_REFUSED = "procedures.import_refused"
