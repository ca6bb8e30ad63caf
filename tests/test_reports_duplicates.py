"""Which reports tell of the same problem: the pure matching, and the staff's suggestions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cityhall.accounts.models import Role
from cityhall.reports import services
from cityhall.reports.duplicates import (
    address_similarity,
    match,
    normalise_address,
    similarity,
)
from cityhall.reports.models import Report
from tests.factories import ANKHANH, THUDUC, make_staff, unit_named
from tests.reports_support import MON, categories, flood


@dataclass
class Said:
    """What the matching reads of a report, without a database."""

    pk: int | None
    description: str = ""
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None


@pytest.mark.parametrize(("given", "normal"), [
    ("Số 12 Đường Lê Lợi, P. Bến Nghé, Q.1", "12 le loi phuong ben nghe quan 1"),
    ("12 le loi phuong ben nghe quan 1, TP.HCM", "12 le loi phuong ben nghe quan 1"),
    ("12 LÊ LỢI, F.5, Thành phố Hồ Chí Minh", "12 le loi phuong 5"),
    ("Hẻm 12/3 Võ Văn Ngân", "hem 12 3 vo van ngan"),
    ("", ""),
])
def test_it_writes_an_address_in_one_spelling(given: str, normal: str) -> None:
    assert normalise_address(given) == normal


def test_the_same_house_matches_however_it_is_written_and_another_house_does_not() -> None:
    assert address_similarity("12 Lê Lợi", "số 12 đường Lê Lợi, Phường Sài Gòn") >= 0.85
    assert address_similarity("Chợ Bến Thành, Q1", "cho ben thanh quan 1") == 1.0
    # Alike as strings, but two houses of one street.
    assert address_similarity("12 Lê Lợi", "14 Lê Lợi") < 0.85
    assert address_similarity("12 Lê Lợi", "12 Nguyễn Huệ") < 0.85
    assert address_similarity("", "12 Lê Lợi") == 0.0


def test_words_are_compared_without_diacritics_case_or_punctuation() -> None:
    assert similarity("Nước ngập 40cm trước số 12.", "NUOC NGAP 40CM TRUOC SO 12") == 1.0
    assert similarity("Nước ngập trước số 12", "Cây đổ chắn ngang đường") < 0.5
    assert similarity("", "anything") == 0.0


def test_an_address_only_report_matches_one_at_the_same_address_and_not_one_next_door() -> None:
    new = Said(1, "Đèn đường hỏng, tối om", "Số 12 đường Lê Lợi, P. Bến Nghé")
    same = Said(2, "Cột đèn không sáng mấy hôm nay", "12 Le Loi, phuong Ben Nghe")
    next_door = Said(3, "Cột đèn không sáng mấy hôm nay", "14 Lê Lợi, Phường Bến Nghé")
    found = match(new, [same, next_door, new], radius_m=200)
    assert [m.report.pk for m in found] == [2]
    assert found[0].same_address and not found[0].near


def test_near_points_and_nearly_the_same_words_match_and_the_surest_comes_first() -> None:
    new = Said(1, "Nước ngập 40cm trước số 12 Võ Văn Ngân", latitude=10.85, longitude=106.77)
    near = Said(2, "Ngập sâu", latitude=10.8505, longitude=106.77)  # about 55 m north
    far = Said(3, "Ngập sâu", latitude=10.86, longitude=106.77)  # about 1.1 km
    same_words = Said(4, "nuoc ngap 40 cm truoc so 12 vo van ngan")  # no point, no address
    found = match(new, [near, far, same_words], radius_m=200)
    assert [m.report.pk for m in found] == [4, 2]
    assert found[0].similar_text and not found[0].near
    assert found[1].near and not found[1].similar_text


@pytest.fixture
def ward_staff(db: None, reports_ready: None) -> dict[str, object]:
    ward = unit_named(THUDUC)
    return {
        "officer": make_staff("officer.dup", ward, Role.OFFICER),
        "outsider": make_staff("officer.dup.ak", unit_named(ANKHANH), Role.OFFICER),
    }


def test_staff_are_offered_the_reports_like_this_one_in_their_unit(
    ward_staff: dict[str, object],
) -> None:
    categories()
    first = flood(address="Số 12 đường Võ Văn Ngân, Phường Thủ Đức", latitude=None,
                  longitude=None).report
    second = flood(address="12 Võ Văn Ngân, phường Thủ Đức", latitude=None, longitude=None,
                   description="Đường ngập sau mưa, xe chết máy").report
    other_house = flood(address="40 Võ Văn Ngân, Phường Thủ Đức", latitude=None,
                        longitude=None, description="Cây đổ").report
    assert first.unit_id == second.unit_id == other_house.unit_id
    offered = services.merge_suggestions(report=second, user=ward_staff["officer"])
    assert [m.report.pk for m in offered] == [first.pk]
    # Someone of another ward is offered nothing of this one.
    assert services.merge_suggestions(report=second, user=ward_staff["outsider"]) == []


def test_a_resident_filing_at_an_address_is_shown_the_open_report_there(
    ward_staff: dict[str, object],
) -> None:
    first = flood(address="Số 12 đường Võ Văn Ngân, Phường Thủ Đức", latitude=None,
                  longitude=None)
    again = flood(address="12 Võ Văn Ngân, phường Thủ Đức", latitude=None, longitude=None,
                  description="Ngập lắm")
    assert [r.pk for r in again.duplicates] == [first.report.pk]


def test_codes_are_found_whatever_their_case(ward_staff: dict[str, object]) -> None:
    report = flood(now=MON).report
    assert Report.objects.with_code(f"  {report.code.lower()} ").get() == report
    assert not Report.objects.with_code(report.code.replace("PA", "PB")).exists()
