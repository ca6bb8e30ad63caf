"""The demo reports that `make run` files: routed, handled, and loaded only once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cityhall.reports.models import Report

pytestmark = pytest.mark.django_db


def test_the_demo_reports_are_routed_handled_and_loaded_once() -> None:
    call_command("load_categories", verbosity=0)
    call_command("load_demo", verbosity=0)
    call_command("load_demo_reports", verbosity=0)
    reports = {r.description[:20]: r for r in Report.objects.select_related("unit")}
    assert len(reports) == 7
    states = sorted(r.state for r in reports.values())
    assert states == ["assigned", "closed", "in_progress", "received", "received", "received",
                      "resolved"]
    # The legacy address of the litter report lies in Phường An Khánh since 1 July 2025.
    litter = Report.objects.get(category__code="moi-truong-rac")
    assert litter.unit.name == "Phường An Khánh"
    assert Report.objects.get(category__code="dn-thue-phi").unit.code == "79-STC"
    call_command("load_demo_reports", verbosity=0)
    assert Report.objects.count() == 7


def test_it_asks_for_the_demo_users_first() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo_reports", verbosity=0)
