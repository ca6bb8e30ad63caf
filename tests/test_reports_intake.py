"""Submitting reports: routing by place and category, anonymity, idempotency, photos."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from PIL import Image
from pytest_django import Settings

from cityhall.accounts.models import Role, UserKind
from cityhall.core.models import AuditEntry
from cityhall.reports import services
from cityhall.reports.models import Category, Report, ReportContact, ReportPhoto
from cityhall.reports.services import Contact, ReportError
from cityhall.reports.services.catalogue import load_categories
from cityhall.workflow.models import Transition
from tests.factories import ANKHANH, THUDUC, at, department, make_staff, make_user, unit_named
from tests.reports_support import MON, categories, flood, jpeg_with_gps

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    categories()


def test_a_point_in_thu_duc_goes_to_phuong_thu_duc_with_the_reason() -> None:
    made = flood()
    report = made.report
    assert made.created
    assert report.unit == unit_named(THUDUC)
    assert report.place_unit == unit_named(THUDUC)
    # In the site's language and in words for the resident (no instruction to the operator).
    assert "Phường Thủ Đức" in report.routing_reason
    assert report.routing_reason.startswith("Chưa có dữ liệu ranh giới cho nơi này")
    assert report.state == "received"
    assert report.code.startswith("PA-260302-")
    # The category's 5 working days, from Monday 2 March 2026 09:00.
    assert report.due_at == at(2026, 3, 9, 17)
    assert Report.objects.by_private_token(made.private_token).get() == report
    assert report.private_token_hash != made.private_token


def test_a_legacy_address_goes_to_the_new_ward_with_the_reason() -> None:
    made = services.submit_report(
        actor=services.ANONYMOUS, category="moi-truong-rac", channel="web",
        description="Rác đổ trộm", address="Đường số 5, Phường Thảo Điền, Quận 2, TP.HCM",
        now=MON)
    assert made.report.unit == unit_named(ANKHANH)
    assert made.report.routing_method == "legacy_address"
    # Stored in the site's language: "Phường An Khánh: the address 'Phường Thảo Điền, Thành phố
    # Thủ Đức' (the old Quận 2) lies there since 1 July 2025".
    assert made.report.routing_reason == (
        "Phường An Khánh: địa chỉ 'Phường Thảo Điền, Thành phố Thủ Đức' thuộc đơn vị này "
        "từ ngày 01/07/2025.")


def test_a_bus_report_goes_to_the_department_of_construction_whatever_the_place() -> None:
    lat, lon = unit_named(THUDUC).latitude, unit_named(THUDUC).longitude
    made = services.submit_report(
        actor=services.ANONYMOUS, category="xe-buyt", channel="app", description="Xe 08 bỏ trạm",
        latitude=lat, longitude=lon, attributes={"route": "08"}, now=MON)
    assert made.report.unit == department("79-SXD")
    assert made.report.place_unit == unit_named(THUDUC)
    assert "Sở Xây dựng" in made.report.routing_reason
    assert "Phường Thủ Đức" in made.report.routing_reason
    assert made.report.due_at == at(2026, 3, 11, 17)


def test_enterprise_taxes_go_to_the_department_of_finance_with_the_tax_code() -> None:
    business = make_user("acme", kind=UserKind.BUSINESS, tax_code="0300588569",
                         business_name="Công ty ACME")
    made = services.submit_report(actor=business, category="dn-thue-phi", channel="web",
                                  description="Hoàn thuế chậm", now=MON)
    assert made.report.unit == department("79-STC")
    assert made.report.tax_code == "0300588569"
    assert made.report.reporter == business


def test_it_refuses_an_enterprise_category_without_a_business_account() -> None:
    resident = make_user("dan")
    with pytest.raises(ReportError) as err:
        services.submit_report(actor=resident, category="dn-thue-phi", channel="web",
                               description="x", now=MON)
    assert err.value.code == "business_account_required"


def test_anonymous_is_allowed_where_the_category_allows_it() -> None:
    made = flood()
    assert made.report.anonymous
    assert not ReportContact.objects.filter(report=made.report).exists()


def test_it_refuses_an_anonymous_report_where_the_category_does_not_allow_it() -> None:
    before = Report.objects.count()
    with pytest.raises(ReportError) as err:
        services.submit_report(actor=services.ANONYMOUS, category="hanh-chinh-cong",
                               channel="web", description="Hồ sơ trễ hẹn",
                               address="Phường Sài Gòn, TP.HCM", now=MON)
    assert err.value.code == "anonymous_not_allowed"
    assert Report.objects.count() == before
    refused = AuditEntry.objects.filter(action="reports.submit_refused").get()
    assert refused.changes["code"] == "anonymous_not_allowed"
    # With a contact it is accepted, and the contact is kept apart from the report.
    made = services.submit_report(
        actor=services.ANONYMOUS, category="hanh-chinh-cong", channel="web",
        description="Hồ sơ trễ hẹn", address="Phường Sài Gòn, TP.HCM",
        contact=Contact(name="Nguyễn Văn A", phone="0909123456"), now=MON)
    assert not made.report.anonymous
    assert made.report.contact.phone == "0909123456"


@pytest.mark.parametrize(("change", "code"), [
    ({"category": "no-such"}, "unknown_category"),
    ({"description": ""}, "description_required"),
    ({"description": "x" * 4001}, "description_too_long"),
    ({"latitude": None}, "invalid_location"),
    ({"latitude": 48.85, "longitude": 2.35}, "place_outside_city"),
    ({"attributes": {"kind": "volcano"}}, "invalid_attribute"),
    ({"attributes": {"water_depth_cm": "40"}}, "invalid_attribute"),
    ({"attributes": {"kind": "flooding", "since": "2026-03-01"}}, "invalid_attribute"),
    ({"attributes": {"kind": "flooding", "affects": ["road", "moon"]}}, "invalid_attribute"),
    ({"attributes": {"kind": "flooding", "colour": "red"}}, "invalid_attribute"),
    ({"channel": "hotline"}, "channel_not_allowed"),
    ({"channel": "open311"}, "channel_not_allowed"),
    ({"channel": "fax"}, "invalid_channel"),
    ({"media_urls": ["javascript:alert(1)"]}, "invalid_media_url"),
    ({"contact": Contact(email="not-an-email")}, "invalid_contact"),
    ({"photos": [b"%PDF-1.4 not an image"]}, "photo_type"),
])
def test_bad_input_is_refused_and_leaves_only_an_audit_entry(change: dict, code: str) -> None:
    counts = (Report.objects.count(), Transition.objects.count(), ReportPhoto.objects.count())
    with pytest.raises(ReportError) as err:
        flood(**change)
    assert err.value.code == code
    assert counts == (Report.objects.count(), Transition.objects.count(),
                      ReportPhoto.objects.count())
    assert AuditEntry.objects.filter(action="reports.submit_refused").count() == 1


def test_extra_fields_of_every_type_are_stored_normalised() -> None:
    made = flood(attributes={"kind": "flooding", "water_depth_cm": "40.5",
                             "since": "2026-03-02T07:00:00+07:00", "affects": ["road", "homes"],
                             "landmark": "Chợ Thủ Đức", "details": "Ngập cả ngày"})
    assert made.report.attribute_values == {
        "kind": "flooding", "water_depth_cm": 40.5, "since": "2026-03-02T07:00:00+07:00",
        "affects": ["road", "homes"], "landmark": "Chợ Thủ Đức", "details": "Ngập cả ngày"}


def test_the_description_is_stored_as_given() -> None:
    text = "<script>alert('x')</script>\n  Ngập   nặng & lâu"
    assert flood(description=text).report.description == text


def test_a_retried_submission_with_the_same_key_returns_the_same_report() -> None:
    resident = make_user("dan")
    first = flood(resident, idempotency_key="abc-1")
    again = flood(resident, idempotency_key="abc-1")
    assert again.report.pk == first.report.pk
    assert not again.created
    assert again.private_token == first.private_token
    assert Report.objects.count() == 1
    other = flood(make_user("khac"), idempotency_key="abc-1")
    assert other.report.pk != first.report.pk


def test_an_anonymous_key_does_not_hand_out_someone_elses_report() -> None:
    first = flood(idempotency_key="1")
    second = flood(idempotency_key="1", description="Một phản ánh khác")
    assert first.report.pk != second.report.pk
    assert flood(idempotency_key="1").report.pk == first.report.pk


def test_codes_follow_each_other_within_a_day() -> None:
    codes = [flood().report.code for _ in range(3)]
    assert codes == ["PA-260302-0001", "PA-260302-0002", "PA-260302-0003"]
    assert flood(now=at(2026, 3, 3, 9)).report.code == "PA-260303-0001"


def test_staff_enter_hotline_reports_and_neighbourhood_heads_file_for_residents() -> None:
    ward = unit_named(THUDUC)
    clerk = make_staff("clerk.td", ward, Role.CLERK)
    made = flood(clerk, channel="hotline", contact=Contact(name="Bà Tư", phone="0909000111"))
    assert made.report.filed_by == clerk
    assert made.report.reporter is None
    assert not made.report.anonymous
    from tests.factories import neighbourhood
    head = make_staff("kp.td", neighbourhood(ward), Role.NEIGHBOURHOOD_HEAD)
    resident = make_user("ba.tu")
    made = flood(head, channel="neighbourhood_head", on_behalf_of=resident)
    assert made.report.reporter == resident
    assert made.report.filed_by == head
    with pytest.raises(ReportError):
        flood(resident, channel="neighbourhood_head")


def test_a_photo_is_stored_without_its_exif_and_gps() -> None:
    raw = jpeg_with_gps()
    with Image.open(io.BytesIO(raw)) as original:
        assert original.getexif().get(0x8825)
    made = flood(photos=[raw])
    photo = ReportPhoto.objects.get(report=made.report)
    assert photo.content_type == "image/jpeg"
    stored = photo.file.read()
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG"
        assert not img.getexif()
        assert "exif" not in img.info
    assert b"PhoneCam" not in stored


def test_a_photo_over_the_size_limit_is_refused(settings: Settings) -> None:
    settings.CITYHALL_REPORTS_PHOTO_MAX_BYTES = 1000
    out = io.BytesIO()
    Image.effect_noise((400, 400), 100).convert("RGB").save(out, format="PNG")
    assert len(out.getvalue()) > 1000
    with translation.override("en"), pytest.raises(ReportError) as err:
        flood(photos=[out.getvalue()])
    assert err.value.code == "photo_too_large"
    assert "larger than" in str(err.value.detail)


def test_similar_open_reports_nearby_are_suggested_as_duplicates() -> None:
    first = flood().report
    second = flood()
    assert [r.pk for r in second.duplicates] == [first.pk]
    assert first.latitude is not None and first.longitude is not None
    far = services.suggest_duplicates(category="ngap-ha-tang", latitude=first.latitude + 0.01,
                                      longitude=first.longitude)
    assert far == []
    other_category = services.suggest_duplicates(
        category="tieng-on", latitude=first.latitude, longitude=first.longitude)
    assert other_category == []
    too_old = services.suggest_duplicates(category="ngap-ha-tang", latitude=first.latitude,
                                          longitude=first.longitude, now=at(2026, 4, 1, 9))
    assert too_old == []
    # A report hidden by moderation is never shown to someone filing (the web form too).
    Report.objects.filter(pk=first.pk).update(is_public=False)
    hidden = services.suggest_duplicates(category="ngap-ha-tang", latitude=first.latitude,
                                         longitude=first.longitude)
    assert first.pk not in [r.pk for r in hidden]


def test_loading_the_categories_twice_changes_nothing() -> None:
    count = Category.objects.count()
    assert count >= 15
    assert load_categories(actor=services.ANONYMOUS) == (0, 0)
    assert Category.objects.get(code="xe-buyt").handler == "79-SXD"
    assert Category.objects.get(code="ngap-ha-tang").handler == "commune"
    kinds = {a["datatype"] for a in Category.objects.get(code="ngap-ha-tang").attributes}
    assert kinds == {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


def test_submitting_costs_a_bounded_number_of_queries() -> None:
    flood()
    with CaptureQueriesContext(connection) as ctx:
        flood()
    assert len(ctx.captured_queries) < 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_share_a_code() -> None:
    """Eight threads take codes for the same day at once, one or three at a time; none shared."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite serialises writers anyway)")
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from cityhall.reports.services.intake import allocate_codes

    def take(_: int) -> list[str]:
        try:
            return [code for n in range(10)
                    for code in allocate_codes(dt.date(2026, 3, 2), 1 + 2 * (n % 2))]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = [code for batch in pool.map(take, range(8)) for code in batch]
    assert len(codes) == len(set(codes)) == 160
    assert max(codes) == "PA-260302-0160"


def test_it_refuses_a_list_value_with_a_stray_key() -> None:
    from django.core.exceptions import ValidationError

    from cityhall.reports.models import validate_attribute_specs

    # What YAML makes of `{key: karaoke, name: Karaoke, loa kẹo kéo}`: a split name.
    spec = [{"code": "source", "datatype": "singlevaluelist", "required": False, "order": 1,
             "description": "Source",
             "values": [{"key": "karaoke", "name": "Karaoke", "loa kẹo kéo": None}]}]
    with pytest.raises(ValidationError):
        validate_attribute_specs(spec)
