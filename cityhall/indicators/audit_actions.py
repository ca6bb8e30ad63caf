"""The audit actions of `indicators`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class IndicatorAudit(AuditAction):
    """The indicator catalogue and the daily roll-ups."""

    LOAD_CATALOGUE = "indicators.load_catalogue"
    REBUILD = "indicators.rebuild"
