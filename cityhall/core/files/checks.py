"""Checking an upload against a policy: size, type from the bytes, pixels or pages, viruses."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import IO, Any

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityhall.core.files import images, office, pdf, scan
from cityhall.core.files.errors import FileError, FileRejected
from cityhall.core.files.sniff import HEAD, ZIP, Kind, sniff

_THE_FILE = gettext_lazy("the file")


@dataclass(frozen=True)
class FilePolicy:
    """What one use of uploads accepts (report photos, dossier components, documents...)."""

    #: Content types accepted, as `sniff` recognises them from the bytes.
    types: frozenset[str]
    max_bytes: int
    #: The accepted types in words, for refusals: "a JPEG, PNG or WebP image".
    accepted: str | Promise
    #: Images: the most pixels the header may declare (checked before any decoding).
    max_pixels: int = 50_000_000
    #: PDFs: the most pages.
    max_pages: int = 500
    #: What an upload without a name is called in refusals.
    label: str | Promise = _THE_FILE


@dataclass(frozen=True)
class Upload:
    """An upload the policy accepts: its bytes (seekable), what it is, its SHA-256."""

    file: IO[bytes]
    kind: Kind
    size: int
    sha256: str
    #: The client's file name (for messages and `original_name`), never used as a path.
    name: str
    width: int = 0
    height: int = 0
    pages: int = 0

    @property
    def content_type(self) -> str:
        return self.kind.content_type

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _reject(code: FileError, message: str, **values: Any) -> FileRejected:
    return FileRejected(code, message % values)


def _megapixels(pixels: int) -> str:
    value = round(pixels / 1_000_000, 1)
    return number_format(int(value) if value.is_integer() else value)


def _stream(source: Any) -> tuple[IO[bytes], int, str]:
    """The source as a seekable binary file, its size and its client name."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return io.BytesIO(data), len(data), ""
    name = str(getattr(source, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    size = getattr(source, "size", None)
    if size is None:
        source.seek(0, io.SEEK_END)
        size = source.tell()
    source.seek(0)
    return source, int(size), name[:100]


def sha256_of(file: IO[bytes]) -> str:
    """The SHA-256 of the whole file, read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def check_upload(source: Any, *, policy: FilePolicy, name: str = "") -> Upload:
    """Check an upload (bytes or a file) against `policy`; raise `FileRejected` with the reason.

    In this order, each step reading no more than it must: the size; the type from the
    first bytes; for images the pixel count from the header (nothing is decoded), for
    PDFs the page count from the page tree; the virus scanner; the SHA-256.
    """
    file, size, client_name = _stream(source)
    name = (name or client_name)[:100]
    label = name or str(policy.label)
    if size > policy.max_bytes:
        raise _reject(FileError.TOO_LARGE, _(
            "%(name)s is %(size)s, larger than the limit of %(limit)s."),
            name=label, size=filesizeformat(size), limit=filesizeformat(policy.max_bytes))
    kind = sniff(file.read(HEAD))
    file.seek(0)
    if kind is ZIP:
        # Office documents are ZIP archives: which one (or another archive) is read inside.
        kind = office.identify(file) or ZIP
    if kind is None:
        raise _reject(FileError.TYPE, _("%(name)s is not %(accepted)s."),
                      name=label, accepted=policy.accepted)
    if kind.content_type not in policy.types:
        raise _reject(FileError.TYPE, _("%(name)s is %(kind)s, not %(accepted)s."),
                      name=label, kind=kind.label, accepted=policy.accepted)
    width = height = pages = 0
    if kind.content_type in images.PILLOW_FORMATS:
        width, height = _image_size(file, kind, label, policy)
    elif kind.content_type == "application/pdf":
        pages = _page_count(file, label, policy)
    try:
        scan.scan(file, name=name, content_type=kind.content_type)
    except scan.Infected:
        raise _reject(FileError.INFECTED, _("%(name)s was refused by the virus scanner."),
                      name=label) from None
    except scan.ScanFailed:
        raise _reject(FileError.SCAN_FAILED, _(
            "%(name)s could not be checked for viruses just now; try again later."),
            name=label) from None
    return Upload(file=file, kind=kind, size=size, sha256=sha256_of(file), name=name,
                  width=width, height=height, pages=pages)


def _image_size(file: IO[bytes], kind: Kind, label: str, policy: FilePolicy) -> tuple[int, int]:
    too_many = _("%(name)s has too many pixels: at most %(limit)s megapixels are accepted.")
    try:
        width, height = images.header_size(file, kind.content_type)
    except images.TooManyPixels:
        raise _reject(FileError.TOO_MANY_PIXELS, too_many, name=label,
                      limit=_megapixels(policy.max_pixels)) from None
    except Exception:
        raise _reject(FileError.TYPE, _("%(name)s is not %(accepted)s."),
                      name=label, accepted=policy.accepted) from None
    finally:
        file.seek(0)
    if width * height > policy.max_pixels:
        raise _reject(FileError.TOO_MANY_PIXELS, too_many, name=label,
                      limit=_megapixels(policy.max_pixels))
    return width, height


def _page_count(file: IO[bytes], label: str, policy: FilePolicy) -> int:
    try:
        pages = pdf.count_pages(file)
    except pdf.EncryptedPdf:
        raise _reject(FileError.ENCRYPTED, _(
            "%(name)s is protected by a password; send it without one."), name=label) from None
    except Exception:
        raise _reject(FileError.TYPE, _("%(name)s is not %(accepted)s."),
                      name=label, accepted=policy.accepted) from None
    finally:
        file.seek(0)
    if pages > policy.max_pages:
        raise _reject(FileError.TOO_MANY_PAGES, _(
            "%(name)s has %(pages)s pages; at most %(limit)s are accepted."),
            name=label, pages=pages, limit=policy.max_pages)
    return pages
