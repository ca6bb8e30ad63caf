"""Photo checks: the type read from the content, a size limit, EXIF (and so GPS) removed."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: Formats accepted, as Pillow names them, with the content type and extension stored.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}
# Decompression bombs: refuse images with more pixels than a 50-megapixel camera gives.
MAX_PIXELS = 50_000_000


class PhotoRejected(ValueError):
    """An upload that is not an accepted image, or too big; `code` says which."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CleanPhoto:
    """An image re-encoded from its pixels only: no EXIF, no GPS, no comments."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def clean_photo(data: bytes, *, name: str = "") -> CleanPhoto:
    """Check an upload by its content and return it re-encoded without metadata."""
    limit = settings.CITYHALL_REPORTS_PHOTO_MAX_BYTES
    label = name or _("the photo")
    if len(data) > limit:
        raise PhotoRejected("photo_too_large", _(
            "%(name)s is larger than %(mb)s MB.") % {"name": label, "mb": round(limit / 2**20, 1)})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            if fmt not in FORMATS:
                raise PhotoRejected("photo_type", _(
                    "%(name)s is not a JPEG, PNG or WebP image.") % {"name": label})
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoRejected("photo_too_large", _(
                    "%(name)s has too many pixels.") % {"name": label})
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            # Apply the orientation tag to the pixels before the tag goes with the rest.
            upright = ImageOps.exif_transpose(img)
            if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            clean = Image.new(upright.mode, upright.size)
            clean.paste(upright)
            out = io.BytesIO()
            options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
            clean.save(out, format=fmt, **options)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoRejected("photo_type", _(
            "%(name)s is not a JPEG, PNG or WebP image.") % {"name": label}) from None
    content_type, extension = FORMATS[fmt]
    body = out.getvalue()
    return CleanPhoto(data=body, content_type=content_type, extension=extension,
                      width=clean.width, height=clean.height,
                      sha256=hashlib.sha256(body).hexdigest())
