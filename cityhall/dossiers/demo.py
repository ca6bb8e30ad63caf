"""Demo dossiers for `make run`: one online, one at a counter of another ward (idempotent)."""

from __future__ import annotations

from cityhall.accounts.models import User
from cityhall.dossiers import services
from cityhall.orgunits.models import Unit

BIRTH = "1.001193.000.00.00.H29"
HOUSEHOLD_BUSINESS = "2.000720.000.00.00.H29"


def load_demo_dossiers() -> int:
    """Submit the demo dossiers that are missing (idempotency keys make a rerun a no-op)."""
    resident = User.objects.get(username="resident")
    clerk = User.objects.get(username="clerk.thuduc")
    saigon = Unit.objects.active_on().commune_level().get(name="Phường Sài Gòn")
    made = [
        services.submit_dossier(
            actor=resident, procedure=BIRTH, competent_unit=saigon,
            applicant=services.Applicant(name="Trần Thị Mai", id_number="079190001234",
                                         phone="0901234567"),
            components=[services.ComponentIn(number=3, data_reference="079190001234")],
            idempotency_key="demo-birth"),
        services.receive_at_counter(
            actor=clerk, procedure=HOUSEHOLD_BUSINESS, account=resident,
            applicant=services.Applicant(name="Trần Thị Mai", id_number="079190001234",
                                         address="45 Nguyễn Huệ, Phường Sài Gòn"),
            idempotency_key="demo-household-business"),
    ]
    return sum(m.created for m in made)
