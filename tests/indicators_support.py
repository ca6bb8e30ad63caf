"""Helpers for the indicators tests: crews of two wards and a seeded workload."""

from __future__ import annotations

from collections import Counter

from cityhall.accounts.models import Role
from cityhall.indicators.history import Crew, Simulation
from tests.dossiers_support import procedures
from tests.factories import ANKHANH, WardTeam, make_staff, unit_named

#: What the dashboard's browser tests load before their history (`browser_support.serve`).
INDICATOR_SITE = ("load_workflows", "load_demo", "load_categories", "load_procedures",
                  "load_indicators")


def crews(team: WardTeam) -> list[Crew]:
    """Phường Thủ Đức's clerk and officer, and a clerk and an officer of Phường An Khánh."""
    procedures()
    neighbour = unit_named(ANKHANH)
    return [Crew(team.ward, team.clerk, team.officer),
            Crew(neighbour, make_staff("clerk.ak", neighbour, Role.CLERK), team.outsider)]


def workload(team: WardTeam, seed: int, *, days: int = 40, per_day: int = 3) -> Counter[str]:
    """Run the random workload of `seed` over the last `days` days; what it did."""
    sim = Simulation(crews=crews(team), resident=team.resident, seed=seed)
    return sim.run(days=days, reports_per_day=per_day, dossiers_per_day=per_day)
