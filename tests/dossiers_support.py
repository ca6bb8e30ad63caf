"""Helpers for the procedure and dossier tests: the seeded catalogue, applicants."""

from __future__ import annotations

from functools import cache

from cityhall.core.audit import SYSTEM
from cityhall.dossiers import services
from cityhall.procedures.catalogue import ProcedureRow, read_seed
from cityhall.procedures.services import load_catalogue

BIRTH = "1.001193.000.00.00.H29"
HOUSEHOLD_BUSINESS = "2.000720.000.00.00.H29"
CERTIFIED_COPY = "2.000908.000.00.00.H29"
SIGNATURE = "2.000884.000.00.00.H29"  # not online
COMPANY = "2.002036.000.00.00.H29"  # city level


@cache
def _seed() -> list[ProcedureRow]:
    return read_seed()


def procedures() -> None:
    """The seeded catalogue, loaded (the file is read once per test session)."""
    load_catalogue(actor=SYSTEM, rows=_seed(), source="test")


def applicant(n: int = 1) -> services.Applicant:
    """A resident applicant with a valid ID number."""
    return services.Applicant(name="Nguyễn Văn Nên", id_number=f"0792000{n:05d}",
                              phone="0903123456", email="nen@example.vn",
                              address="12 Lê Lợi, Phường Sài Gòn")
