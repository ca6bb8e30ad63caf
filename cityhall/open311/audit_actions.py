"""The audit actions of `open311`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class Open311Audit(AuditAction):
    """The Open311 intake."""

    INTAKE_FAILED = "open311.intake_failed"
