"""Dossiers: submission online and at any counter, codes, appointments, the workflow, scope,
the public status, idempotency."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from cityhall.core.models import AuditEntry, PersonalDataRead
from cityhall.dossiers import services
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.models import Dossier, DossierComponent, DossierCounter
from cityhall.orgunits.models import Unit
from cityhall.workflow.models import Transition
from tests.dossiers_support import (
    BIRTH,
    COMPANY,
    HOUSEHOLD_BUSINESS,
    SIGNATURE,
    applicant,
    procedures,
)
from tests.factories import Personas, at, bearer, city, make_staff, make_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def catalogue(db: None) -> None:
    procedures()


def _online(people: Personas, code: str = BIRTH, **kw: object) -> services.Submission:
    return services.submit_dossier(actor=people.resident, procedure=code, applicant=applicant(),
                                   competent_unit=people.ward, **kw)  # type: ignore[arg-type]


def test_an_online_birth_registration_gets_its_code_and_appointment(
    catalogue: None, people: Personas,
) -> None:
    # Friday 13 February 2026, 10:00: the next working day is after Tết (16-20 February).
    made = _online(people, now=at(2026, 2, 13, 10),
                   components=[services.ComponentIn(number=3, data_reference="079200000001")])
    dossier = made.dossier
    agency = people.ward.electronic_id or people.ward.code
    assert made.created and dossier.code == f"{agency}-260213-0001"
    assert dossier.state == "received" and dossier.unit == people.ward
    assert dossier.receiving_unit == people.ward and dossier.applicant == people.resident
    assert dossier.appointment_at == at(2026, 2, 23, 17) == dossier.due_at
    part = DossierComponent.objects.get(dossier=dossier)
    assert part.data_source == "population" and part.data_reference == "079200000001"
    assert AuditEntry.objects.filter(action="dossiers.submit", object_id=str(dossier.pk)).exists()


def test_codes_count_per_agency_per_day(catalogue: None, people: Personas) -> None:
    day = at(2026, 3, 2, 9)
    first = _online(people, now=day).dossier.code
    second = _online(people, now=day).dossier.code
    other = services.submit_dossier(actor=people.resident, procedure=BIRTH, applicant=applicant(),
                                    competent_unit=people.other_ward, now=day).dossier.code
    next_day = _online(people, now=day + dt.timedelta(days=1)).dossier.code
    assert [first[-4:], second[-4:], other[-4:], next_day[-4:]] == ["0001", "0002", "0001",
                                                                     "0001"]
    assert next_day.split("-")[-2] == "260303"


def test_a_clerk_receives_a_household_business_in_another_ward_than_the_applicants(
    catalogue: None, people: Personas,
) -> None:
    clerk = make_staff("d.clerk", people.other_ward, "clerk")
    made = services.receive_at_counter(actor=clerk, procedure=HOUSEHOLD_BUSINESS,
                                       applicant=applicant(), now=at(2026, 3, 2, 9))
    dossier = made.dossier
    assert dossier.channel == "counter" and dossier.receiving_unit == people.other_ward
    assert dossier.unit == people.other_ward and dossier.fee_vnd == 100_000
    assert dossier.code.startswith(people.other_ward.electronic_id or people.other_ward.code)
    # Three working days: Monday 2 March -> Thursday 5 March, 17:00.
    assert dossier.appointment_at == at(2026, 3, 5, 17)
    # A counter may also name the ward that decides.
    elsewhere = services.receive_at_counter(actor=clerk, procedure=HOUSEHOLD_BUSINESS,
                                            applicant=applicant(2), competent_unit=people.ward)
    assert elsewhere.dossier.receiving_unit == people.other_ward
    assert elsewhere.dossier.unit == people.ward


def test_a_city_level_procedure_goes_to_the_city_unless_a_department_is_named(
    catalogue: None, people: Personas,
) -> None:
    made = services.submit_dossier(actor=people.resident, procedure=COMPANY,
                                   applicant=applicant())
    assert made.dossier.unit == city()
    with pytest.raises(DossierError) as caught:
        services.submit_dossier(actor=people.resident, procedure=COMPANY, applicant=applicant(),
                                competent_unit=people.ward)
    assert caught.value.code == DossierCode.WRONG_COMPETENT_UNIT


@pytest.mark.parametrize(("change", "code"), [
    ({"procedure": "1.999999.000.00.00.H29"}, DossierCode.UNKNOWN_PROCEDURE),
    ({"procedure": SIGNATURE}, DossierCode.NOT_ONLINE),
    ({"applicant": services.Applicant(name="A", id_number="12")}, DossierCode.INVALID_APPLICANT),
    ({"competent_unit": None}, DossierCode.UNKNOWN_UNIT),
    ({"components": [services.ComponentIn(number=1, data_reference="x")]},
     DossierCode.INVALID_COMPONENT),
    ({"components": [services.ComponentIn(number=9, data_reference="x")]},
     DossierCode.INVALID_COMPONENT),
])
def test_bad_submissions_are_refused_and_leave_only_an_audit_entry(
    catalogue: None, people: Personas, change: dict[str, object], code: DossierCode,
) -> None:
    fields: dict[str, object] = {"actor": people.resident, "procedure": BIRTH,
                                 "applicant": applicant(), "competent_unit": people.ward}
    fields.update(change)
    with pytest.raises(DossierError) as caught:
        services.submit_dossier(**fields)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert not Dossier.objects.exists() and not DossierCounter.objects.exists()
    assert AuditEntry.objects.filter(action="dossiers.submit_refused").count() == 1


def test_staff_cannot_submit_online_and_residents_have_no_counter(
    catalogue: None, people: Personas,
) -> None:
    with pytest.raises(DossierError) as caught:
        services.submit_dossier(actor=people.officer, procedure=BIRTH, applicant=applicant(),
                                competent_unit=people.ward)
    assert caught.value.code == "not_allowed"
    with pytest.raises(DossierError) as caught:
        services.submit_dossier(actor=people.resident, procedure=BIRTH, applicant=applicant(),
                                channel="counter")
    assert caught.value.code == DossierCode.NOT_A_COUNTER


def test_a_retried_submission_with_the_same_key_makes_one_dossier(
    catalogue: None, people: Personas,
) -> None:
    first = _online(people, idempotency_key="k-1")
    again = _online(people, idempotency_key="k-1")
    assert first.created and not again.created and again.dossier.pk == first.dossier.pk
    assert Dossier.objects.count() == 1
    other = services.submit_dossier(actor=make_user("d.someone"), procedure=BIRTH,
                                    applicant=applicant(), competent_unit=people.ward,
                                    idempotency_key="k-1")
    assert other.created and other.dossier.pk != first.dossier.pk


def _api_body(people: Personas, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "procedure": BIRTH, "competent_unit": people.ward.code,
        "applicant": {"name": "Nguyễn Văn Nên", "id_number": "079200000001"},
        "components": [{"number": 3, "data_reference": "079200000001"}]}
    body.update(changes)
    return body


def test_the_api_submits_reads_acts_and_shows_the_public_status(
    catalogue: None, people: Personas,
) -> None:
    client = Client()
    headers = {**bearer(people.resident), "Idempotency-Key": "abc"}
    response = client.post("/api/v1/dossiers", json.dumps(_api_body(people)),
                           content_type="application/json", headers=headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"code", "state", "received_at", "appointment_at", "receiving_unit",
                         "competent_unit"}
    assert body["state"] == "received" and body["competent_unit"] == people.ward.code
    code = body["code"]
    again = client.post("/api/v1/dossiers", json.dumps(_api_body(people)),
                        content_type="application/json", headers=headers)
    assert again.status_code == 200 and again.json()["code"] == code

    # The applicant reads it (no read logged: it is their own); staff of the ward too.
    mine = client.get(f"/api/v1/dossiers/{code}", headers=bearer(people.resident)).json()
    assert mine["applicant_name"] == "Nguyễn Văn Nên" and "withdraw" in mine["actions"]
    assert not PersonalDataRead.objects.exists()
    staff = client.get(f"/api/v1/dossiers/{code}", headers=bearer(people.officer))
    assert staff.status_code == 200 and "accept" in staff.json()["actions"]
    assert PersonalDataRead.objects.filter(reader=people.officer).count() == 1
    outsider = client.get(f"/api/v1/dossiers/{code}", headers=bearer(people.outsider))
    assert outsider.status_code == 404

    officer = bearer(people.officer)

    def step(action: str, body: dict[str, str] | None = None,
             who: dict[str, str] = officer) -> dict[str, object]:
        answer = client.post(f"/api/v1/dossiers/{code}/actions/{action}",
                             json.dumps(body or {}), content_type="application/json",
                             headers=who)
        assert answer.status_code == 200, answer.content
        result: dict[str, object] = answer.json()
        return result

    def public() -> dict[str, object]:
        result: dict[str, object] = client.get(f"/api/v1/dossiers/{code}/status").json()
        return result

    assert public()["state"] == "received"
    step("accept")
    assert public()["state"] == "in_processing"
    step("request_supplement", {"comment": "Bổ sung giấy chứng sinh bản chính."})
    assert public()["state"] == "supplement_requested"
    step("supplement", who=bearer(people.resident))
    step("issue_result", who=bearer(people.leader))
    assert public()["state"] == "result_issued"
    step("return_result")
    status = public()
    assert status["state"] == "returned" and status["closed_at"] is not None
    assert "applicant_name" not in status and "Nên" not in json.dumps(status)
    steps = list(Transition.objects.filter(case_type="dossiers.dossier")
                 .values_list("action", flat=True).order_by("seq"))
    assert steps == ["start", "accept", "request_supplement", "supplement", "issue_result",
                     "return_result"]


def test_the_api_refuses_bad_actions_and_bad_bodies(catalogue: None, people: Personas) -> None:
    client = Client()
    code = _online(people).dossier.code
    officer = bearer(people.officer)
    unknown = client.post(f"/api/v1/dossiers/{code}/actions/fly", "{}",
                          content_type="application/json", headers=officer)
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_action"
    refuse = client.post(f"/api/v1/dossiers/{code}/actions/refuse", "{}",
                         content_type="application/json", headers=officer)
    assert refuse.status_code == 400 and refuse.json()["code"] == "comment_required"
    wrong_state = client.post(f"/api/v1/dossiers/{code}/actions/return_result", "{}",
                              content_type="application/json", headers=officer)
    assert wrong_state.status_code == 409
    refused = client.post(f"/api/v1/dossiers/{code}/actions/refuse",
                          json.dumps({"comment": "Thiếu tờ khai."}),
                          content_type="application/json", headers=officer)
    assert refused.json()["state"] == "refused"
    bad = client.post("/api/v1/dossiers", json.dumps(_api_body(people, procedure=SIGNATURE)),
                      content_type="application/json", headers=bearer(people.resident))
    assert bad.status_code == 400 and bad.json()["code"] == "procedure_not_online"
    assert client.get("/api/v1/dossiers/NO-SUCH/status").status_code == 404


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_look_up_page_shows_the_state_and_nothing_personal(
    catalogue: None, people: Personas, language: str,
) -> None:
    code = _online(people).dossier.code
    client = Client(headers={"Accept-Language": language})
    redirect = client.get("/tra-cuu-ho-so/", {"code": code})
    assert redirect.status_code == 302
    page = client.get(redirect["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and code in text and "Đăng ký khai sinh" in text
    assert ("tiếp nhận" if language == "vi" else "received") in text
    assert "Nguyễn Văn Nên" not in text and "0903123456" not in text
    assert client.get("/tra-cuu-ho-so/NO-SUCH-CODE/").status_code == 404
    assert client.get("/tra-cuu-ho-so/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_counters_never_share_a_code(committed_registry: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    procedures()
    ward = Unit.objects.get(name="Phường Sài Gòn", valid_to__isnull=True)
    clerks = [make_staff(f"d.counter{n}", ward, "clerk") for n in range(8)]
    codes: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(clerks))

    def counter(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                made = services.receive_at_counter(actor=clerks[n], procedure=BIRTH,
                                                   applicant=applicant(n * 10 + i))
                codes.append(made.dossier.code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=counter, args=(n,)) for n in range(len(clerks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    numbers = sorted(int(code[-4:]) for code in codes)
    assert len(set(codes)) == 40 and numbers == list(range(1, 41))


def test_form_01_renders_as_html_and_as_a_pdf_with_correct_vietnamese(
    catalogue: None, people: Personas,
) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    dossier = _online(people, now=at(2026, 2, 13, 10),
                      components=[services.ComponentIn(number=3, data_reference="079200000001")]
                      ).dossier
    client = Client()
    client.force_login(people.resident)
    html = client.get(f"/dossiers/{dossier.code}/forms/01.html")
    assert html.status_code == 200
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in html.content.decode()
    pdf = client.get(f"/dossiers/{dossier.code}/forms/01.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    flat = " ".join(text.split())
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", dossier.code,
                     "Nguyễn Văn Nên", "Đăng ký khai sinh", "Khai thác dữ liệu sẵn có",
                     "17 giờ 00 phút, ngày 23 tháng 02 năm 2026"):
        assert expected in flat, (expected, flat)
    assert not PersonalDataRead.objects.exists()  # the applicant's own
    # Staff of the ward read it (logged); another ward and the anonymous visitor do not.
    client.force_login(people.officer)
    assert client.get(f"/dossiers/{dossier.code}/forms/01.pdf").status_code == 200
    assert PersonalDataRead.objects.filter(reader=people.officer).count() == 1
    client.force_login(people.outsider)
    assert client.get(f"/dossiers/{dossier.code}/forms/01.html").status_code == 404
    assert Client().get(f"/dossiers/{dossier.code}/forms/01.pdf").status_code == 302


def test_a_font_without_every_vietnamese_letter_is_refused(settings: object) -> None:
    from pathlib import Path

    from django.core.exceptions import ImproperlyConfigured

    from cityhall.core import pdf

    old = Path("/usr/share/fonts/truetype/liberation")  # Debian's fonts-liberation 1.x
    if not (old / "LiberationSerif-Regular.ttf").is_file():
        pytest.skip("fonts-liberation 1.x is not installed here")
    settings.CITYHALL_PDF_FONT_DIR = str(old)  # type: ignore[attr-defined]
    pdf.register_fonts.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="lacks Vietnamese letters"):
            pdf.register_fonts()
    finally:
        pdf.register_fonts.cache_clear()


def test_a_resident_submits_online_from_the_procedure_page(
    catalogue: None, people: Personas,
) -> None:
    client = Client()
    client.force_login(people.resident)
    detail = client.get(f"/thu-tuc/{BIRTH}/").content.decode()
    assert f"/thu-tuc/{BIRTH}/nop-truc-tuyen/" in detail
    page = client.get(f"/thu-tuc/{BIRTH}/nop-truc-tuyen/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["id_number"] == people.resident.national_id
    body = {"applicant_name": "Trần Thị Dân", "id_number": "079300000003",
            "competent_unit": people.ward.code, "use_data_3": "on",
            "idempotency_key": form.initial["idempotency_key"]}
    sent = client.post(f"/thu-tuc/{BIRTH}/nop-truc-tuyen/", body)
    assert sent.status_code == 302
    dossier = Dossier.objects.get()
    assert sent["Location"] == f"/tra-cuu-ho-so/{dossier.code}/"
    assert dossier.applicant == people.resident and dossier.channel == "online"
    assert list(dossier.components.values_list("data_source", "data_reference")) == [
        ("population", "079300000003")]
    # A second click on the same form makes no second dossier.
    assert client.post(f"/thu-tuc/{BIRTH}/nop-truc-tuyen/", body).status_code == 302
    assert Dossier.objects.count() == 1
    refused = client.post(f"/thu-tuc/{BIRTH}/nop-truc-tuyen/",
                          {**body, "id_number": "12", "idempotency_key": "other"})
    assert refused.status_code == 400 and Dossier.objects.count() == 1
    client.force_login(people.officer)
    assert client.get(f"/thu-tuc/{BIRTH}/nop-truc-tuyen/").status_code == 403
    assert client.get(f"/thu-tuc/{SIGNATURE}/nop-truc-tuyen/").status_code == 404
