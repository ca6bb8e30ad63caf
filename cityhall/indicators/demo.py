"""Demo history for `make run`: two months of work in the three demo wards, so that the
dashboard shows trends, rankings and the 766 score from real roll-ups."""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from cityhall.accounts.demo import DEMO_WARDS
from cityhall.accounts.models import User
from cityhall.indicators.history import Crew, Simulation
from cityhall.orgunits.models import Unit
from cityhall.workflow.models import Transition

#: A marker of the history: its first reports are filed this many days back.
DAYS = 60


def load_demo_history(*, days: int = DAYS, seed: int = 766) -> Counter[str] | None:
    """File and handle the demo history once; None when some history is there already."""
    if Transition.objects.filter(case_type="reports.report", action="start",
                                 actor__username="resident").count() > 50:
        return None
    crews = []
    for slug, name in DEMO_WARDS:
        unit = Unit.objects.active_on().commune_level().get(name=name)
        crews.append(Crew(unit, User.objects.get(username=f"clerk.{slug}"),
                          User.objects.get(username=f"officer.{slug}")))
    with transaction.atomic():
        sim = Simulation(crews=crews, resident=User.objects.get(username="resident"), seed=seed)
        return sim.run(days=days, reports_per_day=4, dossiers_per_day=2)
