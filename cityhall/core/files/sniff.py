"""What a file is, from its first bytes: never from the name or the type the client gave."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: How many leading bytes `sniff` needs.
HEAD = 32


@dataclass(frozen=True)
class Kind:
    """A file type recognised from its signature; `label` names it in a refusal."""

    content_type: str
    extension: str
    label: str | Promise


JPEG = Kind("image/jpeg", "jpg", _("a JPEG image"))
PNG = Kind("image/png", "png", _("a PNG image"))
WEBP = Kind("image/webp", "webp", _("a WebP image"))
PDF = Kind("application/pdf", "pdf", _("a PDF document"))
# Recognised only to say what was sent instead: phones' HEIC photos above all.
HEIC = Kind("image/heic", "heic", _("an HEIC image"))
AVIF = Kind("image/avif", "avif", _("an AVIF image"))
GIF = Kind("image/gif", "gif", _("a GIF image"))
TIFF = Kind("image/tiff", "tif", _("a TIFF image"))
# A ZIP archive: office documents are ZIP archives too; `office.identify` says which.
ZIP = Kind("application/zip", "zip", _("a ZIP archive"))

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
                b"mif1", b"msf1"}


def sniff(head: bytes) -> Kind | None:
    """The kind whose signature `head` (the first `HEAD` bytes) starts with, if any.

    The signature only picks the parser; the parser (Pillow, pypdf) is the real check.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return AVIF
        if brand in _HEIF_BRANDS:
            return HEIC
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    return None
