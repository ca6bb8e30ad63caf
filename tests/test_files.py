"""The shared file layer (cityhall.core.files): checks from the bytes, budgets, storage, serving."""

from __future__ import annotations

import hashlib
import io
import runpy
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import translation
from PIL import Image
from pytest_django import Settings

from cityhall.core.env import EnvError
from cityhall.core.files import FileError, FilePolicy, FileRejected, check_upload, images
from cityhall.core.files.serve import serve_file
from cityhall.reports.models import ReportPhoto
from tests.files_support import (
    EICAR,
    HEIC,
    encrypted_pdf,
    image,
    jpeg,
    pdf,
    png_header,
    png_with_text,
)

PHOTOS = FilePolicy(types=frozenset(images.PILLOW_FORMATS), max_bytes=1_000_000,
                    accepted="a JPEG, PNG or WebP image", max_pixels=10_000_000)
PDFS = FilePolicy(types=frozenset({"application/pdf"}), max_bytes=1_000_000,
                  accepted="a PDF document", max_pages=2)


def refusal(source: Any, policy: FilePolicy = PHOTOS, **kwargs: Any) -> FileRejected:
    with translation.override("en"), pytest.raises(FileRejected) as caught:
        check_upload(source, policy=policy, **kwargs)
    return caught.value


class Unreadable(io.BytesIO):
    """An upload that must not be read: only its declared size is looked at."""

    size = 5_000_000
    name = "huge.jpg"

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the body was read")


# Type, from the bytes


def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    upload = check_upload(io.BytesIO(image("PNG")), policy=PHOTOS, name="holiday.jpg")
    assert upload.content_type == "image/png" and upload.kind.extension == "png"
    assert (upload.width, upload.height) == (40, 30)


@pytest.mark.parametrize(("data", "named"), [
    (HEIC, "an HEIC image"), (pdf(1), "a PDF document"), (image("GIF"), "a GIF image"),
])
def test_a_known_type_that_is_not_accepted_is_named_in_the_refusal(data: bytes, named: str
                                                                   ) -> None:
    refused = refusal(data, name="IMG_0001.jpg")
    assert refused.code == FileError.TYPE
    assert refused.detail == f"IMG_0001.jpg is {named}, not a JPEG, PNG or WebP image."


def test_bytes_of_no_known_type_are_refused() -> None:
    refused = refusal(b"<svg onload=alert(1)>", name="x.png")
    assert (refused.code, refused.detail) == (FileError.TYPE,
                                              "x.png is not a JPEG, PNG or WebP image.")
    # A correct signature followed by garbage fails at the header.
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40).code == FileError.TYPE


# Size, pixels, pages


def test_too_many_bytes_are_refused_from_the_declared_size_without_reading() -> None:
    refused = refusal(Unreadable())
    assert refused.code == FileError.TOO_LARGE
    assert refused.detail == "huge.jpg is 4.8\xa0MB, larger than the limit of 976.6\xa0KB."


@pytest.mark.parametrize("side", [4000, 20_000])  # 16 MP: our limit; 400 MP: Pillow's too
def test_too_many_pixels_are_refused_from_the_header_before_decoding(side: int) -> None:
    data = png_header(side, side)
    assert len(data) < 200  # nothing to decode: only the header says how big it is
    refused = refusal(data, name="bomb.png")
    assert refused.code == FileError.TOO_MANY_PIXELS
    assert refused.detail == ("bomb.png has too many pixels: at most 10 megapixels are "
                              "accepted.")


def test_pdf_pages_are_counted_from_the_page_tree() -> None:
    assert check_upload(pdf(2), policy=PDFS).pages == 2
    refused = refusal(pdf(3), PDFS, name="scan.pdf")
    assert refused.code == FileError.TOO_MANY_PAGES
    assert refused.detail == "scan.pdf has 3 pages; at most 2 are accepted."
    assert refusal(encrypted_pdf(), PDFS).code == FileError.ENCRYPTED
    assert refusal(b"%PDF-1.7\n% not really\n", PDFS).code == FileError.TYPE


# The scanner hook


def test_without_a_scanner_uploads_are_not_scanned(settings: Settings) -> None:
    settings.CITYHALL_FILE_SCANNER = ""
    assert check_upload(png_with_text(EICAR), policy=PHOTOS).content_type == "image/png"


def test_the_scanner_sees_the_whole_upload_and_its_refusal_has_its_own_code(
    settings: Settings
) -> None:
    settings.CITYHALL_FILE_SCANNER = "tests.files_support.eicar_scanner"
    assert check_upload(png_with_text(b"harmless"), policy=PHOTOS).size > 0
    refused = refusal(png_with_text(EICAR), name="a.png")
    assert (refused.code, refused.detail) == (FileError.INFECTED,
                                              "a.png was refused by the virus scanner.")


def test_a_scanner_that_fails_refuses_the_upload(settings: Settings) -> None:
    settings.CITYHALL_FILE_SCANNER = "tests.files_support.broken_scanner"
    assert refusal(png_with_text(b"harmless")).code == FileError.SCAN_FAILED


def test_the_sha256_is_of_the_bytes_received() -> None:
    data = jpeg()
    assert check_upload(data, policy=PHOTOS).sha256 == hashlib.sha256(data).hexdigest()


# Images within a budget


def test_a_large_jpeg_is_decoded_at_reduced_scale() -> None:
    data = jpeg((4000, 3000))
    assert images.decoded_size(io.BytesIO(data), "image/jpeg", 1920) == (2000, 1500)
    # PNG has no reduced decoding: all its pixels count.
    png = image("PNG", (4000, 3000))
    assert images.decoded_size(io.BytesIO(png), "image/png", 1920) == (4000, 3000)


def test_a_cleaned_image_is_upright_within_the_side_limit_and_without_metadata() -> None:
    # Orientation 6: the camera was turned; the stored pixels must be turned back.
    data = jpeg((4000, 3000), orientation=6)
    clean = images.clean_image(io.BytesIO(data), "image/jpeg", max_side=1920)
    assert (clean.width, clean.height) == (1440, 1920)
    with Image.open(io.BytesIO(clean.data)) as img:
        assert img.format == "JPEG" and not img.getexif() and "icc_profile" not in img.info
        # The blue mark, top-left in the sensor's frame, is top-right once upright.
        assert img.getpixel((1400, 30))[2] > 150  # type: ignore[index]
    assert b"PhoneCam" not in clean.data


@pytest.mark.parametrize(("mode", "colour", "expected"), [
    ("RGBA", (0, 0, 0, 0), (255, 255, 255)),  # transparent: white, not black
    ("I;16", 40_000, 156),  # 16-bit grey scaled down, not clipped to white
])
def test_transparency_and_16_bit_images_keep_their_look(mode: str, colour: Any,
                                                        expected: Any) -> None:
    out = io.BytesIO()
    Image.new(mode, (30, 20), colour).save(out, format="PNG")
    clean = images.clean_image(out, "image/png", max_side=1920)
    with Image.open(io.BytesIO(clean.data)) as img:
        pixel = img.getpixel((5, 5))
    assert pixel is not None
    values = pixel if isinstance(pixel, tuple) else (pixel,)
    wanted = expected if isinstance(expected, tuple) else (expected,)
    assert all(abs(a - b) <= 2 for a, b in zip(values, wanted, strict=True))


# Storage and serving (ReportPhoto is the layer's first concrete model)


@pytest.mark.django_db
def test_a_stored_file_is_named_by_us_and_served_with_safe_headers(
    settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    data = b"\xff\xd8\xff not really"
    photo = ReportPhoto(width=1, height=1)
    photo.put(data, content_type="image/jpeg", extension="jpg", stem="PA-260302-0001-abc")
    name = photo.file.name or ""
    assert name.startswith("reports/") and name.endswith(".jpg") and "PA-260302-0001-abc" in name
    assert (photo.sha256, photo.size) == (hashlib.sha256(data).hexdigest(), len(data))
    request = RequestFactory().get("/")
    response = serve_file(photo, request=request, filename="PA-260302-0001-1.jpg")
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="PA-260302-0001-1.jpg"'
    assert response["ETag"] == f'"{photo.sha256}"'
    assert response["Cache-Control"] == "private, max-age=3600"
    again = RequestFactory().get("/", headers={"If-None-Match": response["ETag"]})
    assert serve_file(photo, request=again).status_code == 304
    attachment = serve_file(photo, attachment=True)
    assert attachment["Content-Disposition"] == "attachment"


# Settings


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    monkeypatch.setenv("DEBUG", "1")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_module("cityhall.settings")


def test_files_are_kept_under_var_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITYHALL_FILE_STORAGE", raising=False)
    values = _settings(monkeypatch)
    assert values["STORAGES"]["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert str(values["MEDIA_ROOT"]).endswith("media")


def test_an_s3_bucket_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "storages" else real(name, *a))
    values = _settings(monkeypatch, CITYHALL_FILE_STORAGE="s3",
                       CITYHALL_FILE_STORAGE_BUCKET="cityhall-files",
                       CITYHALL_FILE_STORAGE_ENDPOINT_URL="https://s3.example.gov.vn",
                       CITYHALL_FILE_STORAGE_PREFIX="prod")
    default = values["STORAGES"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "cityhall-files"
    assert default["OPTIONS"]["endpoint_url"] == "https://s3.example.gov.vn"
    assert default["OPTIONS"]["location"] == "prod"
    assert default["OPTIONS"]["default_acl"] == "private"
    assert default["OPTIONS"]["access_key"] is None  # boto3's own chain


def test_bad_storage_settings_stop_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "storages" else real(name, *a))
    with pytest.raises(EnvError, match=r"cityhall\[s3\]"):
        _settings(monkeypatch, CITYHALL_FILE_STORAGE="s3", CITYHALL_FILE_STORAGE_BUCKET="b")
    with pytest.raises(EnvError, match="filesystem or s3"):
        _settings(monkeypatch, CITYHALL_FILE_STORAGE="ftp")
