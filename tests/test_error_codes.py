"""Every error code is defined once, with its status, and docs/api.md lists each one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cityhall.urls  # noqa: F401  (every app's API and pages, hence every app's codes)
from cityhall.core.errors import Common, ErrorCode, all_codes
from cityhall.core.files import FileError
from cityhall.core.signing.errors import SigningCode  # noqa: F401 (a floor module's codes)
from cityhall.reports.errors import ReportCode

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def documented() -> dict[str, set[int]]:
    """The error table of docs/api.md: code -> the statuses it is listed with."""
    table: dict[str, set[int]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        row = re.match(r"\| (\d{3}) \| (.+?) \|", line)
        if row:
            for code in re.findall(r"`([a-z_]+)`", row.group(2)):
                table.setdefault(code, set()).add(int(row.group(1)))
    return table


def test_no_code_is_defined_twice() -> None:
    seen: dict[str, str] = {}
    pending = list(ErrorCode.__subclasses__())
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        for member in kind:
            where = seen.get(member.value)
            assert where is None, f"{member.value} is in {where} and {kind.__name__}"
            seen[member.value] = kind.__name__


def test_docs_list_every_code_with_its_status() -> None:
    table = documented()
    missing = {code: int(member.status) for code, member in all_codes().items()
               if int(member.status) not in table.get(code, set())}
    assert not missing, f"docs/api.md does not list these codes with their status: {missing}"


def test_docs_list_no_code_that_does_not_exist() -> None:
    unknown = set(documented()) - set(all_codes())
    assert not unknown, f"docs/api.md lists codes no enum defines: {unknown}"


IMAGE_REFUSALS = [FileError.TYPE, FileError.TOO_LARGE, FileError.TOO_MANY_PIXELS,
                  FileError.INFECTED, FileError.SCAN_FAILED]


@pytest.mark.parametrize("refusal", IMAGE_REFUSALS)
def test_every_refusal_of_an_image_has_a_photo_code(refusal: FileError) -> None:
    assert ReportCode(f"photo_{refusal}").status >= 400


def test_a_member_carries_its_status() -> None:
    assert Common.ALREADY_RATED == "already_rated"
    assert Common.ALREADY_RATED.status == 409
    assert ReportCode.PHOTO_SCAN_FAILED.status == 503
