"""Demo dossiers for `make run`: one online, one at a counter of another ward, one late in
processing (idempotent)."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from pypdf import PdfWriter

from cityhall.accounts.models import User
from cityhall.dossiers import services
from cityhall.orgunits.models import Unit

BIRTH = "1.001193.000.00.00.H29"
HOUSEHOLD_BUSINESS = "2.000720.000.00.00.H29"


def _blank_pdf() -> bytes:
    """A one-page blank PDF: the scanned declaration of the demo birth registration."""
    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(out)
    return out.getvalue()


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
            components=[services.ComponentIn(number=3, data_reference="079190001234"),
                        services.ComponentIn(number=1, file=_blank_pdf())],
            idempotency_key="demo-birth"),
        services.receive_at_counter(
            actor=clerk, procedure=HOUSEHOLD_BUSINESS, account=resident,
            applicant=services.Applicant(name="Trần Thị Mai", id_number="079190001234",
                                         address="45 Nguyễn Huệ, Phường Sài Gòn"),
            idempotency_key="demo-household-business"),
    ]
    # Received at Thủ Đức's counter three weeks ago and accepted: now past its appointment
    # (the queue shows it late; form 04 is drafted for it).
    three_weeks = timezone.now() - dt.timedelta(days=21)
    late = services.receive_at_counter(
        actor=clerk, procedure=HOUSEHOLD_BUSINESS, account=resident, now=three_weeks,
        applicant=services.Applicant(name="Lê Thị Hồng", id_number="079200000002",
                                     phone="0908765432",
                                     address="8 Võ Văn Ngân, Phường Thủ Đức"),
        idempotency_key="demo-late")
    made.append(late)
    if late.created:
        services.act_on_dossier(actor=clerk, dossier=late.dossier, action="accept",
                                now=three_weeks + dt.timedelta(hours=1))
    return sum(m.created for m in made)
