"""Dossier components: files through the file layer (checked, stored once, served to those
who may read them, orphans swept) and data held read through the data-source interface."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from cityhall.core.files.orphans import sweep_orphans
from cityhall.core.models import AuditEntry, PersonalDataRead
from cityhall.dossiers import datasources, services, uploads
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.models import Dossier, DossierComponent, DossierFile
from tests.dossiers_support import BIRTH, HOUSEHOLD_BUSINESS, applicant, procedures
from tests.factories import Personas, at, bearer
from tests.files_support import jpeg, pdf, png_header

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def catalogue(db: None, settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    procedures()


def _online(people: Personas, components: list[services.ComponentIn],
            **kw: object) -> services.Submission:
    return services.submit_dossier(actor=people.resident, procedure=BIRTH, applicant=applicant(),
                                   competent_unit=people.ward, components=components,
                                   **kw)  # type: ignore[arg-type]


def unavailable() -> dict[str, datasources.DataSource]:
    """A data-source factory whose population database does not answer."""

    class Down:
        name = "population"

        def lookup(self, identifier: str) -> datasources.Record | None:
            raise datasources.SourceUnavailable(self.name)

    return {"population": Down()}


def test_a_component_replaced_by_data_stores_the_reference_and_what_was_read(
    catalogue: None, people: Personas,
) -> None:
    made = _online(people, [services.ComponentIn(number=3, data_reference="079200000001")])
    part = DossierComponent.objects.get(dossier=made.dossier)
    assert part.replaced_by_data and part.data_source == "population"
    assert part.data_read["identifier"] == "079200000001"
    assert part.data_read["fields"]["full_name"] == "Nguyễn Văn Nên"
    assert dt.datetime.fromisoformat(part.data_read["read_at"])


def test_a_reference_the_source_does_not_hold_is_refused_and_nothing_is_stored(
    catalogue: None, people: Personas,
) -> None:
    with pytest.raises(DossierError) as refused:
        _online(people, [services.ComponentIn(number=3, data_reference="079999999999")])
    assert refused.value.code == DossierCode.NO_RECORD
    assert not Dossier.objects.exists() and not DossierComponent.objects.exists()


def test_a_source_that_does_not_answer_refuses_with_503(
    catalogue: None, people: Personas, settings: Settings,
) -> None:
    settings.CITYHALL_DOSSIERS_DATA_SOURCES = "tests.test_dossiers_components.unavailable"
    response = Client().post("/api/v1/dossiers", json.dumps({
        "procedure": BIRTH, "competent_unit": people.ward.code,
        "applicant": {"name": "Nguyễn Văn Nên", "id_number": "079200000001"},
        "components": [{"number": 3, "data_reference": "079200000001"}]}),
        content_type="application/json", headers=bearer(people.resident))
    assert response.status_code == 503
    assert response.json()["code"] == "data_source_unavailable"
    assert not Dossier.objects.exists()
    assert AuditEntry.objects.filter(action="dossiers.submit_refused").exists()


def test_the_local_adapter_answers_every_source_the_catalogue_names() -> None:
    found = datasources.local_sources()
    assert {"population", "business_registry", "civil_status", "land_registry"} <= set(found)
    assert found["business_registry"].lookup("0312345678") is not None
    assert found["population"].lookup("000000000000") is None


def _multipart(people: Personas, files: list[tuple[int, bytes, str]],
               **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "procedure": BIRTH, "competent_unit": people.ward.code,
        "applicant": {"name": "Nguyễn Văn Nên", "id_number": "079200000001"},
        "components": [{"number": 3, "data_reference": "079200000001"}], **changes}
    return {"dossier": json.dumps(body),
            "files": [SimpleUploadedFile(name, data) for _n, data, name in files],
            "file_components": [str(n) for n, _data, _name in files]}


def test_the_api_takes_files_and_data_in_one_multipart_submission(
    catalogue: None, people: Personas,
) -> None:
    scan = pdf(2)
    client = Client()
    response = client.post("/api/v1/dossiers/with-files", _multipart(people, [
        (1, scan, "to-khai.pdf"), (2, jpeg(), "giay-chung-sinh.jpg"),
        (4, scan, "ket-hon.pdf")]), headers=bearer(people.resident))
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(code=response.json()["code"])
    rows = list(dossier.components.order_by("pk"))
    assert [bool(r.file_id) for r in rows] == [False, True, True, True]
    # The same bytes for two components are stored once.
    assert DossierFile.objects.filter(dossier=dossier).count() == 2
    assert rows[1].file_id == rows[3].file_id and rows[1].file is not None
    assert rows[1].file.content_type == "application/pdf"
    assert rows[1].file.original_name == "to-khai.pdf"
    assert str(rows[1].file.file.name).startswith("dossiers/")
    assert rows[2].file is not None and default_storage.exists(str(rows[2].file.file.name))
    detail = client.get(f"/api/v1/dossiers/{dossier.code}", headers=bearer(people.officer))
    parts = detail.json()["components"]
    assert [p["number"] for p in parts] == [3, 1, 2, 4]
    assert detail.json()["components_replaced_by_data"] == 1
    assert parts[1]["file_type"] == "application/pdf" and parts[1]["file"]
    read = PersonalDataRead.objects.get(reader=people.officer)
    assert "components.data_read" in read.fields and "applicant_id_number" in read.fields


@pytest.mark.parametrize(("data", "code"), [
    (b"%PDF-1.7\n1 0 obj broken", "file_type"),
    (b"MZ\x90\x00 an executable", "file_type"),
    (png_header(100_000, 100_000), "file_too_many_pixels"),
])
def test_a_bad_file_refuses_the_whole_dossier_and_stores_nothing(
    catalogue: None, people: Personas, data: bytes, code: str,
) -> None:
    response = Client().post("/api/v1/dossiers/with-files", _multipart(people, [
        (1, pdf(1), "good.pdf"), (2, data, "bad.pdf")]), headers=bearer(people.resident))
    assert response.status_code == 400 and response.json()["code"] == code
    assert "bad.pdf" in response.json()["detail"]
    assert not Dossier.objects.exists() and not DossierFile.objects.exists()


def test_files_over_the_size_limit_and_unpaired_files_are_refused(
    catalogue: None, people: Personas, settings: Settings,
) -> None:
    settings.CITYHALL_DOSSIERS_FILE_MAX_BYTES = 1000
    client = Client()
    big = client.post("/api/v1/dossiers/with-files", _multipart(
        people, [(1, pdf(1) + b" " * 2000, "big.pdf")]), headers=bearer(people.resident))
    assert big.status_code == 400 and big.json()["code"] == "file_too_large"
    body = _multipart(people, [(1, b"x", "a.pdf")])
    body["file_components"] = []
    unpaired = client.post("/api/v1/dossiers/with-files", body, headers=bearer(people.resident))
    assert unpaired.status_code == 400 and unpaired.json()["code"] == "invalid"
    shape = client.post("/api/v1/dossiers/with-files", {"dossier": "{\"procedure\": 1}"},
                        headers=bearer(people.resident))
    assert shape.status_code == 422
    both = _multipart(people, [(3, pdf(1), "id.pdf")])
    refused = client.post("/api/v1/dossiers/with-files", both, headers=bearer(people.resident))
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_component"
    assert not Dossier.objects.exists()


def test_a_file_is_served_to_the_applicant_and_the_units_only_and_staff_reads_are_logged(
    catalogue: None, people: Personas,
) -> None:
    made = _online(people, [services.ComponentIn(number=1, file=pdf(1))])
    stored = DossierFile.objects.get(dossier=made.dossier)
    url = f"/dossiers/{made.dossier.code}/files/{stored.pk}/"
    client = Client()
    client.force_login(people.resident)
    mine = client.get(url)
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert mine["X-Content-Type-Options"] == "nosniff"
    assert not PersonalDataRead.objects.exists()
    client.force_login(people.officer)
    assert client.get(url).status_code == 200
    assert PersonalDataRead.objects.filter(reader=people.officer,
                                           purpose="dossiers.file").count() == 1
    client.force_login(people.outsider)
    assert client.get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_bytes_left_by_a_rolled_back_submission_are_swept_as_orphans(
    catalogue: None, people: Personas,
) -> None:
    made = _online(people, [services.ComponentIn(number=1, file=pdf(1))])
    kept = str(DossierFile.objects.get().file.name)
    checked = uploads.check_files([pdf(3)])
    with pytest.raises(RuntimeError), transaction.atomic():
        rows = uploads.store_files(made.dossier, checked)
        orphan = str(rows[0].file.name)
        raise RuntimeError("the transaction fails after the bytes were written")
    assert default_storage.exists(orphan) and DossierFile.objects.count() == 1
    swept = sweep_orphans(10, force=True, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    assert swept.deleted == 1
    assert not default_storage.exists(orphan) and default_storage.exists(kept)


def test_the_online_form_takes_files_and_data_held(catalogue: None, people: Personas) -> None:
    client = Client()
    client.force_login(people.resident)
    page = client.get(f"/thu-tuc/{BIRTH}/nop-truc-tuyen/")
    assert 'enctype="multipart/form-data"' in page.content.decode()
    body = {"applicant_name": "Trần Thị Dân", "id_number": "079300000003",
            "competent_unit": people.ward.code, "use_data_3": "on",
            "file_1": SimpleUploadedFile("to-khai.pdf", pdf(1)),
            "file_3": SimpleUploadedFile("ignored.pdf", pdf(2)),
            "idempotency_key": page.context["form"].initial["idempotency_key"]}
    sent = client.post(f"/thu-tuc/{BIRTH}/nop-truc-tuyen/", body)
    assert sent.status_code == 302
    dossier = Dossier.objects.get()
    rows = {r.name: r for r in dossier.components.all()}
    assert rows["Tờ khai đăng ký khai sinh"].file is not None
    assert rows["Giấy tờ tùy thân của người đi đăng ký"].data_source == "population"
    # The data chosen replaces the paper: the file given with it is not stored.
    assert DossierFile.objects.count() == 1
    bad = client.post(f"/thu-tuc/{BIRTH}/nop-truc-tuyen/", {
        **body, "idempotency_key": "other", "use_data_3": "",
        "file_1": SimpleUploadedFile("x.pdf", b"not a pdf at all"),
        "file_3": SimpleUploadedFile("y.pdf", pdf(1))})
    assert bad.status_code == 400 and "x.pdf" in bad.content.decode()
    assert Dossier.objects.count() == 1


def test_the_applicant_supplies_files_and_the_clock_restarts_with_the_time_left(
    catalogue: None, people: Personas,
) -> None:
    # Received Monday 2 March 2026 09:00, a household business: 3 working days.
    made = services.receive_at_counter(
        actor=people.officer, procedure=HOUSEHOLD_BUSINESS, applicant=applicant(),
        account=people.resident, now=at(2026, 3, 2, 9))
    dossier = made.dossier
    first = dossier.appointment_at
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="accept",
                            now=at(2026, 3, 2, 10))
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="request_supplement",
                            comment="Bổ sung bản sao hợp đồng thuê nhà.", now=at(2026, 3, 3, 9))
    assert dossier.state == "supplement_requested" and dossier.clock_paused_at is not None
    # The applicant answers a week later, through the API, with a file.
    response = Client().post(f"/api/v1/dossiers/{dossier.code}/supplement", {
        "files": [SimpleUploadedFile("hop-dong.pdf", pdf(1))], "file_components": ["1"],
        "comment": "Đã bổ sung."}, headers=bearer(people.resident))
    assert response.status_code == 200, response.content
    dossier.refresh_from_db()
    assert dossier.state == "in_processing" and dossier.clock_paused_at is None
    # The working time that was left (from Tuesday 09:00) is kept: the appointment moves.
    assert dossier.appointment_at == dossier.due_at and dossier.appointment_at > first
    assert dossier.components.filter(file__isnull=False).count() == 1
    assert AuditEntry.objects.filter(action="dossiers.supply").exists()
    again = Client().post(f"/api/v1/dossiers/{dossier.code}/supplement", {
        "files": [SimpleUploadedFile("hop-dong.pdf", pdf(1))], "file_components": ["1"]},
        headers=bearer(people.resident))
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"


def test_a_counter_receipt_with_three_files_takes_its_code_last_in_few_statements(
    catalogue: None, people: Personas,
) -> None:
    def receive(key: str) -> services.Submission:
        files = [services.ComponentIn(number=1, file=pdf(1)),
                 services.ComponentIn(number=2, file=jpeg()),
                 services.ComponentIn(number=3, file=pdf(2))]
        return services.receive_at_counter(
            actor=people.officer, procedure=HOUSEHOLD_BUSINESS, applicant=applicant(),
            components=files, idempotency_key=key)

    receive("k-0")  # the day's counter and the workflow definition exist from here on
    with CaptureQueriesContext(connection) as done:
        made = receive("k-1")
    statements = [q["sql"] for q in done.captured_queries]
    written = [re.match(r'(?:INSERT INTO|UPDATE) "?(\w+)', sql) for sql in statements]
    # The dossier, its files (one statement) and components (one), then the code, the
    # dossier's row with it, the step, the audit entries (one), the roll-ups (one).
    assert [m.group(1) for m in written if m] == [
        "dossiers_dossier", "dossiers_dossierfile", "dossiers_dossiercomponent",
        "dossiers_dossiercounter", "dossiers_dossier", "workflow_transition",
        "core_auditentry", "indicators_dailytally"], statements
    assert len(statements) <= 17, statements
    dossier = made.dossier
    assert not dossier.code.startswith("~") and dossier.code.endswith("-0002")
    assert AuditEntry.objects.get(action="dossiers.submit",
                                  object_id=str(dossier.pk)).object_repr == dossier.code
    assert DossierFile.objects.filter(dossier=dossier).count() == 3
    assert dossier.components.filter(digitised_at=dossier.received_at).count() == 3
