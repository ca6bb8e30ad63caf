"""The audit actions of `orgunits`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class RegistryAudit(AuditAction):
    """The registry of units."""

    LOAD_REGISTRY = "orgunits.load_registry"
    CREATE_UNIT = "orgunits.create_unit"
    UPDATE_UNIT = "orgunits.update_unit"
    END_UNIT = "orgunits.end_unit"
    REORGANISE_UNITS = "orgunits.reorganise_units"
    IMPORT_BOUNDARIES = "orgunits.import_boundaries"
    LINK_SUCCESSOR = "orgunits.link_successor"
    UPDATE_SUCCESSION = "orgunits.update_succession"
    UNLINK_SUCCESSOR = "orgunits.unlink_successor"
