"""Every write on dossiers: submitting (`submit`), and the steps after (`handling`)."""

from cityhall.dossiers.services.handling import (
    OWN_SERVICE,
    act_on_dossier,
    reschedule_dossier,
    supply_components,
    transfer_dossier,
)
from cityhall.dossiers.services.submit import (
    COUNTER_ROLES,
    Applicant,
    ComponentIn,
    Submission,
    agency_code,
    allocate_code,
    prepare_components,
    receive_at_counter,
    submit_dossier,
)

__all__ = [
    "COUNTER_ROLES",
    "OWN_SERVICE",
    "Applicant",
    "ComponentIn",
    "Submission",
    "act_on_dossier",
    "agency_code",
    "allocate_code",
    "prepare_components",
    "receive_at_counter",
    "reschedule_dossier",
    "submit_dossier",
    "supply_components",
    "transfer_dossier",
]
