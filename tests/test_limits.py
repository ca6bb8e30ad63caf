"""Request limits: the N+1th filing or follow-up on each channel is refused with 429 and
Retry-After, nothing is filed, and the counter is per address, account or partner key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from django.test.utils import override_settings
from pytest_django import Settings

from cityhall.accounts import services as accounts
from cityhall.core.audit import SYSTEM
from cityhall.core.context import client_address
from cityhall.core.env import EnvError, env_rate
from cityhall.open311.models import Intake
from cityhall.reports.models import Report
from tests.factories import bearer, make_user
from tests.reports_support import categories, flood, thu_duc_point
from tests.test_reports_web import flood_form

pytestmark = pytest.mark.django_db

ALICE, BOB = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def limited(settings: Settings, tmp_path: Path) -> Settings:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CITYHALL_RATE_ANONYMOUS = "2/h"
    settings.CITYHALL_RATE_SIGNED_IN = "3/h"
    settings.CITYHALL_RATE_PARTNER = "2/h"
    categories()
    return settings


def _api_body(**extra: Any) -> dict[str, Any]:
    lat, lon = thu_duc_point()
    body = {"category": "ngap-ha-tang", "description": "Nước ngập 40cm.", "latitude": lat,
            "longitude": lon, "channel": "web", "attributes": {"kind": "flooding"}}
    body.update(extra)
    return body


def _api_file(client: Client, address: str, **headers: str) -> Any:
    return client.post("/api/v1/reports", json.dumps(_api_body()), content_type="application/json",
                       REMOTE_ADDR=address, headers=headers)


def _assert_retry_after(response: Any) -> None:
    assert 1 <= int(response["Retry-After"]) <= 3600


# The API ------------------------------------------------------------------------------------

def test_the_api_refuses_the_third_anonymous_report_from_one_address(limited: Settings) -> None:
    client = Client()
    assert [_api_file(client, ALICE).status_code for _ in range(2)] == [201, 201]
    refused = _api_file(client, ALICE)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert "thử lại" in refused.json()["detail"]
    _assert_retry_after(refused)
    assert Report.objects.count() == 2
    # Another address has its own counter.
    assert _api_file(client, BOB).status_code == 201
    assert Report.objects.count() == 3


def test_a_signed_in_api_caller_counts_on_its_account_with_its_own_rate(
    limited: Settings,
) -> None:
    client = Client()
    resident, other = make_user("ba.tu"), make_user("co.nam")
    for _ in range(3):
        assert _api_file(client, ALICE, **bearer(resident)).status_code == 201
    refused = _api_file(client, ALICE, **bearer(resident))
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    _assert_retry_after(refused)
    # The account's counter is not the address's, nor another account's.
    assert _api_file(client, ALICE).status_code == 201
    assert _api_file(client, ALICE, **bearer(other)).status_code == 201


def test_the_reporters_follow_ups_are_limited_per_address(limited: Settings) -> None:
    made = flood()
    client = Client()
    path = f"/api/v1/reports/{made.report.code}/reopen"
    body = json.dumps({"token": made.private_token, "reason": "Vẫn còn ngập."})
    answers = [client.post(path, body, content_type="application/json", REMOTE_ADDR=ALICE)
               for _ in range(3)]
    # Reopening a report that is not resolved is refused by the service (409), and counted.
    assert [a.status_code for a in answers[:2]] == [409, 409]
    assert answers[2].status_code == 429
    assert answers[2].json()["code"] == "rate_limited"
    _assert_retry_after(answers[2])
    photos = client.post(f"/api/v1/reports/{made.report.code}/photos", {"token": "x"},
                         REMOTE_ADDR=ALICE)
    assert photos.status_code == 429
    assert client.post(path, body, content_type="application/json",
                       REMOTE_ADDR=BOB).status_code == 409


def test_filing_and_follow_ups_count_separately(limited: Settings) -> None:
    made = flood()
    client = Client()
    for _ in range(2):
        assert _api_file(client, ALICE).status_code == 201
    rate = client.post(f"/api/v1/reports/{made.report.code}/rate",
                       json.dumps({"token": made.private_token, "rating": 5}),
                       content_type="application/json", REMOTE_ADDR=ALICE)
    assert rate.status_code != 429


def test_the_openapi_document_lists_the_429(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "429" in paths["/api/v1/reports"]["post"]["responses"]
    assert "429" in paths["/api/v1/reports/{code}/photos"]["post"]["responses"]


# The web form -------------------------------------------------------------------------------

def test_the_web_form_is_shown_again_with_a_429_and_nothing_is_filed(limited: Settings) -> None:
    client = Client()
    for n in range(2):
        sent = client.post("/reports/new/", flood_form(idempotency_key=f"k{n}"),
                           REMOTE_ADDR=ALICE)
        assert sent.status_code == 302
    refused = client.post("/reports/new/", flood_form(idempotency_key="k3"), REMOTE_ADDR=ALICE,
                          HTTP_ACCEPT_LANGUAGE="vi")
    assert refused.status_code == 429
    _assert_retry_after(refused)
    page = refused.content.decode()
    assert "Quá nhiều yêu cầu" in page
    assert 'id="form-errors"' in page and "Nước ngập 40cm trước số 12" in page  # kept
    assert Report.objects.count() == 2
    english = client.post("/reports/new/", flood_form(idempotency_key="k4"), REMOTE_ADDR=ALICE,
                          HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429 and "Too many requests" in english.content.decode()
    assert client.post("/reports/new/", flood_form(idempotency_key="k5"),
                       REMOTE_ADDR=BOB).status_code == 302


def test_showing_the_web_form_is_not_counted(limited: Settings) -> None:
    client = Client()
    for _ in range(5):
        assert client.get("/reports/new/", REMOTE_ADDR=ALICE).status_code == 200
    assert client.post("/reports/new/", flood_form(), REMOTE_ADDR=ALICE).status_code == 302


def test_the_web_follow_ups_are_limited(limited: Settings) -> None:
    made = flood()
    client = Client()
    url = f"/reports/{made.report.code}/rate/"
    for _ in range(2):
        assert client.post(url, {"t": made.private_token, "rating": "5"},
                           REMOTE_ADDR=ALICE).status_code == 400  # not answered yet
    refused = client.post(url, {"t": made.private_token, "rating": "5"}, REMOTE_ADDR=ALICE,
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    _assert_retry_after(refused)
    assert "Too many requests" in refused.content.decode()


# Open311 ------------------------------------------------------------------------------------

def _open311(client: Client, key: str | None, address: str, fmt: str = "json") -> Any:
    lat, lon = thu_duc_point()
    data = {"service_code": "ngap-ha-tang", "lat": str(lat), "long": str(lon),
            "description": "Nước ngập 40cm.", "attribute[kind]": "flooding"}
    if key:
        data["api_key"] = key
    return client.post(f"/open311/v2/requests.{fmt}", data, REMOTE_ADDR=address)


def _key(name: str) -> str:
    return accounts.create_api_key(actor=SYSTEM, name=name, scopes=["open311:write"])[1]


def test_open311_counts_per_partner_key_whatever_the_address(limited: Settings) -> None:
    client = Client()
    first, second = _key("FixApp"), _key("CityApp")
    assert _open311(client, first, ALICE).status_code == 201
    assert _open311(client, first, BOB).status_code == 201
    refused = _open311(client, first, "192.0.2.1")
    assert refused.status_code == 429
    _assert_retry_after(refused)
    [error] = refused.json()
    assert error["code"] == 429 and "thử lại" in error["description"]
    xml = _open311(client, first, ALICE, fmt="xml")
    assert xml.status_code == 429 and b"<code>429</code>" in xml.content
    assert Report.objects.count() == 2
    assert _open311(client, second, ALICE).status_code == 201


def test_open311_counts_callers_without_a_valid_key_by_address(limited: Settings) -> None:
    client = Client()
    assert [_open311(client, "chk_wrong", ALICE).status_code for _ in range(2)] == [403, 403]
    assert _open311(client, None, ALICE).status_code == 429
    assert _open311(client, None, BOB).status_code == 403


def test_open311_queued_intake_is_limited_too(limited: Settings) -> None:
    limited.CITYHALL_OPEN311_ASYNC_INTAKE = True
    client, key = Client(), _key("FixApp")
    assert [_open311(client, key, ALICE).status_code for _ in range(2)] == [202, 202]
    assert _open311(client, key, ALICE).status_code == 429
    assert Intake.objects.count() == 2


def test_open311_reads_are_not_counted(limited: Settings) -> None:
    client = Client()
    for _ in range(4):
        assert client.get("/open311/v2/requests.json", REMOTE_ADDR=ALICE).status_code == 200


# The shared cache, settings and the client's address ----------------------------------------

def test_limits_off_lets_everything_through(limited: Settings) -> None:
    limited.CITYHALL_RATE_ANONYMOUS = None
    client = Client()
    assert {_api_file(client, ALICE).status_code for _ in range(4)} == {201}


def test_an_unreachable_cache_lets_requests_through(limited: Settings) -> None:
    broken = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=broken):
        assert [_api_file(Client(), ALICE).status_code for _ in range(3)] == [201, 201, 201]


def test_counters_are_shared_through_redis(limited: Settings) -> None:
    redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                         "LOCATION": "redis://127.0.0.1:6379/6"}}
    with override_settings(CACHES=redis):
        try:
            caches["default"].clear()
        except Exception:
            pytest.skip("no Redis at 127.0.0.1:6379")
        try:
            client = Client()
            assert [_api_file(client, ALICE).status_code for _ in range(3)] == [201, 201, 429]
        finally:
            caches["default"].clear()


@pytest.mark.parametrize(("value", "expected"), [
    ("20/h", "20/h"), ("5/10m", "5/10m"), ("100/d", "100/d"), ("off", None), ("0", None)])
def test_a_rate_setting_reads_count_per_period(monkeypatch: pytest.MonkeyPatch, value: str,
                                                expected: str | None) -> None:
    monkeypatch.setenv("CITYHALL_RATE_X", value)
    assert env_rate("CITYHALL_RATE_X", "1/h") == expected


@pytest.mark.parametrize("value", ["20", "20/w", "0/h", "h", "20/0m", "-1/h"])
def test_a_bad_rate_setting_stops_the_process(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CITYHALL_RATE_X", value)
    with pytest.raises(EnvError):
        env_rate("CITYHALL_RATE_X", "1/h")


class _Request:
    def __init__(self, remote: str, forwarded: str = "") -> None:
        self.META = {"REMOTE_ADDR": remote}
        if forwarded:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


@pytest.mark.parametrize(("proxies", "remote", "forwarded", "expected"), [
    (0, "203.0.113.7", "1.2.3.4", "203.0.113.7"),          # no proxy: the header is ignored
    (1, "10.0.0.2", "203.0.113.7", "203.0.113.7"),          # behind one proxy
    (1, "10.0.0.2", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a forged hop is skipped
    (2, "10.0.0.3", "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    (1, "203.0.113.7", "", "203.0.113.7"),                  # came round the proxy
    (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
    (0, "2001:db8::1", "", "2001:db8::1"),
    (0, "", "", None),
])
def test_the_client_address_trusts_only_the_configured_proxies(
    settings: Settings, proxies: int, remote: str, forwarded: str, expected: str | None,
) -> None:
    settings.CITYHALL_TRUSTED_PROXIES = proxies
    assert client_address(_Request(remote, forwarded)) == expected  # type: ignore[arg-type]


def test_behind_a_proxy_each_client_has_its_own_counter(limited: Settings) -> None:
    limited.CITYHALL_TRUSTED_PROXIES = 1
    client = Client()

    def file(forwarded: str) -> int:
        return client.post("/api/v1/reports", json.dumps(_api_body()),
                           content_type="application/json", REMOTE_ADDR="10.0.0.2",
                           HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [file(ALICE) for _ in range(3)] == [201, 201, 429]
    assert file(f"{ALICE}, {BOB}") == 201  # the proxy saw Bob; Alice's name was forged
    assert file(BOB) == 201


def test_ipv6_clients_are_counted_by_their_64(limited: Settings) -> None:
    client = Client()
    codes = [_api_file(client, f"2001:db8:1:2::{n}").status_code for n in range(1, 4)]
    assert codes == [201, 201, 429]
    assert _api_file(client, "2001:db8:1:3::1").status_code == 201
