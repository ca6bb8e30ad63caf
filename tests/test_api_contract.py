"""The same contract for every API resource: anonymous, wrong unit, list, get, bad input, queries.

Each resource of /api/v1 is one row of READS (what is read) or WRITES (what is created or
acted on); a new app adds its rows and gets every check that applies.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cityhall.accounts.models import Membership, Role, User
from cityhall.core.audit import SYSTEM, log_personal_data_read, record
from cityhall.core.models import AuditEntry, PersonalDataRead
from cityhall.documents import services as document_services
from cityhall.documents.models import Document, DocumentFile, Handling, Register
from cityhall.dossiers import services as dossier_services
from cityhall.dossiers.models import Dossier, DossierPayment
from cityhall.notifications.models import Notification, OutboxMessage
from cityhall.plans import evidence
from cityhall.plans import services as plan_services
from cityhall.plans.models import Evidence, ExtensionRequest, ProgressReport, Task
from cityhall.reports import services
from cityhall.reports.models import Report
from cityhall.workflow.models import Transition
from tests.documents_support import arrived, decision
from tests.documents_support import issued as documents_issued
from tests.dossiers_support import BIRTH, applicant, procedures
from tests.factories import SAIGON, THUDUC, Personas, Probe, bearer, make_staff, neighbourhood

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reports_ready")]

_serial = itertools.count()


@dataclass(frozen=True)
class World:
    """The personas, and one report of the ward filed by the resident and given to the officer."""

    people: Personas
    report: Report
    token: str
    other: Report  # a report of the other ward
    dossier: Dossier  # the resident's dossier, decided by the ward
    task: Task  # a task of the ward's own plan, in the officer's charge
    draft: Document  # an outgoing draft of the ward
    issued: Document  # an outgoing document of the ward, issued
    incoming: Document  # an incoming document of the ward
    handling: Handling  # its handling, given to the officer

    def user(self, persona: str) -> User:
        """The persona's user by name."""
        user = self.people.all()[persona]
        assert user is not None
        return user


def _file(*, address: str = f"{SAIGON}, TP.HCM",
          actor: Any = services.ANONYMOUS) -> services.Submission:
    return services.submit_report(actor=actor, category="moi-truong-rac", channel="web",
                                  description=f"Rác số {next(_serial)}", address=address)


@pytest.fixture
def world(people: Personas) -> World:
    record(actor=SYSTEM, action=Probe.CONTRACT, unit=people.ward)
    Client().get("/api/v1/people/p.officer", headers=bearer(people.leader))
    made = _file(actor=people.resident)
    services.assign_report(actor=people.leader, report=made.report, assignee=people.officer)
    other = _file(address=f"{THUDUC}, TP.HCM").report
    procedures()
    call_command("load_indicators", verbosity=0)
    dossier = dossier_services.submit_dossier(
        actor=people.resident, procedure=BIRTH, applicant=applicant(),
        competent_unit=people.ward).dossier
    plan = plan_services.create_plan(actor=people.leader, title="Kế hoạch của phường",
                                     owner_unit=people.ward)
    task = plan_services.create_task(actor=people.leader, plan=plan, title="Số hóa hồ sơ",
                                     lead_unit=people.ward, person_in_charge=people.officer,
                                     start=dt.date(2026, 3, 2), due=dt.date(2026, 3, 31))
    draft = document_services.draft_document(actor=people.officer, unit=people.ward,
                                             draft=decision())
    issued = documents_issued(people.ward, people.officer, people.leader, people.leader)
    incoming = arrived(people.ward, people.leader, day=dt.date(2026, 3, 2))
    handling = document_services.assign_handling(actor=people.leader, document=incoming,
                                                 assignee=people.officer)
    return World(people=people, report=made.report, token=made.private_token, other=other,
                 dossier=dossier, task=task, draft=draft, issued=issued, incoming=incoming,
                 handling=handling)


# -- how each list grows by n rows the viewer sees ---------------------------------------------


def _more_units(world: World, n: int) -> None:
    for _ in range(n):
        neighbourhood(world.people.ward, 10 + next(_serial))


def _more_members(world: World, n: int) -> None:
    for _ in range(n):
        make_staff(f"c.staff{next(_serial)}", world.people.ward, Role.OFFICER)


def _more_audit(world: World, n: int) -> None:
    for _ in range(n):
        record(actor=SYSTEM, action=Probe.CONTRACT, unit=world.people.ward)


def _more_reads(world: World, n: int) -> None:
    for _ in range(n):
        log_personal_data_read(reader=world.people.leader, obj=world.people.officer,
                               subject=world.people.officer, fields=["phone"])


def _more_notices(world: World, n: int) -> None:
    for _ in range(n):
        services.assign_report(actor=world.people.leader, report=_file().report,
                               assignee=world.people.officer)


def _more_reports(world: World, n: int) -> None:
    for _ in range(n):
        _file()


def _more_steps(world: World, n: int) -> None:
    people = world.people
    for i in range(n):
        services.assign_report(actor=people.leader, report=world.report,
                               assignee=people.leader if i % 2 == 0 else people.officer)


def _with_boundary(w: World) -> dict[str, str]:
    """The ward, given a (test) boundary so that its boundary can be read."""
    ward = w.people.ward
    if ward.boundary is None:
        lat, lon = ward.latitude or 10.78, ward.longitude or 106.70
        ward.boundary = {"type": "Polygon", "coordinates": [[
            [lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01],
            [lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]]}
        ward.save(update_fields=["boundary"])
    return {"code": ward.code}


def _more_procedures(world: World, n: int) -> None:
    from cityhall.procedures.models import Procedure

    for _ in range(n):
        Procedure.objects.create(
            code=f"1.{900000 + next(_serial):06d}.000.00.00.H29", name="Thủ tục thử",
            sector="Hộ tịch", level="commune", decided_by="commune", processing_days=3,
            online="fully", result="Trích lục")


def _more_dossier_steps(world: World, n: int) -> None:
    dossier = world.dossier
    for _ in range(n):
        action = {"received": "accept", "in_processing": "request_supplement",
                  "supplement_requested": "supplement"}[dossier.state]
        dossier_services.act_on_dossier(actor=world.people.leader, dossier=dossier,
                                        action=action, comment="Bổ sung tờ khai.")


def _more_payments(world: World, n: int) -> None:
    # The gateway's callback is signed and checked in test_dossiers_payments; the rows here.
    for _ in range(n):
        DossierPayment.objects.create(
            dossier=world.dossier, gateway="demo", reference=f"T-{next(_serial)}",
            amount_vnd=1, state=DossierPayment.State.FAILED,
            reported_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC))


def _more_tasks(world: World, n: int) -> None:
    plan = world.task.plan
    assert plan is not None
    for _ in range(n):
        plan_services.create_task(actor=world.people.leader, plan=plan,
                                  title=f"Việc {next(_serial)}", lead_unit=world.people.ward,
                                  start=dt.date(2026, 3, 2), due=dt.date(2026, 3, 20),
                                  depends_on=[(world.task, 1)])


def _more_plans(world: World, n: int) -> None:
    for _ in range(n):
        plan_services.create_plan(actor=world.people.leader, title=f"Kế hoạch {next(_serial)}",
                                  owner_unit=world.people.ward)


def _more_evidence(world: World, n: int) -> None:
    for _ in range(n):
        evidence.add_link(actor=world.people.officer, task=world.task,
                          url=f"https://example.gov.vn/{next(_serial)}")


def _more_extensions(world: World, n: int) -> None:
    for _ in range(n):
        world.task.refresh_from_db()
        asked = plan_services.request_extension(
            actor=world.people.officer, task=world.task, reason="Chờ thiết bị",
            new_due=world.task.due + dt.timedelta(days=7))
        plan_services.decide_extension(actor=world.people.leader, request=asked, approve=True)


def _more_waiting(world: World, n: int) -> None:
    _more_tasks(world, n)
    for task in Task.objects.filter(plan=world.task.plan).exclude(pk=world.task.pk) \
            .exclude(extensions__decision="pending"):
        plan_services.request_extension(actor=world.people.officer, task=task,
                                         reason="Chờ thiết bị", new_due=dt.date(2099, 1, 1))


def _plan_id(w: World) -> dict[str, str]:
    return {"plan_id": str(w.task.plan_id)}


def _task_id(w: World) -> dict[str, str]:
    return {"task_id": str(w.task.pk)}
def _more_handlings(world: World, n: int) -> None:
    for _ in range(n):
        document_services.assign_handling(actor=world.people.leader, document=world.incoming,
                                          assignee=world.people.officer)


def _more_issued(world: World, n: int) -> None:
    people = world.people
    for _ in range(n):
        documents_issued(people.ward, people.officer, people.leader, people.leader)


def _register(w: World) -> dict[str, str]:
    return {"code": w.people.ward.code, "direction": "outgoing"}


def _dossier_code(w: World) -> dict[str, str]:
    return {"code": w.dossier.code}


@dataclass(frozen=True)
class Read:
    """A GET under contract.

    `path` is the OpenAPI path; `fill` gives its parameters and query. `anonymous` is the
    status a visitor without an account gets; `scoped` means the outsider of the other ward
    gets 404 (one row) or none of the ward's rows (a list); `grow` adds n rows the viewer sees.
    """

    path: str
    fill: Callable[[World], dict[str, str]] = lambda w: {}
    query: Callable[[World], str] = lambda w: ""
    viewer: str = "leader"
    anonymous: int = 401
    scoped: bool = False
    is_list: bool = False
    paged: bool = False
    max_page: int = 200
    grow: Callable[[World, int], None] | None = None

    def url(self, world: World, with_query: bool = True) -> str:
        """The address for this world."""
        path = self.path.format(**self.fill(world))
        query = self.query(world) if with_query else ""
        return f"{path}?{query}" if query else path


def _code(w: World) -> dict[str, str]:
    return {"code": w.report.code}


READS = {
    "units": Read("/api/v1/units", query=lambda w: f"parent={w.people.ward.code}",
                  anonymous=200, is_list=True, paged=True, max_page=500, grow=_more_units),
    "unit": Read("/api/v1/units/{code}", fill=lambda w: {"code": w.people.ward.code},
                 anonymous=200),
    "boundary": Read("/api/v1/units/{code}/boundary", fill=_with_boundary, anonymous=200),
    "resolve": Read("/api/v1/units/resolve", query=lambda w: "address=Phường Sài Gòn",
                    anonymous=200),
    "me": Read("/api/v1/me"),
    "memberships": Read("/api/v1/memberships", scoped=True, is_list=True, paged=True,
                        grow=_more_members),
    "audit": Read("/api/v1/audit", scoped=True, is_list=True, paged=True, grow=_more_audit),
    "person": Read("/api/v1/people/{username}", fill=lambda w: {"username": "p.officer"},
                   scoped=True),
    "personal_data_reads": Read("/api/v1/me/personal-data-reads", viewer="officer",
                                is_list=True, paged=True, grow=_more_reads),
    "notifications": Read("/api/v1/notifications", viewer="officer", is_list=True,
                          grow=_more_notices),
    "reports": Read("/api/v1/reports", scoped=True, is_list=True, paged=True,
                    grow=_more_reports),
    "report": Read("/api/v1/reports/{code}", fill=_code, scoped=True, grow=_more_steps),
    "report_contact": Read("/api/v1/reports/{code}/contact", fill=_code, scoped=True),
    "public_reports": Read("/api/v1/reports/public", anonymous=200, is_list=True, paged=True,
                           grow=_more_reports),
    "statistics": Read("/api/v1/reports/statistics", anonymous=200, grow=_more_reports),
    # The reporter follows by account or private token; anyone else is told it does not exist.
    "follow": Read("/api/v1/reports/{code}/follow", fill=_code, viewer="resident",
                   anonymous=404, scoped=True, grow=_more_steps),
    "procedures": Read("/api/v1/procedures", anonymous=200, is_list=True, paged=True,
                       grow=_more_procedures),
    "procedure": Read("/api/v1/procedures/{code}", fill=lambda w: {"code": BIRTH},
                      anonymous=200),
    "dossier": Read("/api/v1/dossiers/{code}", fill=_dossier_code, scoped=True,
                    grow=_more_dossier_steps),
    "dossier_status": Read("/api/v1/dossiers/{code}/status", fill=_dossier_code,
                           anonymous=200, grow=_more_dossier_steps),
    "dossier_payments": Read("/api/v1/dossiers/{code}/payments", fill=_dossier_code,
                             scoped=True, grow=_more_payments),
    "indicators": Read("/api/v1/indicators", anonymous=200),
    "indicator_values": Read("/api/v1/indicators/{code}/values",
                             fill=lambda w: {"code": "requests.received"},
                             query=lambda w: f"unit={w.people.ward.code}", scoped=True,
                             grow=_more_reports),
    "indicator_records": Read("/api/v1/indicators/{code}/records",
                              fill=lambda w: {"code": "requests.received"},
                              query=lambda w: f"unit={w.people.ward.code}", scoped=True,
                              grow=_more_reports),
    "index766": Read("/api/v1/index766", query=lambda w: f"unit={w.people.ward.code}",
                     scoped=True),
    "document_types": Read("/api/v1/documents/types", anonymous=200),
    "document": Read("/api/v1/documents/{document_id}", scoped=True, grow=_more_handlings,
                     fill=lambda w: {"document_id": str(w.incoming.pk)}),
    "issued_document": Read("/api/v1/documents/{document_id}", scoped=True,
                            fill=lambda w: {"document_id": str(w.issued.pk)}),
    "handlings": Read("/api/v1/documents/handlings", viewer="officer", grow=_more_handlings),
    "register": Read("/api/v1/units/{code}/registers/{direction}", fill=_register,
                     scoped=True, grow=_more_issued),
    "follow_by_token": Read("/api/v1/reports/{code}/follow", fill=_code,
                            query=lambda w: f"token={w.token}", viewer="resident",
                            anonymous=200, grow=_more_steps),
    "plans": Read("/api/v1/plans", scoped=True, is_list=True, paged=True, grow=_more_plans),
    "plan": Read("/api/v1/plans/{plan_id}", fill=_plan_id, scoped=True),
    "gantt": Read("/api/v1/plans/{plan_id}/gantt", fill=_plan_id, scoped=True,
                  grow=_more_tasks),
    "tasks": Read("/api/v1/tasks", scoped=True, is_list=True, paged=True, grow=_more_tasks),
    "task": Read("/api/v1/tasks/{task_id}", fill=_task_id, scoped=True),
    "scorecards": Read("/api/v1/scorecards", query=lambda w: "period=2026-03&kind=unit",
                       grow=_more_tasks),
    "calendar_feeds": Read("/api/v1/me/calendar-feeds", viewer="officer"),
    "task_evidence": Read("/api/v1/tasks/{task_id}/evidence", fill=_task_id, scoped=True,
                          grow=_more_evidence),
    "task_extensions": Read("/api/v1/tasks/{task_id}/extensions", fill=_task_id, scoped=True,
                            grow=_more_extensions),
    "extensions_waiting": Read("/api/v1/extensions", grow=_more_waiting),
    "indicator_reports": Read("/api/v1/indicators/{code}/reports",
                              fill=lambda w: {"code": "socio.budget_revenue"},
                              query=lambda w: f"unit={w.people.ward.code}", scoped=True),
}


@dataclass(frozen=True)
class Write:
    """A POST or PATCH under contract: a refused `bad` body, and a `good` one where simple.

    `scoped` means the outsider gets 404 for the good body and nothing changes.
    """

    path: str
    bad: Callable[[World], dict[str, Any]]
    good: Callable[[World], dict[str, Any]] | None = None
    fill: Callable[[World], dict[str, str]] = _code
    method: str = "post"
    actor: str = "leader"
    needs_user: bool = True
    scoped: bool = False
    extra: dict[str, str] = field(default_factory=dict)


WRITES = {
    "create_report": Write("/api/v1/reports", fill=lambda w: {}, needs_user=False,
                           bad=lambda w: {"category": "no-such-category", "description": "x",
                                          "address": SAIGON}),
    "create_report_shape": Write("/api/v1/reports", fill=lambda w: {}, needs_user=False,
                                 bad=lambda w: {"category": "moi-truong-rac",
                                                "description": ["x"], "latitude": 91}),
    "bulk_assign": Write("/api/v1/reports/assign", fill=lambda w: {}, scoped=True,
                         bad=lambda w: {"codes": [w.report.code], "assignee": "nobody"},
                         good=lambda w: {"codes": [w.report.code], "assignee": "p.leader"}),
    "assign": Write("/api/v1/reports/{code}/assign", scoped=True,
                    bad=lambda w: {"assignee": "nobody"},
                    good=lambda w: {"assignee": "p.leader"}),
    "act": Write("/api/v1/reports/{code}/act", actor="officer", scoped=True,
                 bad=lambda w: {"action": "fly"}, good=lambda w: {"action": "start_work"}),
    "reply": Write("/api/v1/reports/{code}/reply", actor="officer", scoped=True,
                   bad=lambda w: {"reply": ["x"]}, good=lambda w: {"reply": "Đã thu gom."}),
    "merge": Write("/api/v1/reports/{code}/merge", scoped=True,
                   bad=lambda w: {"into": "NO-SUCH-CODE"}),
    "hide": Write("/api/v1/reports/{code}/hide", scoped=True, bad=lambda w: {},
                  good=lambda w: {"reason": "Thông tin cá nhân"}),
    "publish": Write("/api/v1/reports/{code}/publish", scoped=True,
                     bad=lambda w: {"reason": ["x"]}, good=lambda w: {"reason": ""}),
    "rate": Write("/api/v1/reports/{code}/rate", actor="resident", needs_user=False,
                  bad=lambda w: {"rating": 9, "token": w.token}),
    "reopen": Write("/api/v1/reports/{code}/reopen", actor="resident", needs_user=False,
                    bad=lambda w: {"token": w.token}),
    "create_dossier": Write("/api/v1/dossiers", fill=lambda w: {}, actor="resident",
                            bad=lambda w: {"procedure": "1.999999.000.00.00.H29",
                                           "competent_unit": w.people.ward.code,
                                           "applicant": {"name": "Nguyễn Văn Nên",
                                                         "id_number": "079200000001"}}),
    "create_dossier_shape": Write("/api/v1/dossiers", fill=lambda w: {}, actor="resident",
                                  bad=lambda w: {"procedure": BIRTH, "applicant": "me"}),
    "dossier_action": Write("/api/v1/dossiers/{code}/actions/{action}", actor="officer",
                            fill=lambda w: {"code": w.dossier.code, "action": "accept"},
                            scoped=True, bad=lambda w: {"comment": ["x"]},
                            good=lambda w: {"comment": "Hồ sơ đủ."}),
    "rate_dossier": Write("/api/v1/dossiers/{code}/rating", actor="resident",
                          fill=_dossier_code, bad=lambda w: {"rating": 9}),
    # The world's dossier has no fee to pay (409); a checkout: test_dossiers_payments.
    "start_payment": Write("/api/v1/dossiers/{code}/payments", actor="resident",
                           fill=_dossier_code, scoped=True, bad=lambda w: {}),
    "create_document": Write("/api/v1/documents", fill=lambda w: {}, actor="officer",
                             bad=lambda w: {"unit": w.people.ward.code, "doc_type": "nope",
                                            "summary": "Về việc"}),
    "create_document_shape": Write("/api/v1/documents", fill=lambda w: {}, actor="officer",
                                   bad=lambda w: {"unit": w.people.ward.code,
                                                  "doc_type": "quyet_dinh", "summary": ["x"]}),
    "register_incoming": Write("/api/v1/documents/incoming", fill=lambda w: {},
                               bad=lambda w: {"unit": w.people.ward.code,
                                              "doc_type": "cong_van", "author": "Sở Tư pháp",
                                              "summary": "Về việc",
                                              "document_date": "2026-13-01"}),
    "document_action": Write("/api/v1/documents/{document_id}/actions/{action}",
                             actor="officer", scoped=True,
                             fill=lambda w: {"document_id": str(w.draft.pk), "action": "review"},
                             bad=lambda w: {"comment": ["x"]}, good=lambda w: {}),
    "assign_handling": Write("/api/v1/documents/{document_id}/handlings", scoped=True,
                             fill=lambda w: {"document_id": str(w.incoming.pk)},
                             bad=lambda w: {"assignee": "nobody"}),
    "handling_action": Write("/api/v1/documents/handlings/{handling_id}/actions/{action}",
                             actor="officer", scoped=True,
                             fill=lambda w: {"handling_id": str(w.handling.pk),
                                             "action": "complete"},
                             bad=lambda w: {"comment": ["x"]},
                             good=lambda w: {"comment": "Đã xử lý."}),
    "mark_read": Write("/api/v1/notifications/read", fill=lambda w: {}, actor="officer",
                       bad=lambda w: {"ids": ["x"]}),
    "me": Write("/api/v1/me", fill=lambda w: {}, method="patch", actor="officer",
                bad=lambda w: {"language": 3}),
    "assign_now": Write("/api/v1/tasks", fill=lambda w: {},
                        bad=lambda w: {"title": "Việc gấp", "unit": "no-such-unit",
                                       "working_days": 3}),
    "assign_now_shape": Write("/api/v1/tasks", fill=lambda w: {},
                              bad=lambda w: {"title": "Việc gấp", "unit": w.people.ward.code,
                                             "working_days": 0}),
    "directive_tasks": Write("/api/v1/tasks/from-directive", fill=lambda w: {},
                             bad=lambda w: {
                                 "origin": {"kind": "dossier", "ref": "HS-1", "label": "Hồ sơ"},
                                 "items": [{"title": "Việc gấp", "unit": "no-such-unit",
                                            "working_days": 3}]}),
    "task_schedule": Write("/api/v1/tasks/{task_id}/schedule", fill=_task_id, method="put",
                           scoped=True, bad=lambda w: {"start": "2026-03-02", "end": "2026-03-01"},
                           good=lambda w: {"start": "2026-03-02", "end": "2026-04-03"}),
    "task_progress": Write("/api/v1/tasks/{task_id}/progress", fill=_task_id, actor="officer",
                           scoped=True, bad=lambda w: {"percent": 101},
                           good=lambda w: {"percent": 40, "note": "Đã số hóa 400 hồ sơ"}),
    "add_evidence_link": Write("/api/v1/tasks/{task_id}/evidence", fill=_task_id,
                               actor="officer", scoped=True,
                               bad=lambda w: {"url": "ftp://example.gov.vn/x"}),
    "add_evidence_shape": Write("/api/v1/tasks/{task_id}/evidence", fill=_task_id,
                                actor="officer", bad=lambda w: {"url": ["x"]}),
    "remove_evidence": Write("/api/v1/tasks/{task_id}/evidence/{evidence_id}/remove",
                             fill=lambda w: {"task_id": str(w.task.pk), "evidence_id": "999999"},
                             bad=lambda w: {"reason": ["x"]}),
    "ask_extension": Write("/api/v1/tasks/{task_id}/extensions", fill=_task_id, actor="officer",
                           scoped=True, bad=lambda w: {"due": "2020-01-01", "reason": "Chờ"}),
    "decide_extension": Write("/api/v1/extensions/{extension_id}/decision",
                              fill=lambda w: {"extension_id": "999999"},
                              bad=lambda w: {"approve": "maybe"}),
    "renew_feed": Write("/api/v1/me/calendar-feeds/{feed_id}/renew", actor="officer",
                        fill=lambda w: {"feed_id": "999999"}, bad=lambda w: {}),
    "submit_reported": Write("/api/v1/indicators/{code}/reports", actor="officer",
                             fill=lambda w: {"code": "socio.budget_revenue"}, scoped=True,
                             bad=lambda w: {"unit": w.people.ward.code, "period": "2026-Q1",
                                            "value": 12.5}),
    "approve_reported": Write("/api/v1/indicators/reports/{report_id}/approve",
                              fill=lambda w: {"report_id": "999999"}, bad=lambda w: {}),
    "return_reported": Write("/api/v1/indicators/reports/{report_id}/return",
                             fill=lambda w: {"report_id": "999999"},
                             bad=lambda w: {"reason": " "}),
    "set_target": Write("/api/v1/indicators/{code}/targets", method="put", scoped=True,
                        fill=lambda w: {"code": "socio.budget_revenue"},
                        bad=lambda w: {"unit": w.people.ward.code, "year": 1999, "value": 1},
                        good=lambda w: {"unit": w.people.ward.code, "year": 2026,
                                        "value": 1200}),
}


# -- helpers ---------------------------------------------------------------------------------


def _is_error(response: Response, status: int | None = None) -> bool:
    body = response.json()
    return (
        (response.status_code == status if status else 400 <= response.status_code < 500)
        and response["Content-Type"].startswith("application/json")
        and set(body) == {"detail", "code"}
    )


def _get(url: str, user: User | None = None, client: Client | None = None) -> Response:
    headers = bearer(user) if user is not None else {}
    return (client or Client()).get(url, headers=headers)


def _send(write: Write, world: World, body: dict[str, Any], headers: dict[str, str]
          ) -> Response:
    send = getattr(Client(), write.method)
    url = write.path.format(**write.fill(world))
    return send(url, json.dumps(body), content_type="application/json", headers=headers)


@cache
def _openapi() -> dict[str, Any]:
    document: dict[str, Any] = Client().get("/api/v1/openapi.json").json()
    return document


def _assert_schema(read: Read, body: Any) -> None:
    document = _openapi()
    answer = document["paths"][read.path]["get"]["responses"]["200"]
    schema = dict(answer["content"]["application/json"]["schema"])
    schema["components"] = document["components"]
    jsonschema_rs.validate(schema, body)


def _changes() -> tuple[int, ...]:
    """Counts of every table a write could touch."""
    # A refused submission is audited on purpose (reports.submit_refused): it changes nothing.
    audit = AuditEntry.objects.exclude(action__endswith="_refused").count()
    return (audit, *(model.objects.count() for model in (
        Report, Transition, Notification, OutboxMessage, Membership, User, PersonalDataRead,
        Dossier, Task, ProgressReport, Document, Handling, Register, DocumentFile, Evidence,
        ExtensionRequest,
    )))


def _names(table: dict[str, Any], test: Callable[[Any], bool]) -> list[str]:
    return [name for name, row in table.items() if test(row)]


# -- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _names(READS, lambda r: r.anonymous == 401))
def test_anonymous_gets_a_json_401(world: World, name: str) -> None:
    response = _get(READS[name].url(world))
    assert _is_error(response, 401)
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("name", _names(READS, lambda r: r.anonymous == 401))
def test_a_bad_token_gets_a_json_401(world: World, name: str) -> None:
    response = Client().get(READS[name].url(world), headers={"Authorization": "Bearer nope"})
    assert _is_error(response, 401)


@pytest.mark.parametrize("name", _names(READS, lambda r: r.anonymous != 401))
def test_a_public_resource_answers_the_anonymous_visitor_as_its_table_says(
    world: World, name: str,
) -> None:
    read = READS[name]
    response = _get(read.url(world))
    assert response.status_code == read.anonymous, response.content
    if read.anonymous != 200:
        assert _is_error(response, read.anonymous)


@pytest.mark.parametrize("name", _names(READS, lambda r: r.scoped))
def test_the_wrong_unit_sees_nothing_of_the_ward(world: World, name: str) -> None:
    read = READS[name]
    response = _get(read.url(world), world.people.outsider)
    if read.is_list:
        assert response.status_code == 200
        units = {row.get("unit_code") for row in response.json()["items"]}
        assert world.people.ward.code not in units
    else:
        assert _is_error(response, 404)
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("name", READS)
def test_the_right_person_gets_the_data_in_its_schema(world: World, name: str) -> None:
    read = READS[name]
    response = _get(read.url(world), world.user(read.viewer))
    assert response.status_code == 200, response.content
    body = response.json()
    _assert_schema(read, body)
    if read.is_list:
        assert len(body["items"]) >= 1
    if read.paged:
        assert set(body) == {"count", "items"} and body["count"] >= 1


def test_the_schema_check_fails_on_a_body_that_breaks_it(world: World) -> None:
    with pytest.raises(jsonschema_rs.ValidationError):
        _assert_schema(READS["reports"], {"count": "many", "items": []})


@pytest.mark.parametrize("name", _names(READS, lambda r: r.paged))
@pytest.mark.parametrize("query", ["limit=0", "limit={max_page_plus_one}", "limit=abc", "offset=-1",
                                   # Past 64 bits SQLite refused it with a 500.
                                   "offset=1490628011081660933079040"])
def test_bad_paging_gets_a_json_422(world: World, name: str, query: str) -> None:
    read = READS[name]
    url = read.url(world)
    url += ("&" if "?" in url else "?") + query.format(max_page_plus_one=read.max_page + 1)
    response = _get(url, world.user(read.viewer))
    assert _is_error(response, 422)
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("name", _names(READS, lambda r: r.paged))
def test_an_offset_past_the_end_gives_an_empty_page(world: World, name: str) -> None:
    read = READS[name]
    url = read.url(world)
    url += ("&" if "?" in url else "?") + "offset=100000"
    response = _get(url, world.user(read.viewer))
    body = response.json()
    assert response.status_code == 200 and body["items"] == []


def _queries(url: str, user: User, client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = _get(url, user, client)
    assert response.status_code == 200, response.content
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("name", _names(READS, lambda r: r.grow is not None))
def test_the_query_count_does_not_grow_with_the_rows(world: World, name: str) -> None:
    read = READS[name]
    assert read.grow is not None
    user, client, url = world.user(read.viewer), Client(), read.url(world)
    # Each count follows a call that touches the token's last_used_at and warms the caches
    # (the calendar and the categories are kept a minute: a slow test outlives them).
    shown = _get(url, user, client).json()
    before = _queries(url, user, client)
    read.grow(world, 3)
    assert _get(url, user, client).json() != shown, "the new rows did not show"
    after = _queries(url, user, client)
    assert len(after) == len(before), "\n".join(after)


# -- writes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WRITES)
def test_the_anonymous_visitor_is_refused_and_nothing_changes(world: World, name: str) -> None:
    write = WRITES[name]
    before = _changes()
    response = _send(write, world, write.bad(world), {})
    assert _is_error(response, 401 if write.needs_user else None)
    assert _changes() == before


@pytest.mark.parametrize("name", WRITES)
def test_bad_input_gets_a_json_4xx_and_changes_nothing(world: World, name: str) -> None:
    write = WRITES[name]
    headers = bearer(world.user(write.actor))  # issuing a token is audited: before the count
    before = _changes()
    response = _send(write, world, write.bad(world), headers)
    assert _is_error(response), (response.status_code, response.content)
    assert _changes() == before


@pytest.mark.parametrize("name", _names(WRITES, lambda w: w.scoped))
def test_the_wrong_unit_cannot_act_on_the_ward_and_nothing_changes(
    world: World, name: str,
) -> None:
    write = WRITES[name]
    headers = bearer(world.people.outsider)
    before = _changes()
    body = (write.good or write.bad)(world)
    response = _send(write, world, body, headers)
    assert _is_error(response, 404)
    assert _changes() == before


@pytest.mark.parametrize("name", _names(WRITES, lambda w: w.good is not None))
def test_the_good_body_is_accepted_so_the_refusals_above_mean_something(
    world: World, name: str,
) -> None:
    write = WRITES[name]
    assert write.good is not None
    response = _send(write, world, write.good(world), bearer(world.user(write.actor)))
    assert response.status_code == 200, response.content


# -- the rest of the API ---------------------------------------------------------------------


def test_every_api_path_is_under_contract() -> None:
    covered = {r.path for r in READS.values()} | {w.path for w in WRITES.values()}
    # Photos are multipart uploads, checked in test_reports_api_reporter; so are dossiers'
    # files, and the register is a spreadsheet (test_dossiers_components, _staff).
    covered |= {"/api/v1/reports/{code}/photos", "/api/v1/openapi.json",
                "/api/v1/dossiers/with-files", "/api/v1/dossiers/{code}/supplement",
                "/api/v1/units/{unit}/dossier-register.xlsx",
                # Signed by a gateway, not called by people: test_dossiers_payments.
                "/api/v1/payments/{gateway}/callback"}
    # Binary answers (a PDF, a workbook), checked with their scope in test_documents_api.
    covered |= {"/api/v1/documents/{document_id}/pdf",
                "/api/v1/units/{code}/registers/{direction}.xlsx"}
    # An arrival with its PDF (multipart): test_documents_verification.
    covered |= {"/api/v1/documents/incoming/with-pdf"}
    # edXML: the envelope (XML), the exchange endpoint (signed by peers, not people), the
    # arrivals and recalls, with their scope and refusals: test_documents_exchange.
    covered |= {"/api/v1/documents/{document_id}/edxml", "/api/v1/edxml/messages",
                "/api/v1/documents/{document_id}/recall", "/api/v1/documents/arrivals",
                "/api/v1/documents/arrivals/{arrival_id}",
                "/api/v1/documents/arrivals/{arrival_id}/actions/{action}"}
    # A task's target and its reported values, with scope and refusals: test_plans_targets.
    covered |= {"/api/v1/tasks/{task_id}/target", "/api/v1/tasks/{task_id}/target/values"}
    # An evidence file (binary; its upload is multipart), with its scope: test_plans_followup.
    covered |= {"/api/v1/tasks/{task_id}/evidence/{evidence_id}/file"}
    assert set(_openapi()["paths"]) <= covered


def test_an_unknown_address_under_the_api_is_a_json_404() -> None:
    response = Client().get("/api/v1/no/such/thing")
    assert _is_error(response, 404)


def test_a_malformed_json_body_is_a_json_400(people: Personas) -> None:
    response = Client().patch("/api/v1/me", "{not json", content_type="application/json",
                              headers=bearer(people.officer))
    assert _is_error(response, 400)
    assert response.json()["code"] == "bad_request"


def test_a_body_of_the_wrong_shape_is_a_json_422(people: Personas) -> None:
    response = Client().patch("/api/v1/me", {"language": 3}, content_type="application/json",
                              headers=bearer(people.officer))
    assert _is_error(response, 422)


# -- the OpenAPI document: what every operation takes and answers ----------------------------

def _document() -> dict[str, Any]:
    return dict(Client().get("/api/v1/openapi.json").json())


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def _texts(schema: dict[str, Any], doc: dict[str, Any], where: str
           ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every string schema (with where it is) inside `schema`, references followed."""
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _texts(sub, doc, where)
    kind = schema.get("type")
    if kind == "string" and schema.get("format") not in ("binary", "date", "date-time") \
            and "enum" not in schema:
        yield where, schema
    elif kind == "object":
        for name, sub in schema.get("properties", {}).items():
            yield from _texts(sub, doc, f"{where}.{name}")
        for key in ("additionalProperties", "propertyNames"):
            if isinstance(schema.get(key), dict):
                yield from _texts({"type": "string", **schema[key]} if key == "propertyNames"
                                  else schema[key], doc, f"{where}[{key}]")
    elif kind == "array":
        yield from _texts(schema.get("items", {}), doc, f"{where}[]")


def _inputs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every parameter and request body schema of the document, named."""
    for label, operation in _operations(doc):
        for parameter in operation.get("parameters", []):
            yield f"{label} {parameter['in']} {parameter['name']}", parameter["schema"]
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{label} body ({media_type})", content["schema"]


def _refuses_nul(pattern: str) -> bool:
    """Whether a text pattern excludes NUL: by name, or by allowing only the characters it
    lists (no negated class, no wildcard: a day, a moment, numbers and commas)."""
    return "\\x00" in pattern or (
        bool(pattern) and re.search(r"\[\^|(?<!\\)\.|\\[SDWs]", pattern) is None)


def test_every_text_the_api_takes_is_bounded_and_refuses_nul() -> None:
    doc = _document()
    texts = [(where, text) for name, schema in _inputs(doc)
             for where, text in _texts(schema, doc, name)]
    assert len(texts) > 50
    # A fixed-shape pattern bounds a text's length as well as a maxLength does.
    assert [where for where, text in texts if "maxLength" not in text
            and not _refuses_nul(text.get("pattern", ""))] == []
    assert [where for where, text in texts if not _refuses_nul(text.get("pattern", ""))] == []


def test_every_json_body_is_an_object_with_its_declared_fields_only() -> None:
    doc = _document()
    loose = []
    for label, operation in _operations(doc):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
            body = doc["components"]["schemas"][name]
            if body.get("type") != "object" or body.get("additionalProperties") is not False:
                loose.append(label)
    assert loose == []


def test_every_operation_lists_the_errors_it_can_answer_with_the_error_schema() -> None:
    doc = _document()
    missing = []
    for label, operation in _operations(doc):
        method = label.split()[0]
        expected = {"400", "413"}
        if operation.get("requestBody") or operation.get("parameters"):
            expected.add("422")
        if operation.get("security"):
            expected.add("401")
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                expected.add("403")
        responses = operation["responses"]
        for status in sorted(expected):
            schema = responses.get(status, {}).get("content", {}).get(
                "application/json", {}).get("schema", {})
            if schema.get("$ref") != "#/components/schemas/ErrorOut":
                missing.append(f"{label} {status}")
    assert missing == []
