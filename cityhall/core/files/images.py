"""Images within a budget: size from the header, decoding at reduced scale, metadata dropped."""

from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

#: Pillow's format for each image content type the layer can read.
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
#: What Pillow may raise on a file that is not the image its first bytes promise.
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
              struct.error, Image.DecompressionBombError)
#: Quality of the JPEG a cleaned image is stored as.
JPEG_QUALITY = 85


class TooManyPixels(Exception):
    """The header declares more pixels than Pillow itself will open."""


@dataclass(frozen=True)
class CleanImage:
    """An image re-encoded from its pixels only (no EXIF, GPS, comments or profiles)."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _open(file: IO[bytes], content_type: str) -> Image.Image:
    file.seek(0)
    with warnings.catch_warnings():
        # Our own pixel limit is checked from the same header, with a clearer refusal.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(file, formats=[PILLOW_FORMATS[content_type]])
        except Image.DecompressionBombError:
            raise TooManyPixels from None


def header_size(file: IO[bytes], content_type: str) -> tuple[int, int]:
    """Width and height as the header declares them; no pixel is decoded.

    Raises `TooManyPixels` past twice Pillow's own limit (~179 megapixels), where Pillow
    refuses to open, and one of `UNREADABLE` when the header is not of that format.
    """
    with _open(file, content_type) as img:
        return img.size


def fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` shrunk, keeping its proportions, so that no side exceeds `max_side`."""
    width, height = size
    scale = max_side / max(width, height, 1)
    if scale >= 1:
        return width, height
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def decoded_size(file: IO[bytes], content_type: str, max_side: int) -> tuple[int, int]:
    """The size that cleaning for `max_side` decodes: JPEGs at 1/2, 1/4 or 1/8 scale when that
    still covers the result (libjpeg's DCT scaling), other formats in full."""
    with _open(file, content_type) as img:
        if img.format in ("JPEG", "MPO"):
            img.draft(None, fit(img.size, max_side))
        return img.size


def _flatten(img: Image.Image) -> Image.Image:
    """The image as RGB or L, transparency composed on white, 16-bit scaled down to 8-bit."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGB", img.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if img.mode not in ("RGB", "L"):
        return img.convert("RGB")
    return img


def clean_image(file: IO[bytes], content_type: str, *, max_side: int) -> CleanImage:
    """Decode within `max_side` (JPEGs at reduced scale), turn it upright, store it as a JPEG.

    The result carries the pixels only: EXIF (and so GPS), XMP, comments and colour
    profiles stay behind. Raises one of `UNREADABLE` when the data does not decode.
    """
    with _open(file, content_type) as img:
        target = fit(img.size, max_side)
        if img.format in ("JPEG", "MPO"):
            # Decode at the smallest DCT scale that still covers the target: a 50-megapixel
            # photo is read as ~3 megapixels, in a fraction of the time and memory.
            img.draft(None, target)
        if img.mode in ("P", "1"):
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        # Pillow's thumbnail: a box `reduce` by whole factors, then bicubic on the rest.
        img.thumbnail(target)
        # The orientation tag turns the pixels before it goes with the other metadata.
        upright = _flatten(ImageOps.exif_transpose(img))
        clean = Image.new(upright.mode, upright.size)
        clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY)
    return CleanImage(data=out.getvalue(), content_type="image/jpeg", extension="jpg",
                      width=clean.width, height=clean.height)
