"""The procedure catalogue: the seed, the import (all or nothing), search, API and pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook

from cityhall.core.models import AuditEntry
from cityhall.procedures.catalogue import COLUMNS, CatalogueError, read_csv, read_seed
from cityhall.procedures.models import Level, OnlineLevel, Procedure, ProcedureComponent
from tests.dossiers_support import BIRTH, procedures

pytestmark = pytest.mark.django_db


def test_the_seed_holds_at_least_25_checked_procedures_at_both_levels() -> None:
    rows = read_seed()
    assert len(rows) >= 25
    assert {r.level for r in rows} == {Level.COMMUNE, Level.PROVINCE}
    assert len({r.code for r in rows}) == len(rows)
    names = {r.name for r in rows}
    assert {"Đăng ký khai sinh", "Cấp Giấy xác nhận tình trạng hôn nhân",
            "Đăng ký thành lập hộ kinh doanh", "Đăng ký thường trú"} <= names
    assert all(r.components for r in rows)


def test_loading_the_seed_twice_changes_nothing_the_second_time() -> None:
    call_command("load_procedures", verbosity=0)
    first = Procedure.objects.count()
    out = io.StringIO()
    call_command("load_procedures", stdout=out)
    assert Procedure.objects.count() == first >= 25
    assert "0 created, 0 updated" in out.getvalue()
    birth = Procedure.objects.get(code=BIRTH)
    assert birth.online == OnlineLevel.FULLY and birth.fee_vnd == 0
    assert [c.order for c in birth.components.all()] == [1, 2, 3, 4]
    assert birth.components.filter(data_source="population").exists()


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode()


GOOD = {"code": "1.000494.000.00.00.H29", "name": "Thủ tục thử", "sector": "Hộ tịch",
        "level": "commune", "decided_by": "commune", "days": "5", "online": "partly",
        "result": "Trích lục", "fee": "10.000", "result_electronic": "có",
        "components": "Tờ khai | 1 | to-khai.docx | population\nBản sao giấy tờ | 2 | |"}


def test_a_csv_file_is_imported_with_its_components(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_bytes(_csv([GOOD]))
    call_command("import_procedures", str(path), verbosity=0)
    found = Procedure.objects.get(code=GOOD["code"])
    assert found.fee_vnd == 10_000 and found.result_electronic and found.processing_days == 5
    parts = list(found.components.values_list("name", "copies", "form_file", "data_source"))
    assert parts == [("Tờ khai", 1, "to-khai.docx", "population"),
                     ("Bản sao giấy tờ", 2, "", "")]
    assert AuditEntry.objects.filter(action="procedures.import").exists()


def test_one_bad_row_refuses_the_whole_file_and_names_every_problem(tmp_path: Path) -> None:
    bad = dict(GOOD, code="1.000495.000.00.00.H29", level="district", days="0")
    also_bad = dict(GOOD, code="not-a-code")
    path = tmp_path / "catalogue.csv"
    path.write_bytes(_csv([GOOD, bad, also_bad]))
    with pytest.raises(CommandError) as caught:
        call_command("import_procedures", str(path), verbosity=0)
    message = str(caught.value)
    assert "row 3: level" in message and "row 3: days" in message and "row 4: code" in message
    assert not Procedure.objects.exists() and not ProcedureComponent.objects.exists()
    assert AuditEntry.objects.filter(action="procedures.import_refused").count() == 1


def test_an_xlsx_file_is_imported(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    sheet.append([GOOD.get(c, "") if c not in ("days", "fee") else
                  {"days": 5.0, "fee": 10000}[c] for c in COLUMNS])
    path = tmp_path / "catalogue.xlsx"
    book.save(path)
    call_command("import_procedures", str(path), verbosity=0)
    assert Procedure.objects.get(code=GOOD["code"]).processing_days == 5


def test_a_broken_xlsx_or_a_duplicate_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_procedures", str(path), verbosity=0)
    with pytest.raises(CatalogueError, match="already on row 2"):
        read_csv(_csv([GOOD, GOOD]))


def test_search_ignores_diacritics_and_filters_by_sector_level_and_online() -> None:
    procedures()
    client = Client()
    body = client.get("/api/v1/procedures", {"q": "dang ky khai sinh"}).json()
    assert body["count"] >= 1 and body["items"][0]["code"] == BIRTH
    assert client.get("/api/v1/procedures", {"q": "1.001193"}).json()["items"][0]["code"] == BIRTH
    civil = client.get("/api/v1/procedures", {"sector": "ho tich", "limit": "200"}).json()
    assert civil["count"] >= 5 and all(i["sector"] == "Hộ tịch" for i in civil["items"])
    city = client.get("/api/v1/procedures", {"level": "province", "online": "fully"}).json()
    assert city["count"] >= 1
    assert all(i["level"] == "province" and i["online"] == "fully" for i in city["items"])
    assert client.get("/api/v1/procedures", {"level": "district"}).status_code == 422


def test_the_detail_gives_components_fees_time_result_and_legal_basis() -> None:
    procedures()
    body = Client().get(f"/api/v1/procedures/{BIRTH}").json()
    assert body["name"] == "Đăng ký khai sinh" and body["processing_days"] == 1
    assert "Luật Hộ tịch" in body["legal_basis"] and body["result_electronic"] is True
    assert body["components"][2]["replaceable_by"] == "population"
    assert Client().get("/api/v1/procedures/1.999999.000.00.00.H29").status_code == 404


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_catalogue_pages_search_and_show_a_procedure(language: str) -> None:
    procedures()
    client = Client(headers={"Accept-Language": language})
    page = client.get("/thu-tuc/", {"q": "xac nhan tinh trang hon nhan"})
    assert page.status_code == 200
    text = page.content.decode()
    expected = ("Cấp Giấy xác nhận tình trạng hôn nhân" if language == "vi"
                else "Marital status certificate")
    assert expected in text and "Đăng ký khai sinh" not in text
    detail = client.get(f"/thu-tuc/{BIRTH}/")
    assert detail.status_code == 200 and "Giấy chứng sinh" in detail.content.decode()
    assert client.get("/thu-tuc/1.999999.000.00.00.H29/").status_code == 404
    assert client.get("/thu-tuc/", {"level": "nowhere"}).status_code == 200
