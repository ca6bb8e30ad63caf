"""The audit actions of `indicators`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class IndicatorAudit(AuditAction):
    """The indicator catalogue and the daily roll-ups."""

    LOAD_CATALOGUE = "indicators.load_catalogue"
    REBUILD = "indicators.rebuild"
    TARGET_SET = "indicators.target_set"
    VALUE_SUBMIT = "indicators.value_submit"
    VALUE_APPROVE = "indicators.value_approve"
    VALUE_RETURN = "indicators.value_return"
    VALUES_IMPORT = "indicators.values_import"
    VALUES_IMPORT_REFUSED = "indicators.values_import_refused"
    ASSIGN_NOW = "indicators.assign_now"
