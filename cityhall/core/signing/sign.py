"""Signing a PDF with PAdES (baseline B-B), visibly or not, as an incremental update."""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from PIL import Image
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import BaseStampStyle, StaticStampStyle, TextStamp, TextStampStyle

from cityhall.core.pdf import SHIPPED_FONTS
from cityhall.core.signing.errors import SigningCode, SigningRefused
from cityhall.core.signing.placement import SIGNING_TIME, SignatureBox, png_size

#: Decree 30 asks for the signing time in Vietnam's time (ISO 8601, +07:00).
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: A metric-compatible Times New Roman with every Vietnamese letter: the PDFs' own serif
#: (cityhall/core/fonts, SIL OFL; README.txt there).
FONT = SHIPPED_FONTS / "LiberationSerif-Regular.ttf"
#: pyHanko writes the time with this format (offset included); `_VietnamTimeTextStyle` reads it.
_PYHANKO_TIME = "%Y-%m-%dT%H:%M:%S%z"
#: Tolerance when judging a box against the page's edges (rounding in callers' sums).
_EDGE = 0.5


def vietnam_time(moment: dt.datetime) -> str:
    """A moment as ISO 8601 in Vietnam's time, to the second: 2026-11-29T21:30:05+07:00."""
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


def open_pdf(pdf: bytes) -> PdfFileReader:
    """Read the bytes as a PDF; SigningRefused(not_a_pdf or encrypted_pdf) if they cannot be."""
    if not pdf.lstrip()[:5].startswith(b"%PDF-"):
        raise SigningRefused(SigningCode.NOT_A_PDF, "The file is not a PDF (no %PDF- header).")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        reader.root  # noqa: B018 (reading the catalogue is the check that the file parses)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise SigningRefused(SigningCode.NOT_A_PDF,
                             f"The file cannot be read as a PDF: {exc}") from exc
    if reader.encrypted:
        raise SigningRefused(SigningCode.ENCRYPTED_PDF,
                             "The PDF is locked with a password; it cannot be signed or read.")
    return reader


def _media_box(page: generic.DictionaryObject) -> tuple[float, float, float, float]:
    node: Any = page
    while node is not None:
        if "/MediaBox" in node:
            x1, y1, x2, y2 = (float(v) for v in node["/MediaBox"])
            return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)
        node = node.get("/Parent")
    raise PdfError("The page has no /MediaBox")


def _page(reader: PdfFileReader, index: int) -> tuple[int, tuple[float, float, float, float]]:
    """The page's index counted from 0 and its media box; signature_box_invalid if absent."""
    count = int(reader.root["/Pages"]["/Count"])
    resolved = count + index if index < 0 else index
    if not 0 <= resolved < count:
        raise SigningRefused(SigningCode.SIGNATURE_BOX_INVALID,
                             f"The PDF has {count} page(s); there is no page {index}.")
    try:
        page_ref, _resources = reader.find_page_for_modification(resolved)
        return resolved, _media_box(page_ref.get_object())
    except (PdfError, KeyError, TypeError, ValueError) as exc:
        raise SigningRefused(SigningCode.NOT_A_PDF, f"The page tree cannot be read: {exc}") from exc


def page_size(pdf: bytes, page: int = 0) -> tuple[float, float]:
    """A page's width and height in points (page 0 is the first, -1 the last)."""
    _index, (x1, y1, x2, y2) = _page(open_pdf(pdf), page)
    return x2 - x1, y2 - y1


#: The characters a stamp may show: ASCII, Latin-1 and Latin Extended (Vietnamese's ă, â,
#: đ, ê, ô, ơ, ư), combining marks, Latin Extended Additional (ạ ... ỹ), punctuation.
_STAMP_CHARACTERS = [*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x300, 0x370),
                     *range(0x1E00, 0x1F00), *range(0x2000, 0x2070), 0x20AB]


@functools.cache
def _font_bytes() -> bytes:
    """The stamp font scaled to 1,000 units per em, in memory.

    pyHanko 0.38 writes a TrueType font's glyph widths in the font's own units, while PDF
    reads them per 1,000: Liberation Serif's 2,048 would space letters twice as wide. The
    scaled copy is made here and never stored, so the font's reserved name is not put on a
    modified file (SIL OFL 1.1, condition 3).
    """
    font = TTFont(str(FONT))
    scale_upem(font, 1000)
    # Only Latin with Vietnamese letters and punctuation: each stamp parses the font again
    # and subsets it, and a font of 600 glyphs instead of 2,600 makes that four times faster.
    options = subset.Options()
    options.drop_tables += ["FFTM"]  # FontForge's timestamps, which fontTools cannot subset
    options.layout_features = ["kern", "ccmp", "mark", "mkmk", "liga"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=_STAMP_CHARACTERS)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class _ScaledFontFactory(GlyphAccumulatorFactory):
    """pyHanko's font factory, reading the scaled copy instead of the file."""

    def create_font_engine(self, writer: BasePdfFileWriter,
                           obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(_font_bytes()),
                                font_size=self.font_size, obj_stream=obj_stream)


@functools.cache
def _font() -> GlyphAccumulatorFactory:
    return _ScaledFontFactory(str(FONT))


@dataclass(frozen=True)
class _VietnamTimeTextStyle(TextStampStyle):
    """A text stamp whose `%(ts)s` is the signing time in Vietnam's time.

    pyHanko formats the signing time in the server's zone; the stamp must say Vietnam's,
    whatever zone the server keeps, and must be the very time in the signature.
    """

    def create_stamp(self, writer: BasePdfFileWriter, box: layout.BoxConstraints,
                     text_params: dict[str, Any]) -> TextStamp:
        params = dict(text_params)
        if "ts" in params:
            params["ts"] = vietnam_time(dt.datetime.strptime(params["ts"], _PYHANKO_TIME))  # noqa: DTZ007 (the format has %z)
        return super().create_stamp(writer, box, params)


def _image(image_png: bytes) -> PdfImage:
    png_size(image_png)  # refuses what is no PNG, with our code
    image = Image.open(io.BytesIO(image_png))
    image.load()
    return PdfImage(image, writer=None)


_FILL = layout.SimpleBoxLayoutRule(
    x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
    margins=layout.Margins.uniform(0), inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
)
_TOP_RIGHT = layout.SimpleBoxLayoutRule(
    x_align=layout.AxisAlignment.ALIGN_MAX, y_align=layout.AxisAlignment.ALIGN_MAX,
    margins=layout.Margins.uniform(1), inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
)


def _style(box: SignatureBox | None) -> BaseStampStyle:
    """How the box looks: its image fitted inside, its text at the top right over it."""
    background = _image(box.image_png) if box is not None and box.image_png else None
    if box is None or not box.text:
        return StaticStampStyle(border_width=0, background=background, background_opacity=1.0,
                                background_layout=_FILL)
    # The caller's text is taken as it is: only {signing_time} is a placeholder.
    template = box.text.replace("%", "%%").replace(SIGNING_TIME, "%(ts)s")
    return _VietnamTimeTextStyle(
        border_width=0, background=background, background_opacity=1.0,
        background_layout=_FILL, stamp_text=template, timestamp_format=_PYHANKO_TIME,
        text_box_style=TextBoxStyle(font=_font(), font_size=10, leading=12),
        inner_content_layout=_TOP_RIGHT,
    )


def _field_spec(reader: PdfFileReader, field_name: str,
                box: SignatureBox | None) -> fields.SigFieldSpec:
    if box is None:
        return fields.SigFieldSpec(sig_field_name=field_name)
    index, (left, bottom, right, top) = _page(reader, box.page)
    if box.width <= 0 or box.height <= 0 or not (
        box.x >= left - _EDGE and box.y >= bottom - _EDGE
        and box.right <= right + _EDGE and box.top <= top + _EDGE
    ):
        raise SigningRefused(
            SigningCode.SIGNATURE_BOX_INVALID,
            f"The signature box ({box.x:.1f}, {box.y:.1f}, {box.width:.1f} x {box.height:.1f} "
            f"pt) is not inside page {box.page} ({left:.0f}, {bottom:.0f}, {right:.0f}, "
            f"{top:.0f}).",
        )
    # pyHanko's field boxes are whole points; round outwards so the image is not clipped.
    rect = (int(box.x), int(box.y), int(box.right + 0.999), int(box.top + 0.999))
    return fields.SigFieldSpec(sig_field_name=field_name, on_page=index, box=rect)


def _check_field_free(reader: PdfFileReader, field_name: str) -> None:
    for name, value, _ref in fields.enumerate_sig_fields(reader, filled_status=None):
        if name == field_name and value is not None:
            raise SigningRefused(SigningCode.SIGNATURE_FIELD_TAKEN,
                                 f"The signature field {field_name!r} is signed already.")


def sign_pdf(pdf: bytes, signer: signers.Signer, *, field_name: str, box: SignatureBox | None,
             reason: str, location: str) -> bytes:
    """The PDF signed in a new signature field: PAdES baseline B-B, SHA-256, appended as an
    incremental update so that the signatures already in it stay valid.

    `box` None signs invisibly. SigningRefused on a file that is no PDF, an encrypted one,
    a field signed already, a box off its page or an image that is no PNG.
    """
    reader = open_pdf(pdf)
    _check_field_free(reader, field_name)
    spec = _field_spec(reader, field_name, box)
    style = _style(box)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason or None, location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
    )
    pdf_signer = signers.PdfSigner(meta, signer, stamp_style=style, new_field_spec=spec)
    output = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=output)
    return output.getvalue()
