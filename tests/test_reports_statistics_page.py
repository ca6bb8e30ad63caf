"""The public statistics page: satisfaction from ratings, months and numbers the reader's way."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from cityhall.accounts.models import Role
from cityhall.reports import services
from cityhall.reports.statistics import report_statistics
from tests.factories import THUDUC, at, make_staff, unit_named
from tests.reports_support import flood

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(reports_ready: None) -> None:
    """Three reports in March 2026: two answered and rated 5 and 4, one waiting."""
    ward = unit_named(THUDUC)
    leader = make_staff("leader.st", ward, Role.LEADER)
    for rating, day in ((5, 2), (4, 3)):
        made = flood(now=at(2026, 3, day, 9))
        report = made.report
        services.assign_report(actor=leader, report=report, assignee=leader,
                               now=at(2026, 3, day, 10))
        services.resolve_report(actor=leader, report=report, reply="Đã xử lý.",
                                now=at(2026, 3, day, 11))
        services.rate_report(actor=services.ANONYMOUS, report=report, rating=rating,
                             private_token=made.private_token, now=at(2026, 3, day, 12))
    flood(now=at(2026, 3, 4, 9))


def stat(body: str, name: str) -> str:
    found = re.search(rf'data-testid="stat-{name}">([^<]*)<', body)
    assert found is not None, name
    return found.group(1)


def test_satisfaction_is_the_mean_rating_of_the_rated_answers(rated: None) -> None:
    figures = report_statistics()
    assert (figures["rated"], figures["average_rating"]) == (2, 4.5)
    assert figures["by_month"][0]["average_rating"] == 4.5


def test_the_page_writes_months_and_decimals_the_vietnamese_way(rated: None) -> None:
    body = Client().get("/reports/statistics/").content.decode()
    assert stat(body, "rating") == "4,5 trên 5"
    assert stat(body, "rated") == "từ 2 lượt đánh giá"
    assert "tháng 3/2026" in body
    charts = json.loads(re.search(r'id="stats-charts"[^>]*>(.*?)</script>', body, re.S)
                        .group(1))  # type: ignore[union-attr]
    assert charts["months"] == {"labels": ["tháng 3/2026"], "received": [3], "resolved": [2],
                                "on_time": [100.0]}
    assert charts["words"]["resolved"] == "Đã trả lời"
    assert 'src="/static/vendor/echarts/echarts.common.min.js"' in body


def test_the_page_writes_months_and_decimals_the_english_way(rated: None) -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/reports/statistics/").content.decode()
    assert stat(body, "rating") == "4.5 out of 5"
    assert "Mar 2026" in body and "tháng" not in body


def test_the_statistics_api_gives_the_satisfaction_too(rated: None) -> None:
    body = Client().get("/api/v1/reports/statistics").json()
    assert (body["rated"], body["average_rating"]) == (2, 4.5)


def test_the_vendored_echarts_matches_its_recorded_checksums() -> None:
    import hashlib
    from pathlib import Path

    static = Path(settings.BASE_DIR) / "cityhall" / "static" / "vendor"
    record = json.loads((static / "VENDORED.json").read_text())["echarts"]
    assert record["license"] == "Apache-2.0" and (static / record["license_file"]).exists()
    for name, sha in record["files"].items():
        assert hashlib.sha256((static / name).read_bytes()).hexdigest() == sha
    assert "sourceMappingURL" not in (static / "echarts/echarts.common.min.js").read_text()
