"""The documents' REST API: drafts through issue, incoming and handling, the registers as
JSON and XLSX, and the scope rules (another ward's staff get 404s)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cityhall.accounts.models import Role, User
from cityhall.documents.models import Document
from tests.documents_support import arrived, issued, rows_of
from tests.factories import Personas, bearer, make_staff

pytestmark = [pytest.mark.django_db]


def call(user: User | None, method: str, path: str, body: Any = None) -> Any:
    headers = bearer(user) if user else {}
    client = Client()
    if method == "get":
        return client.get(path, headers=headers)
    return client.post(path, data=json.dumps(body or {}), content_type="application/json",
                       headers=headers)


@pytest.fixture
def clerk(people: Personas) -> User:
    return make_staff("a.clerk", people.ward, Role.CLERK)


def test_a_draft_goes_through_every_step_by_the_api(people: Personas, clerk: User) -> None:
    made = call(people.officer, "post", "/api/v1/documents", {
        "unit": people.ward.code, "doc_type": "cong_van", "drafting_unit": "VX",
        "summary": "Về việc tổ chức Ngày hội chuyển đổi số", "content": "Kính gửi ...",
        "signer": people.leader.username, "signer_title": "Chủ tịch",
        "recipients": ["Các khu phố"]})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["state"] == "drafted"
    for user, action in ((people.officer, "review"), (people.leader, "sign"),
                         (clerk, "issue")):
        answer = call(user, "post", f"/api/v1/documents/{pk}/actions/{action}")
        assert answer.status_code == 200, (action, answer.content)
    assert answer.json()["notation"] == "01/UBND-VX"
    detail = call(people.officer, "get", f"/api/v1/documents/{pk}").json()
    assert detail["register_entry"]["number"] == 1
    assert [s["action"] for s in detail["history"]] == ["start", "review", "sign", "issue"]
    # Signed with the DEMO keys (DEBUG), as the file list says.
    assert detail["signed"] is True and {(f["kind"], f["signed"]) for f in detail["files"]} == {
        ("leader", True), ("issued", True)}
    assert detail["actions"] == []  # sending is the clerk's
    assert call(clerk, "get", f"/api/v1/documents/{pk}").json()["actions"] == ["send"]
    pdf = call(people.officer, "get", f"/api/v1/documents/{pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Another ward's leader, a resident and an anonymous caller learn nothing.
    for user in (people.outsider, people.resident):
        assert call(user, "get", f"/api/v1/documents/{pk}").status_code == 404
        assert call(user, "get", f"/api/v1/documents/{pk}/pdf").status_code == 404
        assert call(user, "post", f"/api/v1/documents/{pk}/actions/send").status_code == 404
    assert call(None, "get", f"/api/v1/documents/{pk}").status_code == 401


def test_bad_requests_get_machine_readable_refusals_and_change_nothing(
    people: Personas,
) -> None:
    before = Document.objects.count()
    good = {"unit": people.ward.code, "doc_type": "quyet_dinh", "summary": "Về việc"}
    cases = [
        ({**good, "doc_type": "nope"}, 400, "unknown_document_type"),
        ({**good, "unit": "no-such"}, 400, "invalid_document"),
        ({**good, "summary": " "}, 422, "invalid"),
        ({**good, "authority": "XX."}, 422, "invalid"),
        ({**good, "extra": 1}, 422, "invalid"),
        ({**good, "doc_type": "cong_van"}, 400, "invalid_document"),
    ]
    for body, status, code in cases:
        answer = call(people.officer, "post", "/api/v1/documents", body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), body
    answer = call(people.outsider, "post", "/api/v1/documents", good)
    assert (answer.status_code, answer.json()["code"]) == (403, "not_in_unit")
    assert Document.objects.count() == before
    made = call(people.officer, "post", "/api/v1/documents", good).json()["id"]
    answer = call(people.officer, "post", f"/api/v1/documents/{made}/actions/fly")
    assert (answer.status_code, answer.json()["code"]) == (400, "unknown_action")
    answer = call(people.officer, "post", f"/api/v1/documents/{made}/actions/issue")
    assert (answer.status_code, answer.json()["code"]) == (409, "invalid_state")


def test_incoming_is_registered_assigned_and_completed_by_the_api(
    people: Personas, clerk: User,
) -> None:
    made = call(clerk, "post", "/api/v1/documents/incoming", {
        "unit": people.ward.code, "doc_type": "cong_van", "author": "Sở Xây dựng",
        "notation": "1234/SXD-QLN", "document_date": "2026-03-01",
        "arrival_date": "2026-03-02", "summary": "Về việc rà soát nhà ở"})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    given = call(people.leader, "post", f"/api/v1/documents/{pk}/handlings", {
        "assignee": people.officer.username, "working_days": 3,
        "instructions": "Rà soát, báo cáo"})
    assert given.status_code == 201, given.content
    handling = given.json()
    assert handling["state"] == "assigned" and handling["assignee"] == people.officer.username
    queue = call(people.officer, "get", "/api/v1/documents/handlings?mine=true").json()
    assert [h["id"] for h in queue] == [handling["id"]]
    assert call(people.outsider, "get", "/api/v1/documents/handlings").json() == []
    no_note = call(people.officer, "post",
                   f"/api/v1/documents/handlings/{handling['id']}/actions/complete")
    assert no_note.json()["code"] == "comment_required"
    done = call(people.officer, "post",
                f"/api/v1/documents/handlings/{handling['id']}/actions/complete",
                {"comment": "Đã rà soát"})
    assert done.status_code == 200 and done.json()["state"] == "completed"


def test_the_registers_as_json_and_xlsx_are_scoped_and_searchable(
    people: Personas, clerk: User,
) -> None:
    issued(people.ward, people.officer, people.leader, clerk)
    issued(people.ward, people.officer, people.leader, clerk, summary="Về việc phòng cháy")
    arrived(people.ward, clerk, day=timezone.localdate())
    base = f"/api/v1/units/{people.ward.code}/registers"
    year = timezone.localdate().year
    outgoing = call(people.officer, "get", f"{base}/outgoing?year={year}").json()
    assert outgoing["count"] == 2
    assert [i["notation"] for i in outgoing["items"]] == ["01/QĐ-UBND", "02/QĐ-UBND"]
    assert outgoing["items"][0]["file_copy_unit"] == "VT, VP"
    found = call(people.officer, "get", f"{base}/outgoing?q=phong+chay").json()
    assert [i["notation"] for i in found["items"]] == ["02/QĐ-UBND"]
    incoming = call(clerk, "get", f"{base}/incoming").json()
    assert incoming["count"] == 1 and incoming["items"][0]["author"] == "Sở Xây dựng"
    sheet = call(people.leader, "get", f"{base}/outgoing.xlsx?year={year}")
    assert sheet.status_code == 200
    rows = rows_of(sheet.content)
    assert rows[1][0] == "Số, ký hiệu văn bản" and rows[2][0] == "01/QĐ-UBND"
    # The two entries, a blank line, then the year's signed share (issue #12: 100%).
    assert len(rows) == 6 and rows[4][0] is None
    assert rows[5][0] == "Đã ký số: 2/2 văn bản đã ban hành (100%)."
    assert outgoing["summary"] == {"entries": 2, "signed": 2, "signed_percent": 100.0,
                                   "digitised": 0}
    assert found["summary"]["entries"] == 2  # the year's, whatever the search
    for user in (people.outsider, people.resident):
        assert call(user, "get", f"{base}/outgoing").status_code == 404
        assert call(user, "get", f"{base}/outgoing.xlsx").status_code == 404
    assert call(people.officer, "get", f"{base}/sideways").status_code == 422
