"""The report pages: filing, following, rating, the public list, map and statistics, staff work."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from cityhall.accounts.models import Role
from cityhall.core.models import AuditEntry, PersonalDataRead
from cityhall.reports import services
from cityhall.reports.models import Report
from cityhall.reports.services import Contact
from tests.clients import english, signed_in
from tests.factories import (
    ANKHANH,
    THUDUC,
    WardTeam,
    make_staff,
    neighbourhood,
    unit_named,
)
from tests.reports_support import flood, jpeg_with_gps, thu_duc_point

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(team: WardTeam) -> WardTeam:
    return team


def flood_form(**extra: Any) -> dict[str, Any]:
    lat, lon = thu_duc_point()
    data: dict[str, Any] = {
        "category": "ngap-ha-tang", "description": "Nước ngập 40cm trước số 12 Võ Văn Ngân.",
        "latitude": f"{lat}", "longitude": f"{lon}", "address": "",
        "attr_kind": "flooding", "attr_water_depth_cm": "40", "idempotency_key": "key-1",
    }
    data.update(extra)
    return data


def sent_token(response: Response) -> tuple[str, str]:
    """The report code and private token from the redirect after a successful submission."""
    assert response.status_code == 302, response.content.decode()[:2000]
    url = urlsplit(response["Location"])
    code = url.path.split("/")[2]
    return code, parse_qs(url.query)["t"][0]


def now_flood(actor: Any = services.ANONYMOUS, **extra: Any) -> services.Submission:
    return flood(actor, now=timezone.now(), **extra)


# Filing ------------------------------------------------------------------------------------


def test_a_resident_reports_flooding_at_a_point_and_sees_the_ward_reason_and_link(
    world: WardTeam, client: Client
) -> None:
    page = client.get("/reports/new/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Phản ánh" in body and 'name="idempotency_key"' in body
    code, token = sent_token(client.post("/reports/new/", flood_form()))
    report = Report.objects.get(code=code)
    assert report.unit == world.ward and report.channel == "web"
    assert report.attribute_values == {"kind": "flooding", "water_depth_cm": 40}
    sent = client.get(f"/reports/{code}/sent/", {"t": token}).content.decode()
    assert code in sent and "Phường Thủ Đức" in sent
    assert report.routing_reason in sent
    assert f"/reports/{code}/?t={token}" in sent
    # The receipt page is the reporter's only: without the token it is not found.
    assert client.get(f"/reports/{code}/sent/").status_code == 404


def test_a_legacy_address_is_routed_to_the_new_ward_with_the_reason(
    world: WardTeam, client: Client
) -> None:
    data = flood_form(latitude="", longitude="", address="Phường Thảo Điền, Quận 2",
                      idempotency_key="key-legacy")
    code, token = sent_token(client.post("/reports/new/", data))
    report = Report.objects.get(code=code)
    assert report.unit.name == ANKHANH
    body = client.get(f"/reports/{code}/sent/", {"t": token}).content.decode()
    # The reason names the old ward the address lay in and the day the new ward began.
    assert "Phường An Khánh" in body and "Phường Thảo Điền" in body and "2025" in body


def test_a_double_submit_with_the_same_key_creates_one_report(world: WardTeam) -> None:
    client = signed_in(world.resident)
    first = sent_token(client.post("/reports/new/", flood_form(idempotency_key="twice")))
    second = sent_token(client.post("/reports/new/", flood_form(idempotency_key="twice")))
    assert first == second
    assert Report.objects.count() == 1


def test_it_shows_form_errors_in_vietnamese_and_creates_nothing(
    world: WardTeam, client: Client
) -> None:
    before = AuditEntry.objects.filter(action="reports.submit_refused").count()
    response = client.post("/reports/new/", flood_form(description="", attr_kind=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body and "Chưa gửi" in body
    assert "Trường này là bắt buộc." in body
    assert "Độ sâu ngập (cm)" in body and "Mất nắp cống" in body
    assert "Water depth" not in body
    response = client.post("/reports/new/", flood_form(
        latitude="", longitude="", address="Phường Không Có, Quận 99"))
    assert response.status_code == 400
    assert 'id="id_address_error"' in response.content.decode()
    assert Report.objects.count() == 0
    # The service's refusal leaves its audit entry, and only that.
    assert AuditEntry.objects.filter(action="reports.submit_refused").count() == before + 1


def test_it_shows_the_errors_in_english_too(world: WardTeam) -> None:
    client = english()
    body = client.post("/reports/new/", flood_form(attr_water_depth_cm="deep")).content.decode()
    assert "Nothing was sent yet." in body and "A number is expected." in body
    # The category's extra fields are labelled in English too, not only the page.
    assert "Water depth in centimetres (for flooding)" in body and "Missing manhole cover" in body
    assert Report.objects.count() == 0


def test_anonymous_is_refused_where_the_category_needs_a_name(
    world: WardTeam, client: Client
) -> None:
    data = {"category": "hanh-chinh-cong", "description": "Hồ sơ trễ hẹn 3 tuần.",
            "address": "Phường Thủ Đức", "anonymous": "on", "idempotency_key": "a"}
    response = client.post("/reports/new/", data)
    assert response.status_code == 400
    assert 'id="id_anonymous"' in response.content.decode()
    assert Report.objects.count() == 0
    data.update(anonymous="", contact_name="Lê Văn Dân", contact_phone="0912345678")
    code, _token = sent_token(client.post("/reports/new/", data))
    assert Report.objects.get(code=code).contact.phone == "0912345678"


def test_enterprise_categories_are_offered_only_to_business_accounts(world: WardTeam) -> None:
    assert "dn-thue-phi" not in Client().get("/reports/new/").content.decode()
    assert "dn-thue-phi" not in signed_in(world.resident).get("/reports/new/").content.decode()
    client = signed_in(world.business)
    assert "dn-thue-phi" in client.get("/reports/new/").content.decode()
    code, _token = sent_token(client.post("/reports/new/", {
        "category": "dn-thue-phi", "description": "Hoàn thuế chậm 6 tháng.",
        "idempotency_key": "dn"}))
    report = Report.objects.get(code=code)
    assert report.unit.code == "79-STC" and report.tax_code == "0300588569"
    # A resident posting the code anyway is refused by the form's choices.
    refused = signed_in(world.resident).post("/reports/new/", {
        "category": "dn-thue-phi", "description": "x", "idempotency_key": "r"})
    assert refused.status_code == 400


def test_the_category_fields_come_from_its_attribute_specs(world: WardTeam, client: Client) -> None:
    body = client.get("/reports/new/fields/", {"category": "ngap-ha-tang"}).content.decode()
    assert 'name="attr_kind"' in body and 'name="attr_affects"' in body
    assert 'type="datetime-local"' in body and "Mất nắp cống" in body
    # A category without extra fields brings only its contact rules, no field.
    plain = client.get("/reports/new/fields/", {"category": "moi-truong-rac"}).content.decode()
    assert 'data-testid="contact-rules"' in plain and 'name="attr_' not in plain


def test_photos_are_kept_without_location_and_non_images_are_refused(
    world: WardTeam, client: Client
) -> None:
    photo = SimpleUploadedFile("ngap.jpg", jpeg_with_gps(), content_type="image/jpeg")
    code, token = sent_token(client.post("/reports/new/", {**flood_form(), "photos": [photo]}))
    report = Report.objects.get(code=code)
    stored = report.photos.get()
    data = stored.file.read()
    assert b"PhoneCam" not in data and b"GPS" not in data
    url = f"/reports/{code}/photos/{stored.pk}/"
    assert url in client.get(f"/reports/{code}/", {"t": token}).content.decode()
    assert client.get(url).status_code == 200  # a public report's photo
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = client.post("/reports/new/", {**flood_form(idempotency_key="k2"), "photos": [fake]})
    assert response.status_code == 400
    assert 'id="id_photos_error"' in response.content.decode()
    assert Report.objects.count() == 1


def test_open_reports_nearby_are_suggested_before_sending(world: WardTeam, client: Client) -> None:
    earlier = now_flood().report
    lat, lon = thu_duc_point()
    body = client.get("/reports/new/similar/", {
        "category": "ngap-ha-tang", "latitude": f"{lat + 0.0005}", "longitude": f"{lon}",
    }).content.decode()
    assert earlier.code in body
    far = client.get("/reports/new/similar/", {
        "category": "ngap-ha-tang", "latitude": f"{lat + 0.05}", "longitude": f"{lon}",
    }).content.decode()
    assert earlier.code not in far
    other = client.get("/reports/new/similar/", {
        "category": "tieng-on", "latitude": f"{lat}", "longitude": f"{lon}"}).content.decode()
    assert earlier.code not in other


def test_text_is_escaped_on_every_page(world: WardTeam, client: Client) -> None:
    made = now_flood(description="<script>alert('x')</script>")
    for url in (f"/reports/{made.report.code}/?t={made.private_token}", "/reports/"):
        body = client.get(url).content.decode()
        assert "<script>alert(" not in body and "&lt;script&gt;" in body


# Following -------------------------------------------------------------------------------


def _resolved(world: WardTeam, made: services.Submission, reply: str = "Đã khơi thông cống."
              ) -> Report:
    report = made.report
    services.assign_report(actor=world.leader, report=report, assignee=world.officer)
    services.start_work(actor=world.officer, report=report)
    services.resolve_report(actor=world.officer, report=report, reply=reply)
    return report


def test_the_private_link_shows_the_reply_and_lets_the_reporter_rate(
    world: WardTeam, client: Client
) -> None:
    made = now_flood(contact=Contact(name="Lê Văn Dân", phone="0912345678"))
    report = _resolved(world, made)
    link = f"/reports/{report.code}/?t={made.private_token}"
    body = client.get(link).content.decode()
    assert "Đã khơi thông cống." in body and 'name="rating"' in body
    assert "Lê Văn Dân" not in body and "0912345678" not in body
    # Without the token: the public view, no rating form.
    public = client.get(f"/reports/{report.code}/").content.decode()
    assert "Đã khơi thông cống." in public and 'name="rating"' not in public
    assert client.post(f"/reports/{report.code}/rate/", {"rating": "5"}).status_code == 404
    response = client.post(f"/reports/{report.code}/rate/",
                           {"t": made.private_token, "rating": "4", "comment": "Nhanh."})
    assert response.status_code == 302 and response["Location"] == link
    report.refresh_from_db()
    assert (report.rating, report.state) == (4, "closed")
    assert "4 trên 5" in client.get(link).content.decode()


def test_the_reporter_reopens_within_the_window_with_a_reason(
    world: WardTeam, client: Client
) -> None:
    made = now_flood()
    report = _resolved(world, made)
    url = f"/reports/{report.code}/reopen/"
    assert client.post(url, {"t": made.private_token, "comment": ""}).status_code == 400
    response = client.post(url, {"t": made.private_token, "comment": "Vẫn còn ngập."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == "in_progress"
    # The reporter reads their own reason; the public page of the same report does not.
    assert "Vẫn còn ngập." in client.get(response["Location"]).content.decode()
    assert "Vẫn còn ngập." not in Client().get(f"/reports/{report.code}/").content.decode()


def test_the_signed_in_reporter_follows_without_the_token(world: WardTeam) -> None:
    made = now_flood(world.resident)
    report = _resolved(world, made)
    body = signed_in(world.resident).get(f"/reports/{report.code}/").content.decode()
    assert 'name="rating"' in body
    assert 'name="rating"' not in signed_in(world.business).get(
        f"/reports/{report.code}/").content.decode()


def test_a_hidden_report_is_shown_only_through_its_link(world: WardTeam, client: Client) -> None:
    made = now_flood()
    Report.objects.filter(pk=made.report.pk).update(is_public=False)
    assert client.get(f"/reports/{made.report.code}/").status_code == 404
    assert client.get(f"/reports/{made.report.code}/?t=wrong").status_code == 404
    assert client.get(f"/reports/{made.report.code}/?t={made.private_token}").status_code == 200
    assert made.report.code not in client.get("/reports/").content.decode()


# Public list, map, statistics ------------------------------------------------------------


def test_the_public_list_filters_and_shows_no_personal_data(
    world: WardTeam, client: Client,
) -> None:
    flooded = now_flood(world.resident, contact=Contact(email="dan@example.org")).report
    noise = services.submit_report(
        actor=services.ANONYMOUS, category="tieng-on", description="Karaoke tới 1 giờ sáng.",
        channel="web", address="Phường Thảo Điền, Quận 2", attributes={"source": "karaoke"})
    body = client.get("/reports/").content.decode()
    assert flooded.code in body and noise.report.code in body
    for secret in ("Lê Văn Dân", "0912345678", "dan@example.org", "dan.td"):
        assert secret not in body
    only_noise = client.get("/reports/", {"category": "tieng-on"}).content.decode()
    assert noise.report.code in only_noise and flooded.code not in only_noise
    in_thu_duc = client.get("/reports/", {"unit": world.ward.code}).content.decode()
    assert flooded.code in in_thu_duc and noise.report.code not in in_thu_duc
    assert flooded.code not in client.get("/reports/", {"state": "closed"}).content.decode()


def test_the_map_layers_are_our_own_geojson_without_people(world: WardTeam, client: Client) -> None:
    made = now_flood(world.resident)
    pins = client.get("/reports/map/pins.geojson").json()
    assert [f["properties"]["code"] for f in pins["features"]] == [made.report.code]
    assert "Lê Văn Dân" not in json.dumps(pins, ensure_ascii=False)
    units = client.get("/reports/map/units.geojson").json()
    names = {f["properties"]["name"] for f in units["features"]}
    assert len(units["features"]) == 168 and THUDUC in names


def test_map_pages_load_only_our_own_files_and_no_tiles_by_default(
    world: WardTeam, client: Client, settings: Settings
) -> None:
    body = client.get("/reports/new/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', body)
    assert "/static/vendor/leaflet/leaflet.js" in sources
    assert all(s.startswith("/static/") for s in sources)
    assert 'data-tiles=""' in body
    settings.CITYHALL_MAP_TILES_URL = "https://tiles.city.example/{z}/{x}/{y}.png"
    assert 'data-tiles="https://tiles.city.example/{z}/{x}/{y}.png"' in client.get(
        "/reports/").content.decode()


def test_the_vendored_leaflet_matches_its_recorded_checksums() -> None:
    import hashlib

    static = Path(settings.BASE_DIR) / "cityhall" / "static" / "vendor"
    record = json.loads((static / "VENDORED.json").read_text())["leaflet"]
    assert record["version"].startswith("1.9.") and record["license"] == "BSD-2-Clause"
    for name, sha in record["files"].items():
        assert hashlib.sha256((static / name).read_bytes()).hexdigest() == sha


def test_the_statistics_page_counts_from_the_reports(world: WardTeam) -> None:
    _resolved(world, now_flood())
    now_flood(description="Ngập lần hai ở đầu hẻm.")
    body = english().get("/reports/statistics/").content.decode()

    def figure(name: str) -> str:
        found = re.search(rf'data-testid="stat-{name}">([^<]*)<', body)
        assert found is not None
        return found.group(1)

    assert (figure("received"), figure("resolved")) == ("2", "1")
    assert figure("on-time") == "100%"
    assert "Urban infrastructure and flooding" in body and THUDUC in body


# Staff -------------------------------------------------------------------------------------


def test_staff_pages_need_sign_in(world: WardTeam, client: Client) -> None:
    for url in ("/staff/reports/", "/staff/reports/new/", "/staff/reports/PA-1/"):
        assert client.get(url)["Location"].startswith("/login/")


def test_the_queue_is_scoped_sorted_by_deadline_and_filtered(world: WardTeam) -> None:
    first = now_flood().report
    second = now_flood(description="Cống nghẹt.").report
    Report.objects.filter(pk=first.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    body = signed_in(world.officer).get("/staff/reports/").content.decode()
    assert body.index(first.code) < body.index(second.code)
    overdue = signed_in(world.officer).get("/staff/reports/", {"deadline": "overdue"})
    assert first.code in overdue.content.decode()
    assert second.code not in overdue.content.decode()
    assert first.code not in signed_in(world.outsider).get("/staff/reports/").content.decode()
    assert signed_in(world.outsider).get(f"/staff/reports/{first.code}/").status_code == 404
    web = signed_in(world.officer).get("/staff/reports/", {"channel": "hotline"})
    assert first.code not in web.content.decode()


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_list_and_detail_pages_make_a_fixed_number_of_queries(world: WardTeam) -> None:
    leader = signed_in(world.leader)
    public = Client()
    made = now_flood(contact=Contact(name="A", phone="0912345678"))
    _resolved(world, made)
    one = (_queries(leader, "/staff/reports/?state=all"), _queries(public, "/reports/"),
           _queries(leader, f"/staff/reports/{made.report.code}/"),
           _queries(public, f"/reports/{made.report.code}/"))
    for n in range(12):
        now_flood(description=f"Ngập số {n}", photos=[jpeg_with_gps()])
    code = made.report.code
    many = (_queries(leader, "/staff/reports/?state=all"), _queries(public, "/reports/"),
            _queries(leader, f"/staff/reports/{code}/"), _queries(public, f"/reports/{code}/"))
    assert one == many


def test_an_officer_handles_a_report_from_the_detail_page(world: WardTeam) -> None:
    made = now_flood()
    code = made.report.code
    leader, officer = signed_in(world.leader), signed_in(world.officer)
    page = leader.get(f"/staff/reports/{code}/").content.decode()
    assert f'/staff/reports/{code}/assign/' in page and "Trần Cán Bộ" in page
    assert leader.post(f"/staff/reports/{code}/assign/",
                       {"assignee": world.officer.username}).status_code == 302
    assert officer.post(f"/staff/reports/{code}/start_work/").status_code == 302
    empty = officer.post(f"/staff/reports/{code}/resolve/", {"reply": " "})
    assert empty.status_code == 400 and 'role="alert"' in empty.content.decode()
    assert officer.post(f"/staff/reports/{code}/resolve/",
                        {"reply": "Đã khơi thông cống."}).status_code == 302
    report = Report.objects.get(code=code)
    assert (report.state, report.public_reply) == ("resolved", "Đã khơi thông cống.")


def test_transfer_reject_and_merge_are_forms_on_the_detail_page(world: WardTeam) -> None:
    leader = signed_in(world.leader)
    original = now_flood().report
    duplicate = now_flood(description="Ngập trước cổng trường.").report
    assert leader.post(f"/staff/reports/{duplicate.code}/merge/",
                       {"original": original.code}).status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.state == "merged" and duplicate.duplicate_of == original
    to_reject = now_flood(description="Xin cấp giấy phép.").report
    refused = leader.post(f"/staff/reports/{to_reject.code}/reject/",
                          {"reason": "not_in_remit", "reply": "Không thuộc thẩm quyền."})
    assert refused.status_code == 400
    assert leader.post(f"/staff/reports/{to_reject.code}/reject/", {
        "reason": "not_in_remit", "reply": "Không thuộc thẩm quyền.",
        "responsible": "Sở Xây dựng"}).status_code == 302
    moving = now_flood(description="Ngập ở ranh giới phường.").report
    target = unit_named(ANKHANH)
    response = leader.post(f"/staff/reports/{moving.code}/transfer/",
                           {"to_unit": target.code, "comment": "Thuộc địa bàn An Khánh."})
    assert response.status_code == 302 and response["Location"] == "/staff/reports/"
    moving.refresh_from_db()
    assert moving.unit == target


def test_bulk_assign_assigns_all_ticked_reports(world: WardTeam) -> None:
    codes = [now_flood(description=f"Ngập {n}").report.code for n in range(3)]
    response = signed_in(world.clerk).post("/staff/reports/assign/", {
        "codes": codes[:2], "assignee": world.officer.username})
    assert response.status_code == 302
    states = dict(Report.objects.values_list("code", "assignee_id"))
    assert [states[c] for c in codes] == [world.officer.pk, world.officer.pk, None]
    # An assignee outside the unit: nothing is assigned.
    signed_in(world.clerk).post("/staff/reports/assign/", {
        "codes": [codes[2]], "assignee": world.outsider.username})
    assert Report.objects.get(code=codes[2]).assignee_id is None


def test_the_reply_templates_are_offered_from_the_data_file(world: WardTeam) -> None:
    made = now_flood()
    services.assign_report(actor=world.leader, report=made.report, assignee=world.officer)
    body = signed_in(world.officer).get(f"/staff/reports/{made.report.code}/").content.decode()
    assert "Đã xử lý ngập, khơi thông cống" in body and "data-reply-template" in body


def test_the_contact_is_shown_on_request_and_the_read_is_logged(world: WardTeam) -> None:
    made = now_flood(contact=Contact(name="Lê Văn Dân", phone="0912345678"))
    officer = signed_in(world.officer)
    page = officer.get(f"/staff/reports/{made.report.code}/").content.decode()
    assert "0912345678" not in page and 'id="show-contact"' in page
    assert PersonalDataRead.objects.count() == 0
    shown = officer.post(f"/staff/reports/{made.report.code}/contact/",
                         HTTP_HX_REQUEST="true").content.decode()
    assert "0912345678" in shown and "Lê Văn Dân" in shown
    assert PersonalDataRead.objects.filter(reader=world.officer).count() == 1
    assert signed_in(world.outsider).post(
        f"/staff/reports/{made.report.code}/contact/").status_code == 404


def test_staff_enter_hotline_reports_and_neighbourhood_heads_file_for_residents(
    world: WardTeam,
) -> None:
    officer = signed_in(world.officer)
    assert 'value="hotline"' in officer.get("/staff/reports/new/").content.decode()
    response = officer.post("/staff/reports/new/", {
        **flood_form(idempotency_key="h1"), "channel": "hotline",
        "contact_name": "Người gọi", "contact_phone": "0987654321"})
    code = response["Location"].split("/")[3]
    report = Report.objects.get(code=code)
    assert (report.channel, report.filed_by) == ("hotline", world.officer)
    head = make_staff("khupho.td", neighbourhood(world.ward), Role.NEIGHBOURHOOD_HEAD)
    client = signed_in(head)
    page = client.get("/staff/reports/new/").content.decode()
    assert 'value="neighbourhood_head"' in page and 'value="hotline"' not in page
    filed = client.post("/staff/reports/new/", {
        **flood_form(idempotency_key="h2"), "channel": "neighbourhood_head",
        "on_behalf_of": "dan.td"})
    assert filed.status_code == 302
    report = Report.objects.get(channel="neighbourhood_head")
    assert (report.reporter, report.filed_by) == (world.resident, head)
    # A resident never sees a staff page (tests/test_residents.py walks them all).
    assert signed_in(world.resident).get("/staff/reports/new/").status_code == 403


def test_the_staff_home_counts_the_users_report_queue(world: WardTeam) -> None:
    late = now_flood().report
    now_flood(description="Ngập hẻm 5.")
    Report.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))
    body = english(signed_in(world.officer)).get("/staff/").content.decode()
    panel = body[body.index('data-testid="reports-panel"'):]
    panel = panel[:panel.index("</article>")]
    assert re.search(r"<strong>2</strong> open in your units", panel)
    assert re.search(r"<strong>1</strong> overdue", panel)
    outsider = english(signed_in(world.outsider)).get("/staff/").content.decode()
    assert re.search(r"<strong>0</strong> open in your units", outsider)


# Privacy: reporters' names and own words stay with those who need them -----------------------


def test_staff_see_the_reporter_by_role_in_the_history_until_they_open_the_contact(
    world: WardTeam,
) -> None:
    made = now_flood(world.resident)
    report = _resolved(world, made)
    services.reopen_report(actor=world.resident, report=report, reason="Vẫn còn ngập.")
    leader = signed_in(world.leader)
    page = leader.get(f"/staff/reports/{report.code}/").content.decode()
    assert "Lê Văn Dân" not in page
    assert page.count("người phản ánh") >= 2  # filed and reopened by the reporter
    assert not PersonalDataRead.objects.exists()
    # Opening the contact is a logged read; only then does the name appear, beside it.
    shown = leader.post(f"/staff/reports/{report.code}/contact/").content.decode()
    assert "Lê Văn Dân (người phản ánh)" in shown
    assert PersonalDataRead.objects.filter(reader=world.leader).count() == 1


def test_the_api_history_names_the_reporter_by_role_not_by_username(world: WardTeam) -> None:
    made = now_flood(world.resident)
    detail = signed_in(world.leader).get(f"/api/v1/reports/{made.report.code}").json()
    actors = [step["actor"] for step in detail["history"]]
    assert actors[0] == "reporter"
    assert world.resident.username not in actors


def test_the_rating_comment_is_shown_to_the_reporter_only(world: WardTeam, client: Client) -> None:
    made = now_flood()
    report = _resolved(world, made)
    services.rate_report(actor=services.ANONYMOUS, report=report, rating=2,
                         comment="Cán bộ thái độ chưa tốt.", private_token=made.private_token)
    public = client.get(f"/reports/{report.code}/").content.decode()
    assert "2 trên 5" in public and "Cán bộ thái độ chưa tốt." not in public
    own = client.get(f"/reports/{report.code}/?t={made.private_token}").content.decode()
    assert "Cán bộ thái độ chưa tốt." in own


def test_assigning_a_report_to_its_assignee_again_says_nothing_changed(world: WardTeam) -> None:
    made = now_flood()
    code = made.report.code
    leader = signed_in(world.leader)
    form = {"assignee": world.officer.username}
    assert leader.post(f"/staff/reports/{code}/assign/", form).status_code == 302
    again = leader.post(f"/staff/reports/{code}/assign/", form, follow=True).content.decode()
    assert "Không có thay đổi: phản ánh đã được giao cho người này." in again
    bulk = leader.post("/staff/reports/assign/", {"codes": [code], **form}, follow=True)
    body = bulk.content.decode()
    assert "1 phản ánh đã do Trần Cán Bộ xử lý từ trước" in body and "Đã giao" not in body
