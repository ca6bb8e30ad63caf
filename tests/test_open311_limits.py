"""Open311 reads stay cheap: bounded paging, partial indexes that match the open states."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cityhall.reports.models import OPEN_STATES_FOR_INDEX
from cityhall.reports.states import OPEN_STATES
from tests.test_open311 import BASE, assert_error, body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("page", "size"), [("11", "1000"), ("101", "100"), ("10001", "1")])
def test_it_refuses_pages_deeper_than_ten_thousand_rows(client: Client, page: str,
                                                        size: str) -> None:
    for fmt in ("json", "xml"):
        answer = client.get(f"{BASE}requests.{fmt}", {"page": page, "page_size": size})
        [line] = assert_error(answer, 400, fmt)
        assert "page" in line


@pytest.mark.parametrize(("page", "size"), [("10", "1000"), ("100", "100"), ("1", "")])
def test_it_serves_pages_up_to_ten_thousand_rows(client: Client, page: str, size: str) -> None:
    answer: Any = client.get(f"{BASE}requests.json", {"page": page, "page_size": size})
    assert answer.status_code == 200 and body(answer) == []


def test_the_partial_indexes_cover_exactly_the_open_states() -> None:
    assert tuple(OPEN_STATES_FOR_INDEX) == OPEN_STATES
