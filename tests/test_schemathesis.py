"""schemathesis over the whole /api/v1 OpenAPI document, with every check it has.

Each operation is fuzzed as a ward leader (a bearer token schemathesis is told how to send)
and anonymously, in all of schemathesis' generation phases (examples, coverage, fuzzing) and
in both modes (data the document allows, data it forbids). Any check failure fails the test,
not only a 5xx: an undocumented status or content type, a body that breaks its schema, valid
data refused, invalid data accepted, an operation that lets anyone in. The few exclusions
below are per operation and per check, each with the reason the document cannot say.

Bounded: at most MAX_EXAMPLES generated examples per operation and mode (the coverage
phase adds its own deterministic boundary cases), DEADLINE per example, derandomized so a
run is repeatable, no shrinking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from pytest_django import Settings
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from cityhall.accounts import services as accounts
from cityhall.accounts.models import Role
from cityhall.core.audit import SYSTEM
from cityhall.reports import services as reports
from cityhall.reports.models import Report
from cityhall.wsgi import application
from tests.dossiers_support import procedures
from tests.factories import SAIGON, make_staff, unit_named
from tests.reports_support import categories

#: Generated examples per operation (the coverage phase's boundary cases come on top).
MAX_EXAMPLES = 15
#: The longest one example may take (a request and its checks) before the test fails.
DEADLINE = dt.timedelta(seconds=15)

FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=DEADLINE,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# The OpenAPI document the API serves, driven through the WSGI app in-process: once as the
# staff persona, once as nobody.
staff_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
public_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

#: The bearer token of the persona the running test made (see `staff_token`).
_TOKEN: dict[str, str] = {}
#: The codes of the reports the running test filed (see `world`).
_CODES: list[str] = []


@staff_schema.auth(refresh_interval=None)
class StaffToken:
    """Authenticate every request with the staff persona's personal token."""

    def get(self, case: Any, context: Any) -> str | None:
        # None outside a test (schemathesis looks while collecting): nothing to send yet.
        return _TOKEN.get("raw")

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@staff_schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None
                        ) -> dict[str, Any] | None:
    """Every other well-formed report code schemathesis makes up names a real report, so that
    the staff operations reach their handling and not only their 404."""
    code = (path_parameters or {}).get("code")
    if not (_CODES and isinstance(code, str)
            and context.operation.path.startswith("/api/v1/reports/")):
        return path_parameters
    # Only a code the document allows is swapped, so that a case meant to break it still does.
    if len(code) <= 32 and "\x00" not in code and len(code) % 2 == 0:
        return {**(path_parameters or {}), "code": _CODES[len(code) // 2 % len(_CODES)]}
    return path_parameters


# Valid data that an operation refuses for a reason the document cannot state: the values
# it names are data (category codes, usernames, report codes), or its fields depend on one
# another. docs/api.md lists these 400 and 422 answers; everything else is checked.
_DATA_DEPENDENT: list[CheckFunction] = [positive_data_acceptance]
EXCLUDED: dict[str, list[CheckFunction]] = {
    # A category code must name a category (400 unknown_category), which decides whether a
    # place is needed and which extra fields exist.
    "POST /api/v1/reports": _DATA_DEPENDENT,
    # The assignee must be a member of staff the caller may assign (400 unknown_assignee,
    # assignee_out_of_scope).
    "POST /api/v1/reports/assign": _DATA_DEPENDENT,
    "POST /api/v1/reports/{code}/assign": _DATA_DEPENDENT,
    # Which fields an action needs depends on the action (a transfer names the unit, a
    # rejection its reason and who is responsible: 400 *_required).
    "POST /api/v1/reports/{code}/act": _DATA_DEPENDENT,
    # An earlier report merged into must be another, open one of the same place (400).
    "POST /api/v1/reports/{code}/merge": _DATA_DEPENDENT,
    # A period's start must not follow its end, a box's south not lie north of its north,
    # a circle's numbers be in range (422): relations between values a query-string schema
    # cannot state.
    "GET /api/v1/reports": _DATA_DEPENDENT,
    "GET /api/v1/reports/public": _DATA_DEPENDENT,
    # An address, or both lat and lon (400 missing_parameter).
    "GET /api/v1/units/resolve": _DATA_DEPENDENT,
    # A well-formed dossier names a procedure and units that exist, and a ward leader
    # submits none online; a step must be one the dossier's state allows.
    "POST /api/v1/dossiers": _DATA_DEPENDENT,
    "POST /api/v1/dossiers/{code}/actions/{action}": _DATA_DEPENDENT,
    # "Assign now" names a unit or a person that exists and that the caller leads (400
    # unknown_task_assignee); a task's new end must not come before its start (400
    # invalid_task_dates).
    "POST /api/v1/tasks": _DATA_DEPENDENT,
    # The same for each row of a directive, whose origin must exist and be the caller's to
    # see (400 unknown_task_origin, invalid_task_origin, invalid_directive_items).
    "POST /api/v1/tasks/from-directive": _DATA_DEPENDENT,
    "PUT /api/v1/tasks/{task_id}/schedule": _DATA_DEPENDENT,
    # The `dossier` field holds the JSON of a dossier (a string to the document; 422 when it
    # is not that JSON), and each file must be a PDF, JPEG or PNG of a component that exists
    # (400 file_type, invalid_component); a file part sent without a file name is a plain
    # field, where the NUL guard refuses binary bytes (400 null_character).
    "POST /api/v1/dossiers/with-files": _DATA_DEPENDENT,
    # The same for a task's evidence: a file part without a file name is a plain field
    # (400 null_character on binary bytes), and the file must be one the layer takes (400
    # evidence_file_refused); a link must be http(s) without credentials.
    "POST /api/v1/tasks/{task_id}/evidence": _DATA_DEPENDENT,
    "POST /api/v1/dossiers/{code}/supplement": _DATA_DEPENDENT,
    # A period's start must not follow its end, nor span more than a year (400).
    "GET /api/v1/units/{unit}/dossier-register.xlsx": _DATA_DEPENDENT,
    # The signature must be the gateway's over the body (400 bad_callback).
    "POST /api/v1/payments/{gateway}/callback": _DATA_DEPENDENT,
    # A period's start must not follow its end, last at most 3 x 366 days and be a real
    # date (2026-02-30 matches the pattern): 400 invalid_period, period_too_long.
    "GET /api/v1/indicators/{code}/values": _DATA_DEPENDENT,
    "GET /api/v1/indicators/{code}/records": _DATA_DEPENDENT,
    # A draft or an arrival names a unit the caller keeps documents for and a document type
    # that exists (400 unknown_document_type, 403 not_in_unit); a Công văn needs its drafting
    # unit (400 invalid_document); a step must be one the state and the caller's role allow,
    # a handling an incoming document of the caller's unit.
    "POST /api/v1/documents": _DATA_DEPENDENT,
    "POST /api/v1/documents/incoming": _DATA_DEPENDENT,
    "POST /api/v1/documents/{document_id}/actions/{action}": _DATA_DEPENDENT,
    "POST /api/v1/documents/{document_id}/handlings": _DATA_DEPENDENT,
    "POST /api/v1/documents/handlings/{handling_id}/actions/{action}": _DATA_DEPENDENT,
    # A reported value names a unit in the caller's scope whose kind reports the indicator,
    # a period of the indicator's frequency that has started, and no value of that period
    # awaiting approval (400 invalid_period, 403 not_a_reporter, 409 pending_exists); a
    # target, a unit the caller leads; only a pending value is approved or returned.
    "POST /api/v1/indicators/{code}/reports": _DATA_DEPENDENT,
    "PUT /api/v1/indicators/{code}/targets": _DATA_DEPENDENT,
    "POST /api/v1/indicators/reports/{report_id}/approve": _DATA_DEPENDENT,
    "POST /api/v1/indicators/reports/{report_id}/return": _DATA_DEPENDENT,
    # The `document` field holds the JSON of an arrival (422 when it is not), naming a unit
    # the caller registers for (403 not_in_unit); the file must be a PDF (400
    # document_file_refused) validly signed or a good scan (422 signature_broken,
    # pdf_unsigned, scan_quality).
    "POST /api/v1/documents/incoming/with-pdf": _DATA_DEPENDENT,
    # edXML: only an issued document has an envelope (409 not_issued) and is recalled; an
    # arrival's accept needs a reason when its signature is broken (422 signature_broken),
    # a rejection its reason; the exchange endpoint takes XML signed with a peer's key
    # (401 bad_signature, 403 unknown_peer).
    "GET /api/v1/documents/{document_id}/edxml": _DATA_DEPENDENT,
    "POST /api/v1/documents/{document_id}/recall": _DATA_DEPENDENT,
    "POST /api/v1/documents/arrivals/{arrival_id}/actions/{action}": _DATA_DEPENDENT,
    "POST /api/v1/edxml/messages": _DATA_DEPENDENT,
}
# As nobody, the staff operations answer 401 whatever the data; ignored_auth only looks at
# answers that let the caller in, so it stays on.
assert ignored_auth is not None


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Do what Django's test client does: keep the request signals off the connection.

    Called as a bare WSGI app, Django closes a connection that is not in autocommit at the
    end of each request, which on PostgreSQL ends the test's transaction.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db: None, settings: Settings, tmp_path: Path) -> Iterator[None]:
    """Categories, reports and the procedure catalogue, so that lists and lookups find data."""
    settings.MEDIA_ROOT = str(tmp_path)
    categories()
    procedures()
    for problem in ("Rác chất đống", "Rác tràn ra đường"):
        filed = reports.submit_report(
            actor=reports.ANONYMOUS, category="moi-truong-rac", channel="web",
            description=problem, address="Phường Sài Gòn, TP.HCM")
        _CODES.append(filed.report.code)
    yield
    _CODES.clear()


@pytest.fixture
def staff_token(world: None) -> Iterator[None]:
    """A ward leader (a demo persona) and their bearer token, which StaffToken sends; the
    first report is theirs and in progress, so that replies and transfers can succeed."""
    ward = unit_named(SAIGON)
    leader = make_staff("fuzz.leader", ward, Role.LEADER)
    make_staff("fuzz.officer", ward, Role.OFFICER)
    first = Report.objects.get(code=_CODES[0])
    reports.assign_report(actor=leader, report=first, assignee=leader)
    reports.start_work(actor=leader, report=first)
    _token, _TOKEN["raw"] = accounts.issue_token(actor=SYSTEM, user=leader, name="fuzz")
    yield
    _TOKEN.clear()


def _excluded(case: Any) -> list[CheckFunction]:
    return EXCLUDED.get(case.operation.label, [])


@staff_schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_api_as_staff(case: Any, staff_token: None) -> None:
    case.call_and_validate(excluded_checks=_excluded(case))


@public_schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_api_anonymous(case: Any, world: None) -> None:
    case.call_and_validate(excluded_checks=_excluded(case))


class StaffScenarios(staff_schema.as_state_machine()):  # type: ignore[misc]
    """Sequences of calls linked by the document (a report filed, then followed or acted
    on), for the checks that need history: a deleted or created resource, by links."""

    def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                          **kwargs: Any) -> None:
        case.validate_response(response, additional_checks=additional_checks,
                               excluded_checks=_excluded(case),
                               transport_kwargs=kwargs or None, recorder=self.recorder)


@pytest.mark.django_db
def test_api_scenarios_as_staff(staff_token: None) -> None:
    StaffScenarios.run(settings=settings(
        max_examples=10, stateful_step_count=5, deadline=DEADLINE, derandomize=True,
        database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
