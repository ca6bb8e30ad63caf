"""Every write on dossiers: submitting (`submit`), and the steps after (`handling`)."""

from cityhall.dossiers.services.handling import (
    OPEN_STATES,
    OWN_SERVICE,
    RATEABLE,
    act_on_dossier,
    attach_scans,
    issue_result,
    rate_dossier,
    reschedule_dossier,
    result_of,
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
    "OPEN_STATES",
    "OWN_SERVICE",
    "RATEABLE",
    "Applicant",
    "ComponentIn",
    "Submission",
    "act_on_dossier",
    "agency_code",
    "allocate_code",
    "attach_scans",
    "issue_result",
    "prepare_components",
    "rate_dossier",
    "receive_at_counter",
    "reschedule_dossier",
    "result_of",
    "submit_dossier",
    "supply_components",
    "transfer_dossier",
]
