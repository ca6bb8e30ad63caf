"""Every write to reports goes through these functions (keyword-only, explicit actor, audited)."""

from cityhall.reports.errors import ReportError
from cityhall.reports.services.actions import (
    HANDLING_ACTIONS,
    find_staff,
    find_unit_in_service,
    take_action,
)
from cityhall.reports.services.attachments import add_report_photos
from cityhall.reports.services.handling import (
    REPORTER_LINK,
    Assignment,
    assign_report,
    bulk_assign,
    claim_report,
    history,
    merge_duplicate,
    rate_report,
    read_reporter_contact,
    reject_report,
    reopen_report,
    resolve_report,
    start_work,
    take_report,
    transfer_report,
)
from cityhall.reports.services.intake import (
    ANONYMOUS,
    Contact,
    Submission,
    private_token_of,
    route,
    submit_report,
)
from cityhall.reports.services.intake_many import NewReport, submit_reports
from cityhall.reports.services.moderation import hide_report, publish_report
from cityhall.reports.services.reorganisation import move_open_reports
from cityhall.reports.services.similar import merge_suggestions, suggest_duplicates

__all__ = [
    "ANONYMOUS",
    "HANDLING_ACTIONS",
    "REPORTER_LINK",
    "Assignment",
    "Contact",
    "NewReport",
    "ReportError",
    "Submission",
    "add_report_photos",
    "assign_report",
    "bulk_assign",
    "claim_report",
    "find_staff",
    "find_unit_in_service",
    "hide_report",
    "history",
    "merge_duplicate",
    "merge_suggestions",
    "move_open_reports",
    "private_token_of",
    "publish_report",
    "rate_report",
    "read_reporter_contact",
    "reject_report",
    "reopen_report",
    "resolve_report",
    "route",
    "start_work",
    "submit_report",
    "submit_reports",
    "suggest_duplicates",
    "take_action",
    "take_report",
    "transfer_report",
]
