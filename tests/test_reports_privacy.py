"""Reporters' names and own words stay with those who need them (issue #8, privacy)."""

from __future__ import annotations

import pytest
from django.test import Client

from cityhall.core.models import PersonalDataRead
from cityhall.reports import services
from tests.test_reports_web import (  # noqa: F401  (compiled_catalogues is autouse there)
    World,
    _resolved,
    compiled_catalogues,
    now_flood,
    signed_in,
    world,
)

pytestmark = pytest.mark.django_db


def test_staff_see_the_reporter_by_role_in_the_history_until_they_open_the_contact(
    world: World,
) -> None:
    made = now_flood(world.resident)
    report = _resolved(world, made)
    services.reopen_report(actor=world.resident, report=report, reason="Vẫn còn ngập.")
    leader = signed_in(world.leader)
    page = leader.get(f"/staff/reports/{report.code}/").content.decode()
    assert "Lê Văn Dân" not in page
    assert page.count("người phản ánh") >= 2  # filed and reopened by the reporter
    assert not PersonalDataRead.objects.exists()
    # Opening the contact is a logged read; only then does the name appear, beside it.
    shown = leader.post(f"/staff/reports/{report.code}/contact/").content.decode()
    assert "Lê Văn Dân (người phản ánh)" in shown
    assert PersonalDataRead.objects.filter(reader=world.leader).count() == 1


def test_the_api_history_names_the_reporter_by_role_not_by_username(world: World) -> None:
    made = now_flood(world.resident)
    detail = signed_in(world.leader).get(f"/api/v1/reports/{made.report.code}").json()
    actors = [step["actor"] for step in detail["history"]]
    assert actors[0] == "reporter"
    assert world.resident.username not in actors


def test_the_rating_comment_is_shown_to_the_reporter_only(world: World, client: Client) -> None:
    made = now_flood()
    report = _resolved(world, made)
    services.rate_report(actor=services.ANONYMOUS, report=report, rating=2,
                         comment="Cán bộ thái độ chưa tốt.", private_token=made.private_token)
    public = client.get(f"/reports/{report.code}/").content.decode()
    assert "2 trên 5" in public and "Cán bộ thái độ chưa tốt." not in public
    own = client.get(f"/reports/{report.code}/?t={made.private_token}").content.decode()
    assert "Cán bộ thái độ chưa tốt." in own
