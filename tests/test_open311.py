"""Open311 GeoReport v2 at /open311/v2/: shapes in both formats, filing, reading, errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from pytest_django import Settings

from cityhall.accounts import services as accounts
from cityhall.accounts.models import Role
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.open311 import render
from cityhall.reports import services
from cityhall.reports.models import Report, ReportContact, ReportPhoto
from tests.factories import ANKHANH, THUDUC, make_staff, unit_named
from tests.reports_support import categories, thu_duc_point

if TYPE_CHECKING:
    from tests.factories import Response

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
CONTACT = {"first_name": "Văn An", "last_name": "Nguyễn", "email": "an.secret@example.org",
           "phone": "0909123456", "device_id": "device-xyz-777", "account_id": "acct-4242"}


@pytest.fixture(autouse=True)
def _setup(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    categories()


@pytest.fixture
def key() -> str:
    _key, raw = accounts.create_api_key(actor=SYSTEM, name="FixApp", scopes=["open311:write"])
    return raw


def xml(response: Response) -> ET.Element:
    """The parsed XML body, after checking the declaration and the content type."""
    assert response["Content-Type"] == XML_TYPE
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 (our own server's output)


def body(response: Response) -> Any:
    assert response["Content-Type"] == JSON_TYPE
    return json.loads(response.content.decode())


def assert_error(response: Response, status: int, fmt: str) -> list[str]:
    """The response is an Open311 error document in `fmt`; returns the descriptions."""
    assert response.status_code == status
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        errors = root.findall("error")
        assert errors and all(e.findtext("code") == str(status) for e in errors)
        return [e.findtext("description") or "" for e in errors]
    data = body(response)
    assert isinstance(data, list) and data
    assert all(e["code"] == status for e in data)
    return [e["description"] for e in data]


def flood_form(**extra: str) -> dict[str, Any]:
    lat, lon = thu_duc_point()
    form: dict[str, Any] = {"service_code": "ngap-ha-tang", "lat": str(lat), "long": str(lon),
                            "description": "Nước ngập 40cm trước số 12.",
                            "attribute[kind]": "flooding"}
    form.update(extra)
    return form


def post(client: Client, key: str | None, fmt: str = "json", **form: Any) -> Response:
    data = dict(form)
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}requests.{fmt}", data)


def filed(ago: dt.timedelta = dt.timedelta(hours=1), **extra: Any) -> Report:
    """A flooding report in Phường Thủ Đức received `ago`, through the real service."""
    lat, lon = thu_duc_point()
    fields: dict[str, Any] = {
        "category": "ngap-ha-tang", "description": "Ngập sâu", "channel": "web",
        "latitude": lat, "longitude": lon, "attributes": {"kind": "flooding"}}
    fields.update(extra)
    return services.submit_report(actor=services.ANONYMOUS, now=timezone.now() - ago,
                                  **fields).report


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


# Discovery and services


def test_discovery_lists_this_endpoint_in_both_formats(client: Client) -> None:
    root = xml(client.get(f"{BASE}discovery.xml"))
    assert root.tag == "discovery"
    assert W3C.match(root.findtext("changeset") or "")
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("url") == "http://testserver/open311/v2/"
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml", "application/json"]
    data = body(client.get(f"{BASE}discovery.json"))
    assert data["endpoints"][0]["formats"] == ["text/xml", "application/json"]


def test_services_list_resident_categories_with_metadata_flags(client: Client) -> None:
    root = xml(client.get(f"{BASE}services.xml"))
    assert root.tag == "services"
    services_ = {s.findtext("service_code"): s for s in root.findall("service")}
    flood = services_["ngap-ha-tang"]
    assert [c.tag for c in flood] == ["service_code", "service_name", "description",
                                      "metadata", "type", "keywords", "group"]
    assert flood.findtext("metadata") == "true"
    assert flood.findtext("type") == "realtime"
    assert "ngập" in (flood.findtext("keywords") or "")
    assert flood.findtext("group") == "Hạ tầng đô thị"
    assert services_["moi-truong-rac"].findtext("metadata") == "false"
    # Enterprise categories are filed by business accounts, not through partners.
    assert "dn-thue-phi" not in services_
    data = body(client.get(f"{BASE}services.json"))
    assert isinstance(data, list)
    assert {d["service_code"] for d in data} == set(services_)
    assert all(isinstance(d["service_code"], str) and isinstance(d["metadata"], bool)
               for d in data)


def test_services_speak_english_when_asked(client: Client) -> None:
    data = body(client.get(f"{BASE}services.json", HTTP_ACCEPT_LANGUAGE="en"))
    flood = next(d for d in data if d["service_code"] == "ngap-ha-tang")
    assert flood["service_name"] == "Urban infrastructure and flooding"


def test_a_service_definition_gives_its_attributes_in_order(client: Client) -> None:
    root = xml(client.get(f"{BASE}services/ngap-ha-tang.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "ngap-ha-tang"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == [
        "kind", "water_depth_cm", "since", "affects", "landmark", "details"]
    kind = attributes[0]
    assert [c.tag for c in kind] == ["variable", "code", "datatype", "required",
                                     "datatype_description", "order", "description", "values"]
    assert kind.findtext("variable") == "true"
    assert kind.findtext("datatype") == "singlevaluelist"
    assert kind.findtext("required") == "true"
    assert kind.findtext("order") == "1"
    values = [(v.findtext("key"), v.findtext("name")) for v in kind.findall("values/value")]
    assert values[0] == ("flooding", "Ngập nước")
    assert attributes[1].findtext("required") == "false"
    assert attributes[1].findall("values/value") == []
    data = body(client.get(f"{BASE}services/ngap-ha-tang.json"))
    assert data["service_code"] == "ngap-ha-tang"
    assert data["attributes"][3]["datatype"] == "multivaluelist"
    assert data["attributes"][3]["values"][0] == {"key": "road", "name": "Lòng đường"}
    assert data["attributes"][0]["description"] == "Sự cố gì"
    # In the client's language: the English labels and value names where the category has them.
    english = body(client.get(f"{BASE}services/ngap-ha-tang.json", HTTP_ACCEPT_LANGUAGE="en"))
    assert english["attributes"][0]["description"] == "What is wrong"
    assert english["attributes"][3]["values"][0] == {"key": "road", "name": "Roadway"}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_service_is_a_404(client: Client, fmt: str) -> None:
    assert_error(client.get(f"{BASE}services/no-such.{fmt}"), 404, fmt)
    assert_error(client.get(f"{BASE}services/dn-thue-phi.{fmt}"), 404, fmt)


# Filing


def test_a_partner_files_a_request_and_gets_its_id_and_notice(client: Client, key: str) -> None:
    response = post(client, key, "xml", **flood_form(**CONTACT))
    assert response.status_code == 201
    root = xml(response)
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 1
    code = requests[0].findtext("service_request_id") or ""
    assert code.startswith("PA-")
    assert (requests[0].findtext("service_notice") or "").startswith("Chưa có dữ liệu ranh giới")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    form = {**flood_form(**CONTACT), "description": "Cống nghẹt trước số 3."}
    english = xml(post(client, key, "xml", **form))
    assert (english.findtext("request/service_notice") or "").startswith(
        "No ward boundary is on record")
    assert requests[0].findtext("account_id") == "acct-4242"
    report = Report.objects.get(code=code)
    assert report.channel == "open311" and report.api_key is not None
    assert report.unit == unit_named(THUDUC)
    assert report.attribute_values == {"kind": "flooding"}
    contact = ReportContact.objects.get(report=report)
    assert contact.name == "Nguyễn Văn An" and contact.email == "an.secret@example.org"
    assert contact.device_id == "device-xyz-777" and contact.account_id == "acct-4242"


def test_the_json_answer_is_a_bare_array_of_one(client: Client, key: str) -> None:
    data = body(post(client, key, "json", **flood_form()))
    assert isinstance(data, list) and len(data) == 1
    assert isinstance(data[0]["service_request_id"], str)
    assert data[0]["account_id"] is None


def test_list_attributes_take_every_value(client: Client, key: str) -> None:
    form = flood_form(**{"attribute[water_depth_cm]": "35"})
    form["attribute[affects][]"] = ["road", "homes"]
    data = body(post(client, key, **form))
    report = Report.objects.get(code=data[0]["service_request_id"])
    assert report.attribute_values == {"kind": "flooding", "water_depth_cm": 35,
                                       "affects": ["road", "homes"]}


def test_empty_parameters_count_as_absent(client: Client, key: str) -> None:
    form = flood_form(address_string="", address_id="", email="", media_url="",
                      jurisdiction_id="", **{"attribute[since]": ""})
    response = post(client, key, **form)
    assert response.status_code == 201
    report = Report.objects.get(code=body(response)[0]["service_request_id"])
    assert report.anonymous and not ReportContact.objects.filter(report=report).exists()
    # An empty lat/long with an address uses the address.
    form = flood_form(lat="", long="", address_string="Phường Thảo Điền, Quận 2, TP.HCM")
    response = post(client, key, **form)
    assert response.status_code == 201
    report = Report.objects.get(code=body(response)[0]["service_request_id"])
    assert report.unit == unit_named(ANKHANH)


def test_an_address_id_is_a_ward_code_of_the_registry(client: Client, key: str) -> None:
    ward = unit_named(ANKHANH)
    form = flood_form(lat="", long="", address_id=ward.code)
    response = post(client, key, **form)
    assert response.status_code == 201, response.content
    assert Report.objects.get(code=body(response)[0]["service_request_id"]).unit == ward
    descriptions = assert_error(post(client, key, **flood_form(lat="", long="",
                                                               address_id="00000")), 400, "json")
    assert "address_id" in descriptions[0]


def test_a_retry_with_the_same_idempotency_key_creates_one_report(
    client: Client, key: str
) -> None:
    first = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key},
                        HTTP_IDEMPOTENCY_KEY="retry-1")
    again = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key},
                        HTTP_IDEMPOTENCY_KEY="retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert body(first) == body(again)
    assert Report.objects.count() == 1


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_missing_wrong_or_unscoped_key_is_a_403(client: Client, key: str, fmt: str) -> None:
    _k, reader = accounts.create_api_key(actor=SYSTEM, name="Reader", scopes=["units:read"])
    for raw in (None, "", "chk_wrong", reader):
        assert_error(post(client, raw, fmt, **flood_form()), 403, fmt)
    assert not Report.objects.exists()


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_malformed_requests_are_400_with_a_reason(client: Client, key: str, fmt: str) -> None:
    # The reasons are checked in English: a partner asking for it gets it.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"service_code": ""}, "service_code"),
        ({"lat": "", "long": ""}, "lat"),
        ({"lat": "abc"}, "lat"),
        ({"lat": "91"}, "lat"),
        ({"long": ""}, "lat and long"),
        ({"description": "x" * 4001}, "4000"),
        ({"description": ""}, ""),
        ({"attribute[kind]": "volcano"}, "attribute[kind]"),
        ({"attribute[nope]": "1"}, "attribute[nope]"),
        ({"media_url": "ftp://example.org/a.jpg"}, ""),
        ({"email": "not-an-email"}, "email"),
    ]
    for change, needle in cases:
        descriptions = assert_error(post(client, key, fmt, **flood_form(**change)), 400, fmt)
        assert needle in " ".join(descriptions), (change, descriptions)
    assert not Report.objects.exists()
    # Each refusal by the reports service leaves its audit entry, nothing else.
    assert AuditEntry.objects.filter(action="reports.submit_refused").count() >= 5


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_service_or_jurisdiction_is_a_404_when_filing(
    client: Client, key: str, fmt: str
) -> None:
    assert_error(post(client, key, fmt, **flood_form(service_code="no-such")), 404, fmt)
    assert_error(post(client, key, fmt, **flood_form(jurisdiction_id="hanoi.gov.vn")), 404, fmt)
    assert post(client, key, fmt, **flood_form(jurisdiction_id="tphcm.gov.vn")).status_code == 201


def test_a_photo_is_uploaded_with_the_request(client: Client, key: str) -> None:
    upload = io.BytesIO(jpeg())
    upload.name = "pothole.jpg"
    response = client.post(f"{BASE}requests.json", {**flood_form(), "api_key": key,
                                                     "media": upload})
    assert response.status_code == 201, response.content
    code = body(response)[0]["service_request_id"]
    photo = ReportPhoto.objects.get(report__code=code)
    assert photo.content_type == "image/jpeg" and photo.width == 40
    shown = body(client.get(f"{BASE}requests/{code}.json"))[0]
    assert shown["media_url"] == f"http://testserver/reports/{code}/photos/{photo.pk}/"
    # The link serves the picture while the report is public, and nothing once it is hidden.
    path = shown["media_url"].removeprefix("http://testserver")
    assert client.get(path)["Content-Type"] == "image/jpeg"
    Report.objects.filter(code=code).update(is_public=False)
    assert client.get(path).status_code == 404


def test_an_upload_that_is_not_an_image_is_refused(client: Client, key: str) -> None:
    upload = io.BytesIO(b"%PDF-1.4 definitely not a picture")
    upload.name = "photo.jpg"
    response = client.post(f"{BASE}requests.xml", {**flood_form(), "api_key": key,
                                                    "media": upload})
    assert_error(response, 400, "xml")
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()


# Reading


def test_get_requests_shows_public_fields_in_both_formats(client: Client) -> None:
    report = filed(address="Số 12 Võ Văn Ngân")
    root = xml(client.get(f"{BASE}requests.xml"))
    assert root.tag == "service_requests"
    (item,) = root.findall("request")
    assert [c.tag for c in item] == [
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
        "long", "media_url"]
    assert item.findtext("service_request_id") == report.code
    assert item.findtext("status") == "open"
    assert item.findtext("agency_responsible") == "Phường Thủ Đức"
    assert item.findtext("address") == "Số 12 Võ Văn Ngân"
    assert item.findtext("address_id") == unit_named(THUDUC).code
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(item.findtext(name) or ""), name
    assert float(item.findtext("lat") or 0) == report.latitude
    (data,) = body(client.get(f"{BASE}requests.json"))
    assert data["service_request_id"] == report.code
    assert isinstance(data["service_code"], str) and isinstance(data["lat"], float)
    assert W3C.match(data["expected_datetime"])
    assert data["expected_datetime"] == timezone.localtime(report.due_at).isoformat()


def test_one_request_by_id_is_still_an_array(client: Client) -> None:
    report = filed()
    root = xml(client.get(f"{BASE}requests/{report.code}.xml"))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [report.code]
    data = body(client.get(f"{BASE}requests/{report.code}.json"))
    assert isinstance(data, list) and len(data) == 1


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_request_token_or_jurisdiction_is_a_404(client: Client, fmt: str) -> None:
    report = filed()
    assert_error(client.get(f"{BASE}requests/PA-000000-0000.{fmt}"), 404, fmt)
    assert_error(client.get(f"{BASE}tokens/1-deadbeef.{fmt}"), 404, fmt)
    assert_error(client.get(f"{BASE}requests.{fmt}", {"jurisdiction_id": "x"}), 404, fmt)
    assert_error(client.get(f"{BASE}requests.{fmt}", {"service_code": "nope"}), 404, fmt)
    Report.objects.filter(pk=report.pk).update(is_public=False)
    assert_error(client.get(f"{BASE}requests/{report.code}.{fmt}"), 404, fmt)


def test_contact_details_never_appear_in_what_is_read(client: Client, key: str) -> None:
    code = body(post(client, key, **flood_form(**CONTACT)))[0]["service_request_id"]
    for fmt in ("xml", "json"):
        for url in (f"{BASE}requests.{fmt}?extensions=true",
                    f"{BASE}requests/{code}.{fmt}?extensions=true"):
            text = client.get(url).content.decode()
            assert code in text
            for secret in ("an.secret", "0909123456", "device-xyz", "acct-4242", "Văn An"):
                assert secret not in text, (url, secret)


def test_the_token_leads_to_the_request(client: Client, key: str) -> None:
    (made,) = body(post(client, key, **flood_form()))
    token = made["token"]
    root = xml(client.get(f"{BASE}tokens/{token}.xml"))
    request = root.find("request")
    assert root.tag == "service_requests" and request is not None
    assert request.findtext("service_request_id") == made["service_request_id"]
    assert request.findtext("token") == token
    assert body(client.get(f"{BASE}tokens/{token}.json"))[0]["service_request_id"] == \
        made["service_request_id"]
    forged = token.split("-")[0] + "-" + "0" * 24
    assert client.get(f"{BASE}tokens/{forged}.json").status_code == 404


def test_filters_by_id_service_status_and_dates(client: Client) -> None:
    ward = unit_named(THUDUC)
    leader = make_staff("leader.td", ward, Role.LEADER)
    old = filed(ago=dt.timedelta(days=120))
    recent = filed(ago=dt.timedelta(days=2))
    noise = filed(category="tieng-on", attributes={"source": "karaoke"})
    services.assign_report(actor=leader, report=noise, assignee=leader)
    services.resolve_report(actor=leader, report=noise, reply="Đã nhắc nhở cơ sở karaoke.")

    def ids(**params: str) -> list[str]:
        response = client.get(f"{BASE}requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in body(response)]

    # The default window is the last 90 days, newest first.
    assert ids() == [noise.code, recent.code]
    assert ids(service_request_id=f"{old.code},{noise.code}") == [noise.code, old.code]
    # The ids override every other filter.
    assert ids(service_request_id=old.code, status="open", service_code="tieng-on") == [old.code]
    assert ids(service_code="tieng-on") == [noise.code]
    assert ids(service_code="ngap-ha-tang,tieng-on") == [noise.code, recent.code]
    assert ids(status="closed") == [noise.code]
    assert ids(status="open") == [recent.code]
    assert ids(status="open,closed") == [noise.code, recent.code]
    start = (timezone.now() - dt.timedelta(days=200)).isoformat()
    assert ids(start_date=start) == [noise.code, recent.code, old.code]
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    assert ids(end_date=end) == [old.code]
    assert ids(start_date=start, end_date=end) == [old.code]
    # A "+" that the client did not encode arrives as a space.
    assert ids(start_date=start.replace("+", " ")) == [noise.code, recent.code, old.code]
    (shown,) = body(client.get(f"{BASE}requests.json", {"service_code": "tieng-on"}))
    assert shown["status"] == "closed"
    assert shown["status_notes"] == "Đã nhắc nhở cơ sở karaoke."


def test_extension_filters_pages_updates_and_places(client: Client) -> None:
    lat, lon = thu_duc_point()
    reports = [filed(ago=dt.timedelta(hours=5 - i)) for i in range(5)]
    newest_first = [r.code for r in reversed(reports)]
    far = filed(category="moi-truong-rac", latitude=None, longitude=None,
                address="Phường Thảo Điền, Quận 2, TP.HCM", attributes={})

    def ids(**params: str) -> list[str]:
        response = client.get(f"{BASE}requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in body(response)]

    assert ids(page_size="2") == [far.code, *newest_first[:1]]
    assert ids(page_size="2", page="2") == newest_first[1:3]
    assert ids(page_size="2", page="9") == []
    cut = timezone.now() - dt.timedelta(hours=2, minutes=30)
    Report.objects.filter(pk=reports[0].pk).update(updated_at=timezone.now())
    assert reports[0].code in ids(updated_after=cut.isoformat())
    assert reports[1].code not in ids(updated_after=cut.isoformat())
    assert reports[0].code not in ids(updated_before=cut.isoformat())
    assert set(ids(lat=str(lat), long=str(lon), radius="100")) == {r.code for r in reports}
    assert ids(lat=str(lat + 0.01), long=str(lon), radius="100") == []
    box = f"{lat - 0.001},{lon - 0.001},{lat + 0.001},{lon + 0.001}"
    assert set(ids(bbox=box)) == {r.code for r in reports}
    # Longitude first (the GeoJSON order) is out of range here: the order is lat, long.
    swapped = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    assert_error(client.get(f"{BASE}requests.json", {"bbox": swapped}), 400, "json")
    assert ids(bbox=f"{lat + 0.01},{lon - 0.001},{lat + 0.02},{lon + 0.001}") == []


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_filters_are_400(client: Client, fmt: str) -> None:
    for params in ({"start_date": "yesterday"}, {"end_date": "2026-13-45T00:00:00+07:00"},
                   {"start_date": "2026-03-02T09:00:00"},
                   {"start_date": "2026-03-02T09:00:00+07:00",
                    "end_date": "2026-03-01T09:00:00+07:00"},
                   {"status": "pending"}, {"page": "0"}, {"page_size": "1001"},
                   {"page_size": "ten"}, {"lat": "10.8"}, {"radius": "100"},
                   {"lat": "10.8", "long": "106.7", "radius": "-1"},
                   {"bbox": "1,2,3"}, {"bbox": "11,106,10,107"}, {"extensions": "maybe"},
                   {"updated_after": "now"}):
        assert_error(client.get(f"{BASE}requests.{fmt}", params), 400, fmt)


def test_each_bad_filter_is_named_in_its_own_description(client: Client) -> None:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    descriptions = assert_error(client.get(f"{BASE}requests.json", {
        "page_size": "ten", "status": "pending", "bbox": "1,2,3"}), 400, "json")
    named = sorted(line.split(":")[0] for line in descriptions)
    assert named == ["bbox", "page_size", "status"], descriptions


def test_lists_may_repeat_a_parameter_or_join_it_with_commas(client: Client) -> None:
    reports = [filed(), filed()]
    codes = [r.code for r in reports]
    joined = client.get(f"{BASE}requests.json", {"service_request_id": ",".join(codes)})
    repeated = client.get(f"{BASE}requests.json", {"service_request_id": codes})
    assert {item["service_request_id"] for item in json.loads(joined.content)} == set(codes)
    assert {item["service_request_id"] for item in json.loads(repeated.content)} == set(codes)


def test_empty_filters_count_as_absent(client: Client) -> None:
    report = filed()
    params = dict.fromkeys(("service_request_id", "service_code", "start_date", "end_date",
                            "status", "page", "page_size", "lat", "long", "radius", "bbox",
                            "updated_after", "updated_before", "extensions",
                            "jurisdiction_id"), "")
    data = body(client.get(f"{BASE}requests.json", params))
    assert [r["service_request_id"] for r in data] == [report.code]


def test_extensions_add_the_public_handling_log_and_photos(client: Client) -> None:
    ward = unit_named(THUDUC)
    leader = make_staff("leader.td", ward, Role.LEADER)
    report = filed(photos=[jpeg()])
    services.assign_report(actor=leader, report=report, assignee=leader,
                           comment="Internal: ask the drainage crew")
    services.resolve_report(actor=leader, report=report, reply="Đã khơi thông cống.",
                            photos=[jpeg()])
    plain = body(client.get(f"{BASE}requests/{report.code}.json"))[0]
    assert "extended_attributes" not in plain
    root = xml(client.get(f"{BASE}requests/{report.code}.xml", {"extensions": "true"}))
    steps = root.findall("request/extended_attributes/handling_log/step")
    assert [s.findtext("state") for s in steps] == ["received", "assigned", "resolved"]
    assert [s.findtext("status") for s in steps] == ["open", "open", "closed"]
    assert steps[0].findtext("note", "").startswith("Chưa có dữ liệu ranh giới")
    assert steps[1].findtext("note") == ""
    assert steps[2].findtext("note") == "Đã khơi thông cống."
    assert all(W3C.match(s.findtext("datetime") or "") for s in steps)
    assert "Internal" not in root.findtext("request/status_notes", "")
    assert b"Internal" not in client.get(
        f"{BASE}requests/{report.code}.json", {"extensions": "true"}).content
    photos = root.findall("request/extended_attributes/photos/photo")
    assert [p.findtext("kind") for p in photos] == ["report", "reply"]
    assert all((p.findtext("url") or "").startswith(f"http://testserver/reports/{report.code}/photos/")
               for p in photos)


def test_reading_costs_a_fixed_number_of_queries(client: Client) -> None:
    def count(**params: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{BASE}requests.json", params)
        assert response.status_code == 200
        return len(queries)

    for _ in range(2):
        filed(photos=[jpeg()])
    small = (count(), count(extensions="true"), count(service_code="ngap-ha-tang"))
    for _ in range(6):
        filed(photos=[jpeg()])
    assert len(body(client.get(f"{BASE}requests.json"))) == 8
    assert (count(), count(extensions="true"), count(service_code="ngap-ha-tang")) == small
    assert small == (1, 3, 2)


def test_text_is_escaped_in_xml_and_kept_as_given(client: Client) -> None:
    text = 'Cống <b>nghẹt</b> & "tràn" \x01 ]]>'
    report = filed(description=text)
    root = xml(client.get(f"{BASE}requests/{report.code}.xml"))
    assert root.findtext("request/description") == text.replace("\x01", "\ufffd")
    assert body(client.get(f"{BASE}requests/{report.code}.json"))[0]["description"] == text
    assert Report.objects.get(pk=report.pk).description == text


def test_the_xml_document_nests_lists_and_mappings_and_leaves_empty_values_empty() -> None:
    body = render.xml_document("service_definition", None, {
        "service_code": "a&b", "attributes": [
            {"variable": True, "required": False, "order": 1, "lat": 10.5,
             "values": [{"key": "x", "name": "<x>\ud800"}, {"key": "y", "name": ""}]},
        ], "none": None, "nothing": [], "empty": {},
    })
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<service_definition>')
    assert b"<service_code>a&amp;b</service_code>" in body
    root = ET.fromstring(body)  # noqa: S314 (our own output)
    attribute = root.find("attributes/attribute")
    assert attribute is not None
    assert [(e.tag, e.text) for e in attribute][:4] == [
        ("variable", "true"), ("required", "false"), ("order", "1"), ("lat", "10.5")]
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.iter("value")] == [
        ("x", "<x>\ufffd"), ("y", "")]
    assert [(e.tag, len(e), e.text) for e in root][2:] == [
        ("none", 0, None), ("nothing", 0, None), ("empty", 0, None)]


# Addresses and formats


@pytest.mark.parametrize("path", ["discovery.csv", "services.html", "requests", "services",
                                  "requests.XML"])
def test_an_unknown_or_missing_format_is_a_400_in_xml(client: Client, path: str) -> None:
    assert_error(client.get(BASE + path), 400, "xml")


def test_an_unknown_resource_is_a_404_never_an_html_page(client: Client) -> None:
    assert_error(client.get(f"{BASE}nothing/here.xml"), 404, "xml")
    assert_error(client.get(f"{BASE}nothing.json"), 404, "json")


def test_a_wrong_method_is_refused_with_an_error_body(client: Client) -> None:
    response = client.delete(f"{BASE}requests.json")
    assert_error(response, 405, "json")
    assert assert_error(client.post(f"{BASE}services.xml"), 405, "xml")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_nul_character_is_a_400_in_the_requested_format(
    client: Client, key: str, fmt: str
) -> None:
    assert_error(post(client, key, fmt, **flood_form(description="ngập\x00sâu")), 400, fmt)
    assert_error(client.get(f"{BASE}requests.{fmt}", {"service_code": "a\x00"}), 400, fmt)
    assert not Report.objects.exists()


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_body_over_the_size_limit_is_a_413_in_the_requested_format(
    client: Client, key: str, fmt: str, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    descriptions = assert_error(
        post(client, key, fmt, **flood_form(description="ngập " * 5_000)), 413, fmt)
    assert descriptions and "10000" in descriptions[0]
    assert not Report.objects.exists()
