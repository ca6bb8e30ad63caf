"""Vietnamese enterprise tax codes (mã số thuế): 10 digits with a check digit, or 10-3."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_FORM = re.compile(r"^(\d{10})(?:-?(\d{3}))?$")


def check_digit(first_nine: str) -> int:
    """The tenth digit of a tax code, computed from the first nine."""
    total = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True))
    return 10 - (total % 11)


def normalise_tax_code(value: str) -> str:
    """Return the code as '0123456789' or '0123456789-001'; raise ValidationError if invalid."""
    cleaned = re.sub(r"[\s.]", "", value or "")
    match = _FORM.match(cleaned)
    if not match:
        raise ValidationError(
            _("A tax code has 10 digits, or 13 for a branch (0123456789-001)."),
            code="tax_code_format",
        )
    main, branch = match.groups()
    digit = check_digit(main[:9])
    if digit == 10 or int(main[9]) != digit:
        raise ValidationError(_("This tax code's check digit is wrong."), code="tax_code_check")
    if branch == "000":
        raise ValidationError(_("A branch number cannot be 000."), code="tax_code_branch")
    return f"{main}-{branch}" if branch else main


def validate_tax_code(value: str) -> None:
    """Django validator form of `normalise_tax_code`."""
    normalise_tax_code(value)
