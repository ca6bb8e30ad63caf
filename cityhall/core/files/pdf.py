"""PDF page counts with pypdf, reading the cross-reference table and the page tree only; and
what a scanned PDF's page images say of the scan (resolution, colour), from their dictionaries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import IO, Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError
from pypdf.generic import ArrayObject, NameObject

# pypdf logs every defect it repairs; an upload's refusal already says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class EncryptedPdf(Exception):
    """A PDF that cannot be read without its password."""


def count_pages(file: IO[bytes]) -> int:
    """The number of pages, from the page tree itself (a wrong /Count is not believed).

    Page contents, fonts and images are never parsed. Raises `EncryptedPdf` for a PDF
    that needs a password, and pypdf's errors (or others) for one that does not parse.
    """
    file.seek(0)
    reader = PdfReader(file, strict=False)
    if reader.is_encrypted:
        try:
            # An empty user password opens PDFs that are only restricted, not secret.
            reader.decrypt("")
            return len(reader.pages)
        except (DependencyError, FileNotDecryptedError):
            raise EncryptedPdf from None
    return len(reader.pages)


@dataclass(frozen=True)
class PageScan:
    """A page of a scanned PDF as its largest image shows it: pixels, resolution, colour."""

    page: int  # from 1
    width_px: int
    height_px: int
    #: The image's resolution on the page, the lower of the two directions (0: no image).
    dpi: int
    #: Whether the image has colour channels (RGB, CMYK, Lab, an ICC profile of 3 or 4
    #: components, or a palette over one of those); grey and black-and-white are not.
    colour: bool


def _colour(space: Any) -> bool:
    """Whether a PDF colour space carries colour (not grey, not black and white)."""
    space = space.get_object() if hasattr(space, "get_object") else space
    if isinstance(space, list | ArrayObject) and space:
        family = str(space[0])
        if family == "/ICCBased":
            stream = space[1].get_object()
            return int(stream.get("/N", 1)) >= 3
        if family == "/Indexed":
            return _colour(space[1])
        if family in ("/CalRGB", "/Lab", "/DeviceN"):
            return family != "/DeviceN" or len(space[1]) >= 3
        if family == "/CalGray":
            return False
        return _colour(space[0])
    return str(space) in ("/DeviceRGB", "/DeviceCMYK", "/CalRGB", "/Lab")


def _images(resources: Any, depth: int = 0) -> list[tuple[int, int, bool]]:
    """(width, height, colour) of every image a page's resources name, into forms (3 deep)."""
    found: list[tuple[int, int, bool]] = []
    if resources is None or depth > 3:
        return found
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return found
    for ref in xobjects.get_object().values():
        xobject = ref.get_object()
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            colour = False if xobject.get("/ImageMask") else _colour(
                xobject.get("/ColorSpace", NameObject("/DeviceGray")))
            found.append((int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0)), colour))
        elif subtype == "/Form":
            found.extend(_images(xobject.get("/Resources"), depth + 1))
    return found


def scan_pages(file: IO[bytes], *, max_pages: int = 500) -> list[PageScan]:
    """Each page's largest image (a scanner puts one image on each page), its resolution
    on the page and whether it is in colour, read from the page's size and the image's
    dictionary (no pixel is decoded). A page without an image has dpi 0.

    The resolution is the image's pixels over the page's inches, side against side (the
    longer against the longer, so a page turned by /Rotate counts the same), the lower of
    the two. Raises `EncryptedPdf`, or pypdf's errors for a PDF that does not parse.
    """
    file.seek(0)
    reader = PdfReader(file, strict=False)
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except (DependencyError, FileNotDecryptedError):
            raise EncryptedPdf from None
    pages: list[PageScan] = []
    for number, page in enumerate(reader.pages[:max_pages], start=1):
        box = page.mediabox
        sides = sorted((abs(float(box.width)), abs(float(box.height))))
        images = _images(page.get("/Resources"))
        if not images or sides[0] <= 0:
            pages.append(PageScan(number, 0, 0, 0, False))
            continue
        width, height, colour = max(images, key=lambda i: i[0] * i[1])
        pixels = sorted((width, height))
        dpi = min(pixels[0] / (sides[0] / 72), pixels[1] / (sides[1] / 72))
        pages.append(PageScan(number, width, height, int(dpi + 0.5), colour))
    return pages
