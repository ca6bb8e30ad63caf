"""Report photos on the file layer: each refusal on the API and the web form, the request's
decoding budget, and photos cleaned by the worker, shown only once cleaned."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image
from pytest_django import Settings

from cityhall.core.models import AuditEntry
from cityhall.reports import services
from cityhall.reports.models import Report, ReportPhoto
from tests.factories import Personas, bearer
from tests.files_support import EICAR, HEIC, image, jpeg, png_header, png_with_text
from tests.reports_support import categories, flood
from tests.test_reports_web import flood_form

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = pytest.mark.django_db

LIMIT = 8 * 1024 * 1024


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CITYHALL_FILE_SCANNER = ""
    categories()


def _filed() -> services.Submission:
    return flood(now=None)


def _api_upload(client: Client, made: services.Submission, *files: tuple[str, bytes],
                lang: str = "en") -> Response:
    uploads = [SimpleUploadedFile(name, data, content_type="image/jpeg") for name, data in files]
    return client.post(f"/api/v1/reports/{made.report.code}/photos", {"photos": uploads},
                       headers={"X-Report-Token": made.private_token, "Accept-Language": lang})


def _form(client: Client, *files: tuple[str, bytes], lang: str = "en") -> Response:
    uploads = [SimpleUploadedFile(name, data, content_type="image/jpeg") for name, data in files]
    return client.post("/reports/new/", {**flood_form(), "photos": uploads},
                       headers={"Accept-Language": lang})


def _form_error(response: Response) -> str:
    body = response.content.decode()
    assert response.status_code == 400, body[:500]
    start = body.index('id="id_photos_error"')
    return body[start:body.index("</", start)]


# Each refusal, on the API and on the web form: a clear code and message, nothing stored.

REFUSALS: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("photo_too_many_pixels", lambda: png_header(9000, 6000),
     "has too many pixels: at most 50 megapixels are accepted.",
     "có quá nhiều điểm ảnh: chỉ nhận tối đa 50 megapixel."),
    ("photo_too_many_pixels", lambda: png_header(20_000, 20_000),  # 400 MP: Pillow's bomb
     "has too many pixels: at most 50 megapixels are accepted.",
     "có quá nhiều điểm ảnh: chỉ nhận tối đa 50 megapixel."),
    ("photo_type", lambda: HEIC, "is an HEIC image, not a JPEG, PNG or WebP image.",
     "là ảnh HEIC, không phải ảnh JPEG, PNG hoặc WebP."),
    ("photo_too_large", lambda: b"\xff\xd8\xff" + b"\x00" * (LIMIT + 200 * 1024),
     "is 8.2\xa0MB, larger than the limit of 8.0\xa0MB.",
     "có dung lượng 8,2\xa0MB, vượt giới hạn 8,0\xa0MB."),
    ("photo_infected", lambda: png_with_text(EICAR), "was refused by the virus scanner.",
     "bị phần mềm quét virus từ chối."),
]


@pytest.fixture
def scanner(settings: Settings) -> None:
    settings.CITYHALL_FILE_SCANNER = "tests.files_support.eicar_scanner"


@pytest.mark.parametrize(("code", "make", "english", "vietnamese"), REFUSALS)
def test_each_refusal_on_the_api_has_its_code_and_message(
    client: Client, scanner: None, code: str, make: Callable[[], bytes], english: str,
    vietnamese: str,
) -> None:
    made = _filed()
    response = _api_upload(client, made, ("IMG_0001.jpg", make()))
    assert response.status_code == 400, response.json()
    assert response.json() == {"code": code, "detail": f"IMG_0001.jpg {english}"}
    response = _api_upload(client, made, ("IMG_0001.jpg", make()), lang="vi")
    assert response.json()["detail"] == f"IMG_0001.jpg {vietnamese}"
    assert not ReportPhoto.everything.exists()
    refused = AuditEntry.objects.filter(action="reports.add_photos_refused")
    assert [e.changes["code"] for e in refused] == [code, code]


@pytest.mark.parametrize(("code", "make", "english", "vietnamese"), REFUSALS)
def test_each_refusal_on_the_web_form_is_shown_on_the_photos_field(
    client: Client, scanner: None, code: str, make: Callable[[], bytes], english: str,
    vietnamese: str,
) -> None:
    shown = _form_error(_form(client, ("IMG_0001.jpg", make())))
    assert f"IMG_0001.jpg {english}" in shown
    shown = _form_error(_form(client, ("IMG_0001.jpg", make()), lang="vi"))
    assert f"IMG_0001.jpg {vietnamese}" in shown
    assert not Report.objects.exists() and not ReportPhoto.everything.exists()
    refused = AuditEntry.objects.filter(action="reports.submit_refused")
    assert [e.changes["code"] for e in refused] == [code, code]


def test_a_scanner_that_cannot_answer_refuses_with_503_and_changes_nothing(
    client: Client, settings: Settings
) -> None:
    settings.CITYHALL_FILE_SCANNER = "tests.files_support.broken_scanner"
    made = _filed()
    response = _api_upload(client, made, ("a.jpg", jpeg()))
    assert response.status_code == 503
    assert response.json()["code"] == "photo_scan_failed"
    assert "try again later" in _form_error(_form(client, ("a.jpg", jpeg())))
    assert not ReportPhoto.everything.exists()


def test_a_photo_the_scanner_passes_is_kept(client: Client, scanner: None) -> None:
    made = _filed()
    response = _api_upload(client, made, ("a.png", png_with_text(b"harmless")))
    assert response.status_code == 201
    assert ReportPhoto.objects.get().content_type == "image/jpeg"


# Cleaning within the request's budget, the rest in the worker


def test_every_accepted_format_is_stored_as_a_plain_jpeg_within_the_side_limit(
    settings: Settings
) -> None:
    settings.CITYHALL_REPORTS_PHOTO_MAX_SIDE = 100
    report = flood(now=None, photos=[jpeg((400, 300)), image("PNG", (300, 400), "RGBA"),
                                     image("WEBP", (50, 40))]).report
    stored = list(report.photos.order_by("pk"))
    assert [(p.content_type, p.width, p.height) for p in stored] == [
        ("image/jpeg", 100, 75), ("image/jpeg", 75, 100), ("image/jpeg", 50, 40)]
    for photo in stored:
        assert (photo.file.name or "").endswith(".jpg")
        with photo.file.open("rb") as data, Image.open(data) as img:
            assert img.format == "JPEG" and img.size == (photo.width, photo.height)
        assert photo.original_name == ""  # the client's file name is not kept


def test_photos_past_the_requests_budget_are_left_to_the_worker(settings: Settings) -> None:
    first = jpeg()
    # The work of the first photo: its pixels decoded plus its bytes read.
    settings.CITYHALL_REPORTS_PHOTO_INLINE_BUDGET = 64 * 48 + len(first) + 100
    report = flood(now=None, photos=[first, jpeg((48, 64))]).report
    states = list(ReportPhoto.everything.filter(report=report).order_by("pk")
                  .values_list("state", flat=True))
    assert states == ["ready", "pending"]
    assert report.photos.count() == 1


def test_a_photo_left_to_the_worker_is_shown_only_once_cleaned(
    client: Client, settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CITYHALL_REPORTS_PHOTO_INLINE_BUDGET = 0
    made = flood(now=None, photos=[jpeg((400, 300), orientation=6)])
    pending = ReportPhoto.everything.get(report=made.report)
    assert pending.state == "pending" and pending.content_type == "image/jpeg"
    received = pending.file.name or ""
    url = f"/reports/{made.report.code}/photos/{pending.pk}/"
    assert client.get(url).status_code == 404
    follow = client.get(f"/api/v1/reports/{made.report.code}/follow",
                        headers={"X-Report-Token": made.private_token}).json()
    assert follow["photos"] == []
    open311 = client.get(f"/open311/v2/requests/{made.report.code}.json").json()[0]
    assert not open311.get("media_url")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("worker", "--once", stdout=None)
    photo = ReportPhoto.objects.get(report=made.report)
    assert (photo.width, photo.height) == (300, 400)  # turned upright
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"PhoneCam" not in response.getvalue()
    assert not default_storage.exists(received)  # the original, EXIF and all, is gone
    open311 = client.get(f"/open311/v2/requests/{made.report.code}.json").json()[0]
    assert open311["media_url"].endswith(url)


def test_a_photo_the_worker_cannot_decode_is_never_shown(
    settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CITYHALL_REPORTS_PHOTO_INLINE_BUDGET = 0
    whole = jpeg((400, 300))
    report = flood(now=None, photos=[whole[: len(whole) // 2]]).report  # the header is whole
    received = ReportPhoto.everything.get(report=report).file.name or ""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("worker", "--once", stdout=None)
    assert ReportPhoto.everything.get(report=report).state == "failed"
    assert not report.photos.exists()
    assert not default_storage.exists(received)
    assert AuditEntry.objects.filter(action="reports.photo_failed").count() == 1


def test_a_truncated_photo_cleaned_in_the_request_is_refused() -> None:
    whole = jpeg((400, 300))
    with pytest.raises(services.ReportError) as refused:
        flood(now=None, photos=[whole[: len(whole) // 2]])
    assert refused.value.code == "photo_type"
    assert not ReportPhoto.everything.exists()


def test_a_retried_upload_still_being_cleaned_is_not_stored_twice(
    client: Client, settings: Settings
) -> None:
    settings.CITYHALL_REPORTS_PHOTO_INLINE_BUDGET = 0
    made = _filed()
    first = _api_upload(client, made, ("a.jpg", jpeg()))
    again = _api_upload(client, made, ("a.jpg", jpeg()))
    assert (first.status_code, first.json()["added"]) == (201, 1)
    assert (again.status_code, again.json()["added"]) == (200, 0)
    assert first.json()["photos"] == []  # not shown until cleaned
    assert ReportPhoto.everything.count() == 1
    settings.CITYHALL_REPORTS_PHOTOS_MAX = 1
    other = _api_upload(client, made, ("b.jpg", jpeg((30, 30))))
    assert other.json()["code"] == "too_many_photos"  # the pending one counts


def test_staff_see_no_photo_still_being_cleaned(
    client: Client, settings: Settings, people: Personas,
) -> None:
    settings.CITYHALL_REPORTS_PHOTO_INLINE_BUDGET = 0
    made = flood(now=None, photos=[jpeg()])
    photo = ReportPhoto.everything.get()
    client.force_login(people.city_leader)
    assert client.get(f"/reports/{made.report.code}/photos/{photo.pk}/").status_code == 404
    detail = client.get(f"/api/v1/reports/{made.report.code}", headers=bearer(people.city_leader))
    assert detail.status_code == 200 and detail.json()["photos"] == []


# The migration


def test_the_migration_fills_the_digests_of_existing_photos() -> None:
    report = flood(now=None).report
    data = jpeg()
    photo = ReportPhoto(report=report, width=64, height=48, content_type="image/jpeg",
                        size=len(data), sha256="")
    photo.file.save("old.jpg", ContentFile(data), save=False)
    photo.save()
    migration = importlib.import_module(
        "cityhall.reports.migrations.0003_photos_on_the_file_layer")
    migration.fill_digests(apps, None)
    photo.refresh_from_db()
    import hashlib

    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.received_sha256 == photo.sha256
