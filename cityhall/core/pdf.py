"""PDF set as Decree 30/2020 asks: A4, its margins, a Times-compatible serif with every
Vietnamese letter (Liberation Serif 2, shipped in core/fonts/)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SERIF, SERIF_BOLD, SERIF_ITALIC = "CityhallSerif", "CityhallSerif-Bold", "CityhallSerif-Italic"
SERIF_BOLD_ITALIC = "CityhallSerif-BoldItalic"
#: The fonts shipped with the project (Liberation Serif 2.1.5, SIL OFL 1.1).
SHIPPED_FONTS = Path(__file__).resolve().parent / "fonts"
#: Every letter of Vietnamese beyond ASCII, lower and upper case: a font must have them all.
VIETNAMESE = (
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")
VIETNAMESE += VIETNAMESE.upper()

#: The national title and motto every official document and form starts with.
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

# Decree 30/2020, Appendix I: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 20 * mm
MARGIN_LEFT = 30 * mm
MARGIN_RIGHT = 15 * mm

_FILES = ((SERIF, "LiberationSerif-Regular.ttf"), (SERIF_BOLD, "LiberationSerif-Bold.ttf"),
          (SERIF_ITALIC, "LiberationSerif-Italic.ttf"))


@cache
def register_fonts() -> None:
    """Register the serif once per process; a missing font, or one that lacks a Vietnamese
    letter (which would print as a blank), is a setup error."""
    folder = Path(settings.CITYHALL_PDF_FONT_DIR or SHIPPED_FONTS)
    for name, file in _FILES:
        path = folder / file
        if not path.is_file():
            raise ImproperlyConfigured(f"{path} is missing (CITYHALL_PDF_FONT_DIR)")
        font = TTFont(name, str(path))
        missing = [ch for ch in VIETNAMESE if ord(ch) not in font.face.charToGlyph]
        if missing:
            raise ImproperlyConfigured(
                f"{path} lacks Vietnamese letters ({''.join(missing[:10])}...): use "
                f"Liberation Serif 2 (the shipped one) or another complete font")
        pdfmetrics.registerFont(font)
    # No bold italic is shipped: <b><i> in a paragraph falls back to the bold.
    pdfmetrics.registerFontFamily(SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF_ITALIC,
                                  boldItalic=SERIF_BOLD)


def style(name: str, *, font: str = SERIF, size: float = 13,
          align: Literal[0, 1, 2, 4] = TA_LEFT, leading: float | None = None,
          first_line_indent: float = 0, space_after: float = 0) -> ParagraphStyle:
    """A paragraph style in the house serif (`size` in points, leading 1.3 lines)."""
    return ParagraphStyle(name, fontName=font, fontSize=size, alignment=align,
                          leading=leading or size * 1.3, firstLineIndent=first_line_indent,
                          spaceAfter=space_after)
