"""Vietnamese enterprise tax codes: 10 digits with a check digit, or 10-3 for a branch."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cityhall.accounts.taxcode import check_digit, normalise_tax_code


@pytest.mark.parametrize("code", ["0300588569", "0101248141", "0300588569-001"])
def test_it_accepts_valid_codes(code: str) -> None:
    assert normalise_tax_code(code) == code


def test_it_normalises_a_branch_written_without_dash_or_with_spaces() -> None:
    assert normalise_tax_code("0300588569001") == "0300588569-001"
    assert normalise_tax_code(" 0300 588 569 ") == "0300588569"


def test_check_digit_matches_published_codes() -> None:
    assert check_digit("030058856") == 9
    assert check_digit("010124814") == 1


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("0300588568", "tax_code_check"),
        ("0101248140", "tax_code_check"),
        ("030058856", "tax_code_format"),
        ("03005885691", "tax_code_format"),
        ("0300588569-01", "tax_code_format"),
        ("03005885A9", "tax_code_format"),
        ("", "tax_code_format"),
        ("0300588569-000", "tax_code_branch"),
    ],
)
def test_it_rejects_invalid_codes(code: str, error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_tax_code(code)
    assert caught.value.code == error
