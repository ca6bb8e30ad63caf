"""After submission: the applicant's pages (supplement, withdraw, result, rating) and API
actions scoped to them; the clerk's counter page (any procedure, an applicant from another
ward, components checked on paper or scanned, form 01, scans attached after receipt, the
result handed out); ratings counted for the index."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from cityhall.core.models import AuditEntry
from cityhall.dossiers import services
from cityhall.dossiers.errors import DossierError
from cityhall.dossiers.models import Dossier, DossierComponent
from cityhall.indicators.models import DailyTally
from cityhall.indicators.recompute import recompute
from tests.dossiers_support import BIRTH, HOUSEHOLD_BUSINESS, applicant, procedures
from tests.factories import Personas, bearer, make_staff
from tests.files_support import jpeg, pdf

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def catalogue(db: None, settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    procedures()


def _online(people: Personas) -> Dossier:
    return services.submit_dossier(actor=people.resident, procedure=BIRTH, applicant=applicant(),
                                   competent_unit=people.ward).dossier


def _asked(people: Personas, dossier: Dossier) -> None:
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="accept")
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="request_supplement",
                            comment="Bổ sung giấy chứng sinh bản chính.")


def test_the_applicant_answers_a_supplement_request_on_their_page(
    catalogue: None, people: Personas,
) -> None:
    dossier = _online(people)
    _asked(people, dossier)
    client = Client()
    client.force_login(people.resident)
    listing = client.get("/ho-so-cua-toi/")
    assert dossier.code in listing.content.decode()
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/")
    assert page.status_code == 200
    assert "Bổ sung giấy chứng sinh bản chính." in page.content.decode()
    # Nothing given: refused, nothing changes.
    empty = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {})
    assert empty.status_code == 400
    dossier.refresh_from_db()
    assert dossier.state == "supplement_requested"
    # A broken PDF is refused with the file layer's message; the clock stays stopped.
    broken = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {
        "file_2": SimpleUploadedFile("cs.pdf", b"%PDF-1.4 broken", "application/pdf")})
    assert broken.status_code == 400 and "PDF" in broken.content.decode()
    sent = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {
        "file_2": SimpleUploadedFile("cs.pdf", pdf(1), "application/pdf"),
        "use_data_3": "on", "comment": "Đã bổ sung."})
    assert sent.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "in_processing" and dossier.clock_paused_at is None
    assert dossier.appointment_at == dossier.due_at
    given = {c.name[:10]: c for c in DossierComponent.objects.filter(dossier=dossier)}
    assert len(given) == 2
    assert any(c.file_id for c in given.values())
    assert any(c.data_source == "population" for c in given.values())


def test_the_applicants_pages_are_theirs_alone(catalogue: None, people: Personas) -> None:
    dossier = _online(people)
    _asked(people, dossier)
    other = Client()
    other.force_login(people.officer)  # staff of the unit: they work from /staff/dossiers/
    assert other.get(f"/ho-so-cua-toi/{dossier.code}/").status_code == 404
    assert other.post(f"/ho-so-cua-toi/{dossier.code}/rut-ho-so/").status_code == 404
    assert Client().get(f"/ho-so-cua-toi/{dossier.code}/").status_code == 302  # sign in
    dossier.refresh_from_db()
    assert dossier.state == "supplement_requested"


def test_the_applicant_withdraws_on_their_page_and_through_the_api(
    catalogue: None, people: Personas,
) -> None:
    first, second = _online(people), _online(people)
    client = Client()
    client.force_login(people.resident)
    # The button says "withdraw the dossier", not the documents' "cancel the draft".
    page = client.get(f"/ho-so-cua-toi/{first.code}/").content.decode()
    assert "Rút hồ sơ</button>" in page and "Hủy dự thảo" not in page
    assert client.post(f"/ho-so-cua-toi/{first.code}/rut-ho-so/",
                       {"comment": "Không còn nhu cầu."}).status_code == 302
    first.refresh_from_db()
    assert first.state == "withdrawn"
    assert "05" in client.get(f"/ho-so-cua-toi/{first.code}/").content.decode()
    # The API: the applicant may, another resident's account sees nothing.
    stranger = make_staff("d.stranger", people.other_ward, "officer")
    api = Client()
    assert api.post(f"/api/v1/dossiers/{second.code}/actions/withdraw", {},
                    content_type="application/json",
                    headers=bearer(stranger)).status_code == 404
    done = api.post(f"/api/v1/dossiers/{second.code}/actions/withdraw", {},
                    content_type="application/json", headers=bearer(people.resident))
    assert done.status_code == 200 and done.json()["state"] == "withdrawn"


def test_the_result_is_downloaded_and_the_service_rated_once_and_counted(
    catalogue: None, people: Personas,
) -> None:
    dossier = _online(people)
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="accept")
    client = Client()
    client.force_login(people.resident)
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/ket-qua.pdf").status_code == 404
    # The rating waits for the result.
    with pytest.raises(DossierError) as early:
        services.rate_dossier(actor=people.resident, dossier=dossier, rating=5)
    assert early.value.code == "invalid_state"
    # Only a PDF is an electronic result.
    with pytest.raises(DossierError) as photo:
        services.issue_result(actor=people.officer, dossier=dossier,
                              file=SimpleUploadedFile("kq.jpg", jpeg(), "image/jpeg"))
    assert photo.value.code == "result_not_pdf" and dossier.state == "in_processing"
    staff = Client()
    staff.force_login(people.officer)
    issued = staff.post(f"/staff/dossiers/{dossier.code}/issue_result/", {
        "result": SimpleUploadedFile("kq.pdf", pdf(1), "application/pdf")})
    assert issued.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "result_issued" and dossier.result_file_id
    got = client.get(f"/ho-so-cua-toi/{dossier.code}/ket-qua.pdf")
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert b"".join(got.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    detail = client.get(f"/api/v1/dossiers/{dossier.code}", headers=bearer(people.resident))
    assert detail.json()["result"] == f"/ho-so-cua-toi/{dossier.code}/ket-qua.pdf"
    # Staff may not rate; the applicant rates on the page; a second rating is refused.
    assert Client().post(f"/api/v1/dossiers/{dossier.code}/rating", {"rating": 5},
                         content_type="application/json",
                         headers=bearer(people.officer)).status_code == 403
    assert client.post(f"/ho-so-cua-toi/{dossier.code}/danh-gia/",
                       {"rating": "9"}).status_code == 400
    assert client.post(f"/ho-so-cua-toi/{dossier.code}/danh-gia/",
                       {"rating": "4", "comment": "Nhanh."}).status_code == 302
    again = Client().post(f"/api/v1/dossiers/{dossier.code}/rating", {"rating": 1},
                          content_type="application/json", headers=bearer(people.resident))
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    dossier.refresh_from_db()
    assert dossier.rating == 4 and dossier.rating_comment == "Nhanh."
    # Counted once for the competent unit's day, as the recount from the records finds.
    counted = dict(DailyTally.objects.filter(unit=people.ward, metric__startswith="dossiers.rat")
                   .values_list("metric", "value"))
    assert counted == {"dossiers.rating_sum": 4, "dossiers.rating_count": 1,
                       "dossiers.rating_satisfied": 1}
    assert dossier.rated_at is not None
    day = timezone.localdate(dossier.rated_at)
    rebuilt = recompute(day, day)
    assert {k[2]: v for k, v in rebuilt.items()
            if k[1] == people.ward.pk and k[2].startswith("dossiers.rat")} == counted
    assert AuditEntry.objects.filter(action="dossiers.rate").count() == 1


def test_a_clerk_receives_at_the_counter_for_an_applicant_of_another_ward(
    catalogue: None, people: Personas,
) -> None:
    clerk = make_staff("d.clerk", people.other_ward, "clerk")
    client = Client()
    client.force_login(clerk)
    search = client.get("/staff/dossiers/counter/", {"q": "ho kinh doanh"})
    assert search.status_code == 200 and HOUSEHOLD_BUSINESS in search.content.decode()
    form = client.get("/staff/dossiers/counter/", {"procedure": HOUSEHOLD_BUSINESS})
    assert form.status_code == 200
    body = {"procedure": HOUSEHOLD_BUSINESS, "applicant_kind": "resident",
            "applicant_name": "Trần Thị Ánh", "id_number": "079300000077",
            "phone": "0903000077", "address": "45 Lê Lợi, Phường Sài Gòn",
            "on_behalf": "on", "receiving_unit": people.other_ward.code,
            "paper_1": "on", "paper_2": "on",
            "file_2": SimpleUploadedFile("cccd.jpg", jpeg(), "image/jpeg"),
            "idempotency_key": "counter-1"}
    made = client.post("/staff/dossiers/counter/", body)
    assert made.status_code == 302, made.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert dossier.channel == "counter" and dossier.on_behalf
    assert dossier.receiving_unit == people.other_ward == dossier.unit
    assert dossier.code.startswith(people.other_ward.electronic_id or people.other_ward.code)
    parts = list(DossierComponent.objects.filter(dossier=dossier).order_by("pk"))
    assert len(parts) == 2 and parts[0].file_id is None and parts[1].file_id is not None
    # The same click again (the same key) makes no second dossier.
    body["file_2"] = SimpleUploadedFile("cccd.jpg", jpeg(), "image/jpeg")
    assert client.post("/staff/dossiers/counter/", body).status_code == 302
    assert Dossier.objects.count() == 1
    slip = client.get(f"/dossiers/{dossier.code}/forms/01.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    # Scans attached after receipt: the paper of component 1 gets its file; a broken one
    # is refused and stores nothing.
    bad = client.post(f"/staff/dossiers/{dossier.code}/attach/", {
        "scan_1": SimpleUploadedFile("to-khai.pdf", b"%PDF-1.4 no", "application/pdf")})
    assert bad.status_code == 400
    ok = client.post(f"/staff/dossiers/{dossier.code}/attach/", {
        "scan_1": SimpleUploadedFile("to-khai.pdf", pdf(2), "application/pdf")})
    assert ok.status_code == 302
    assert DossierComponent.objects.filter(dossier=dossier, file__isnull=False).count() == 2
    # Staff of a ward that neither received nor decides it may not attach.
    outsider = Client()
    outsider.force_login(people.officer)
    assert outsider.post(f"/staff/dossiers/{dossier.code}/attach/", {
        "scan_1": SimpleUploadedFile("x.pdf", pdf(1), "application/pdf")}).status_code == 404
    # Processing, then the result handed out at the counter (the "returned" step).
    assert client.post(f"/staff/dossiers/{dossier.code}/accept/").status_code == 302
    services.act_on_dossier(actor=make_staff("d.decider", people.other_ward, "officer"),
                            dossier=dossier, action="issue_result")
    assert client.post(f"/staff/dossiers/{dossier.code}/return_result/").status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "returned"


def test_the_counter_refuses_a_dossier_it_cannot_take(catalogue: None, people: Personas) -> None:
    resident = Client()
    resident.force_login(people.resident)
    assert resident.get("/staff/dossiers/counter/").status_code in (302, 403)
    clerk = make_staff("d.clerk2", people.ward, "clerk")
    client = Client()
    client.force_login(clerk)
    assert client.get("/staff/dossiers/counter/", {"procedure": "9.999"}).status_code == 404
    refused = client.post("/staff/dossiers/counter/", {
        "procedure": HOUSEHOLD_BUSINESS, "applicant_kind": "resident",
        "applicant_name": "Trần Thị Ánh", "id_number": "12", "receiving_unit": people.ward.code,
        "idempotency_key": "k"})
    assert refused.status_code == 400 and not Dossier.objects.exists()
    # Online, no component may be "paper".
    with pytest.raises(DossierError):
        services.submit_dossier(actor=people.resident, procedure=BIRTH, applicant=applicant(),
                                competent_unit=people.ward,
                                components=[services.ComponentIn(number=1, paper=True)])
