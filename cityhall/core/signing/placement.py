"""Where a visible signature goes: boxes in PDF points, and the placements of Decree 30.

Decree 30/2020/NĐ-CP, Appendix I (docs/signing.md): the leader's signature image (blue,
transparent PNG) sits at the signing place, between the title and the name; the
organisation's seal image (red, transparent PNG, the seal's real size) covers about a
third of it on its left; on an attachment sent as a separate file the organisation signs
at the top right of the first page, showing no image, only the number and notation and the
signing time (ISO 8601, Vietnam time) in a Times New Roman-like face, 10 pt, black.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from cityhall.core.signing.errors import SigningCode, SigningRefused

#: One millimetre in PDF points.
MM = 72 / 25.4
#: A4 portrait, in points (Decree 30 documents are A4).
A4 = (210 * MM, 297 * MM)
#: The place in a box's `text` that becomes the signing time (ISO 8601, Vietnam time).
SIGNING_TIME = "{signing_time}"
#: The seal's real diameter (verify against the unit's seal; a parameter of `seal_box`).
SEAL_DIAMETER = 35 * MM
#: The widest a personal signature image is drawn.
PERSONAL_MAX_WIDTH = 55 * MM
#: The attachment stamp: its size and its distance from the page's top and right edges.
STAMP_WIDTH = 62 * MM
STAMP_HEIGHT = 11 * MM
STAMP_TOP = 8 * MM
STAMP_RIGHT = 15 * MM


@dataclass(frozen=True)
class SignatureBox:
    """A visible signature: a rectangle on a page and what it shows.

    `page` counts from 0 (-1 is the last page); `x`, `y` are the bottom-left corner and
    `width`, `height` the size, in PDF points (1/72 inch) from the page's bottom-left.
    `image_png` (a transparent PNG) is fitted inside, centred, keeping its proportions;
    `text` is written over it at the top right, 10 pt, with `{signing_time}` replaced by the
    signing time in ISO 8601, Vietnam time.
    """

    page: int
    x: float
    y: float
    width: float
    height: float
    image_png: bytes | None = None
    text: str | None = None

    @property
    def right(self) -> float:
        """The box's right edge."""
        return self.x + self.width

    @property
    def top(self) -> float:
        """The box's top edge."""
        return self.y + self.height


def png_size(image_png: bytes) -> tuple[int, int]:
    """The PNG's size in pixels; SigningRefused(signature_image_invalid) if it is no PNG."""
    try:
        with Image.open(io.BytesIO(image_png)) as image:
            if image.format != "PNG":
                raise SigningRefused(SigningCode.SIGNATURE_IMAGE_INVALID,
                                     f"The signature image must be a PNG, not {image.format}.")
            return image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise SigningRefused(SigningCode.SIGNATURE_IMAGE_INVALID,
                             "The signature image is not a readable PNG.") from exc


def personal_signature_box(*, page: int, centre_x: float, top: float, bottom: float,
                           image_png: bytes | None,
                           max_width: float = PERSONAL_MAX_WIDTH) -> SignatureBox:
    """The leader's signature image in the space between the title (`top`) and the name
    (`bottom`), centred on the signature block's `centre_x`.

    The box takes the image's proportions, as tall as the space unless that would be
    wider than `max_width`, so that the seal can cover a third of the image itself.
    """
    if top <= bottom:
        raise SigningRefused(SigningCode.SIGNATURE_BOX_INVALID,
                             "The space for the signature has no height (top <= bottom).")
    height = top - bottom
    width = max_width
    if image_png is not None:
        pixels_wide, pixels_high = png_size(image_png)
        width = height * pixels_wide / pixels_high
        if width > max_width:
            width, height = max_width, max_width * pixels_high / pixels_wide
    middle = (top + bottom) / 2
    return SignatureBox(page=page, x=centre_x - width / 2, y=middle - height / 2,
                        width=width, height=height, image_png=image_png)


def seal_box(personal: SignatureBox, *, image_png: bytes | None,
             diameter: float = SEAL_DIAMETER) -> SignatureBox:
    """The organisation's seal on the same page, covering the left third of the personal
    signature image, centred on it vertically, at the seal's real `diameter`."""
    right = personal.x + personal.width / 3
    middle = personal.y + personal.height / 2
    return SignatureBox(page=personal.page, x=max(0.0, right - diameter),
                        y=middle - diameter / 2, width=diameter, height=diameter,
                        image_png=image_png)


def attachment_stamp_box(first_page: tuple[float, float] = A4, *, number_notation: str,
                         image_png: bytes | None = None) -> SignatureBox:
    """The organisation's signature on an attachment: top right of the first page (its
    size `first_page`, width and height in points), showing the number and notation of the
    document it goes with and the signing time."""
    page_width, page_height = first_page
    return SignatureBox(
        page=0, x=page_width - STAMP_RIGHT - STAMP_WIDTH,
        y=page_height - STAMP_TOP - STAMP_HEIGHT, width=STAMP_WIDTH, height=STAMP_HEIGHT,
        image_png=image_png, text=f"{number_notation}\n{SIGNING_TIME}",
    )
