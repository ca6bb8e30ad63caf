"""Residents' accounts: sign-up and sign-in with a one-time code through the outbox, its
limits, the caps it meets, an identity ready for OpenID Connect, 'My reports', adding a report
sent without an account, the staff pages closed to residents, the home page and the form."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from pytest_django import Settings

from cityhall.accounts import codes
from cityhall.accounts.models import OneTimeCode, SignInIdentity, User, UserKind
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.notifications import caps
from cityhall.notifications.models import ContactPoint, Notification, OutboxMessage
from cityhall.notifications.services import ContactAddress, notify
from cityhall.reports import services
from cityhall.reports.models import Report
from tests.factories import Personas, make_user
from tests.reports_support import categories, flood

pytestmark = pytest.mark.django_db

PHONE = "0909 123 456"
NATIONAL = "0909123456"


@pytest.fixture
def ready(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    categories()


def last_code(address: str = NATIONAL) -> str:
    """The code in the newest outbox message to `address`."""
    message = OutboxMessage.objects.filter(address=address).order_by("-pk").first()
    assert message is not None
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found is not None, message.body
    return found.group(1)


def sign_in_by_code(client: Client, destination: str = PHONE, name: str = "",
                    address: str = NATIONAL) -> Any:
    asked = client.post("/account/sign-in/", {"destination": destination})
    assert asked.status_code == 302 and asked["Location"] == "/account/code/", asked
    return client.post("/account/code/", {"code": last_code(address), "full_name": name})


# The destination --------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "kind", "address"), [
    ("0909 123 456", "phone", NATIONAL), ("+84 909-123-456", "phone", NATIONAL),
    ("84909123456", "phone", NATIONAL), ("Ba.Tu@Example.ORG ", "email", "ba.tu@example.org"),
])
def test_a_destination_is_normalised(typed: str, kind: str, address: str) -> None:
    assert codes.parse_destination(typed) == codes.Destination(kind, address)


@pytest.mark.parametrize("typed", ["", "12345", "0209123456", "09091234567", "a@b", "x@@y.vn"])
def test_it_refuses_what_is_neither_a_mobile_number_nor_an_e_mail(typed: str) -> None:
    with pytest.raises(codes.CodeError) as caught:
        codes.parse_destination(typed)
    assert caught.value.code == "invalid_destination"


# Codes: sent, checked, expired, tried too often ----------------------------------------------


def test_a_code_goes_out_through_the_outbox_and_only_its_hash_is_kept() -> None:
    destination = codes.parse_destination(PHONE)
    challenge = codes.request_code(destination=destination)
    message = OutboxMessage.objects.get()
    code = last_code()
    assert (message.channel, message.status, message.recipient) == ("sms", "pending", None)
    assert code not in message.subject  # the subject is what a gateway-less server logs
    assert challenge.code_hash and code not in challenge.code_hash
    assert NATIONAL not in challenge.destination_digest
    entry = AuditEntry.objects.get(action=codes.CODE_SENT)
    assert entry.changes["to"] == "…456" and NATIONAL not in str(entry.changes)


def test_the_right_code_creates_a_resident_with_a_phone_identity_once() -> None:
    destination = codes.parse_destination(PHONE)
    challenge = codes.request_code(destination=destination)
    first = codes.verify_code(challenge_id=challenge.pk, destination=destination,
                              code=last_code(), full_name="Trần Thị Dân")
    assert first.created and first.user.kind == UserKind.RESIDENT
    assert (first.user.phone, first.user.full_name) == (NATIONAL, "Trần Thị Dân")
    assert not first.user.has_usable_password()
    identity = SignInIdentity.objects.get(user=first.user)
    assert (identity.provider, identity.issuer, identity.subject) == ("phone_otp", "", NATIONAL)
    assert AuditEntry.objects.filter(action=codes.SIGNED_UP, object_id=str(first.user.pk)).exists()
    # The code worked once.
    with pytest.raises(codes.CodeError):
        codes.verify_code(challenge_id=challenge.pk, destination=destination, code=last_code())
    # A second code signs the same account in; the message now names the account.
    again = codes.request_code(destination=destination)
    assert OutboxMessage.objects.order_by("-pk").first().recipient == first.user  # type: ignore[union-attr]
    second = codes.verify_code(challenge_id=again.pk, destination=destination, code=last_code())
    assert (second.user, second.created) == (first.user, False)
    assert User.objects.filter(kind=UserKind.RESIDENT, phone=NATIONAL).count() == 1


def test_a_wrong_code_counts_and_the_last_try_is_the_last(settings: Settings) -> None:
    settings.CITYHALL_SIGN_IN_CODE_ATTEMPTS = 3
    destination = codes.parse_destination(PHONE)
    challenge = codes.request_code(destination=destination)
    right = last_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (2, 1, 0):
        with pytest.raises(codes.CodeError) as caught:
            codes.verify_code(challenge_id=challenge.pk, destination=destination, code=wrong)
        assert caught.value.code == "wrong_code" and str(left) in caught.value.detail
    with pytest.raises(codes.CodeError) as caught:
        codes.verify_code(challenge_id=challenge.pk, destination=destination, code=right)
    assert caught.value.code == "too_many_attempts"
    assert not User.objects.filter(phone=NATIONAL).exists()
    assert AuditEntry.objects.filter(action=codes.CODE_FAILED).count() == 4


def test_a_code_expires(settings: Settings) -> None:
    settings.CITYHALL_SIGN_IN_CODE_MINUTES = 10
    destination = codes.parse_destination(PHONE)
    sent = timezone.now()
    challenge = codes.request_code(destination=destination, now=sent)
    code = last_code()
    with pytest.raises(codes.CodeError) as caught:
        codes.verify_code(challenge_id=challenge.pk, destination=destination, code=code,
                          now=sent + dt.timedelta(minutes=10, seconds=1))
    assert caught.value.code == "code_expired"
    # Still good a second before.
    done = codes.verify_code(challenge_id=challenge.pk, destination=destination, code=code,
                             now=sent + dt.timedelta(minutes=9, seconds=59))
    assert done.created


def test_a_code_is_good_only_for_its_own_destination() -> None:
    mine = codes.parse_destination(PHONE)
    challenge = codes.request_code(destination=mine)
    other = codes.parse_destination("0912000111")
    with pytest.raises(codes.CodeError):
        codes.verify_code(challenge_id=challenge.pk, destination=other, code=last_code())


def test_an_e_mail_code_makes_an_e_mail_identity() -> None:
    destination = codes.parse_destination("Dan@Example.org")
    challenge = codes.request_code(destination=destination)
    message = OutboxMessage.objects.get()
    assert (message.channel, message.address) == ("email", "dan@example.org")
    user = codes.verify_code(challenge_id=challenge.pk, destination=destination,
                             code=last_code("dan@example.org")).user
    assert (user.email, user.phone) == ("dan@example.org", "")
    assert user.sign_in_identities.get().provider == "email_otp"


# Codes and the message caps -------------------------------------------------------------------


def test_a_code_passes_the_cap_of_an_unconfirmed_address_and_confirms_it(
    settings: Settings,
) -> None:
    settings.CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY = 1
    settings.CITYHALL_SITE_URL = "https://tphcm.example"
    # Two report messages to the number: the second is held by the cap.
    for n in range(2):
        notify(recipients=[], channels=["sms"], template="report_received_contact",
               context={"case": f"PA-{n}", "code": f"PA-{n}", "unit": "Phường"},
               contacts=[ContactAddress(phone=NATIONAL)])
    assert OutboxMessage.objects.filter(status="held").count() == 1
    destination = codes.parse_destination(PHONE)
    challenge = codes.request_code(destination=destination)
    message = OutboxMessage.objects.order_by("-pk").first()
    assert message is not None and message.status == "pending"  # not held
    assert caps.LINK_MARKER not in message.body  # no confirmation footer in a code
    assert message.contact_point is None  # not counted in the address's daily cap
    codes.verify_code(challenge_id=challenge.pk, destination=destination, code=last_code())
    point = ContactPoint.objects.get()
    assert point.confirmed_at is not None
    assert not OutboxMessage.objects.filter(status="held").exists()  # released


def test_an_address_that_refused_messages_gets_no_code() -> None:
    point = ContactPoint.objects.create(kind="phone", digest=caps.digest("phone", NATIONAL))
    caps.refuse(actor=caps.ADDRESS_OWNER, point=point)
    with pytest.raises(codes.CodeError) as caught:
        codes.request_code(destination=codes.parse_destination(PHONE))
    assert caught.value.code == "destination_refused"
    assert not OutboxMessage.objects.exists() and not OneTimeCode.objects.exists()


# An identity ready for OpenID Connect --------------------------------------------------------


def test_an_oidc_identity_is_another_row_for_the_same_account() -> None:
    resident = make_user("dan.oidc", phone=NATIONAL)
    codes.add_identity(actor=SYSTEM, user=resident, provider="phone_otp", subject=NATIONAL)
    codes.add_identity(actor=SYSTEM, user=resident, provider="oidc",
                       issuer="https://vneid.example", subject="sub-123")
    assert codes.account_of(codes.parse_destination(PHONE)) == resident
    assert resident.sign_in_identities.count() == 2
    # One subject of one issuer is one person.
    with pytest.raises(IntegrityError), transaction.atomic():
        codes.add_identity(actor=SYSTEM, user=make_user("someone.else"), provider="oidc",
                           issuer="https://vneid.example", subject="sub-123")
    # The same subject from another issuer is someone else.
    codes.add_identity(actor=SYSTEM, user=make_user("other.issuer"), provider="oidc",
                       issuer="https://other.example", subject="sub-123")


def test_a_staff_phone_signs_in_no_staff_account(people: Personas) -> None:
    client = Client()
    response = sign_in_by_code(client, "0900000002", address="0900000002")  # p.officer's phone
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user != people.officer and user.kind == UserKind.RESIDENT
    assert response["Location"] == "/reports/mine/"


# The pages -----------------------------------------------------------------------------------


def test_a_resident_signs_up_by_phone_and_lands_on_my_reports() -> None:
    client = Client()
    page = client.get("/account/sign-in/").content.decode()
    assert 'name="destination"' in page and 'href="/login/"' in page
    response = sign_in_by_code(client, name="Trần Thị Dân")
    assert response.status_code == 302 and response["Location"] == "/reports/mine/"
    user = User.objects.get(phone=NATIONAL)
    assert AuditEntry.objects.filter(action="accounts.sign_in", actor_user=user).exists()
    body = client.get("/reports/mine/").content.decode()
    assert "Phản ánh của tôi" in body and "Trần Thị Dân" in body
    # Back to the code page once signed in: nothing pending, ask again.
    assert client.get("/account/code/")["Location"] == "/account/sign-in/"


def test_a_wrong_code_on_the_page_is_a_form_error() -> None:
    client = Client()
    client.post("/account/sign-in/", {"destination": PHONE})
    wrong = f"{(int(last_code()) + 1) % 1_000_000:06d}"
    response = client.post("/account/code/", {"code": wrong})
    assert response.status_code == 400
    assert "Mã chưa đúng" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_codes_to_one_number_are_limited_with_a_429_form_error(settings: Settings) -> None:
    settings.CITYHALL_SIGN_IN_CODES_PER_DESTINATION = "2/h"
    for n in range(2):
        # Different client addresses: the number's own limit counts them all.
        response = Client(REMOTE_ADDR=f"203.0.113.{n}").post(
            "/account/sign-in/", {"destination": PHONE})
        assert response.status_code == 302
    refused = Client(REMOTE_ADDR="203.0.113.9").post("/account/sign-in/", {"destination": PHONE})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert 'role="alert"' in refused.content.decode()
    assert OutboxMessage.objects.count() == 2
    # Another number is not affected.
    other = Client(REMOTE_ADDR="203.0.113.9").post("/account/sign-in/",
                                                   {"destination": "0912000111"})
    assert other.status_code == 302


def test_codes_from_one_client_are_limited(settings: Settings) -> None:
    settings.CITYHALL_SIGN_IN_CODES_PER_CLIENT = "2/h"
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(2):
        assert client.post("/account/sign-in/",
                           {"destination": f"091200011{n}"}).status_code == 302
    assert client.post("/account/sign-in/", {"destination": "0912000119"}).status_code == 429
    assert OutboxMessage.objects.count() == 2


def test_a_bad_destination_is_a_form_error() -> None:
    response = Client().post("/account/sign-in/", {"destination": "12345"})
    assert response.status_code == 400 and "số di động" in response.content.decode()
    assert not OutboxMessage.objects.exists()


def _staff_urls() -> list[str]:
    """Every staff page of the URL map, with a sample for its arguments."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith("staff/"):
                    # A number where the route takes one (`<int:...>`), a word elsewhere.
                    route = re.sub(r"<int:\w+>", "1", route)
                    found.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", "sample", route))

    walk(get_resolver().url_patterns, "")
    return found


def test_a_resident_never_sees_a_staff_page(people: Personas) -> None:
    urls = _staff_urls()
    assert "/staff/" in urls and "/staff/reports/" in urls and len(urls) >= 7
    client = Client()
    client.force_login(people.resident)
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            if url == "/staff/" and method == client.get:
                # The staff home sends a resident to their own.
                assert response.status_code == 302 and response["Location"] == "/reports/mine/"
            else:
                assert response.status_code in (403, 405), (url, response.status_code)
    # Nor the back office.
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    home = client.get("/").content.decode()
    assert 'href="/staff/"' not in home and 'href="/reports/mine/"' in home


def test_staff_still_land_on_their_home_and_see_no_my_reports_menu(people: Personas) -> None:
    client = Client()
    response = client.post("/login/", {"username": "p.officer", "password": "x"})
    assert response.status_code == 200  # no password set: refused, as before
    client.force_login(people.officer)
    body = client.get("/staff/").content.decode()
    assert 'data-testid="reports-panel"' in body
    assert 'href="/reports/mine/"' not in body


# My reports ----------------------------------------------------------------------------------


def test_my_reports_shows_states_deadlines_notices_and_data_reads(
    ready: None, people: Personas,
) -> None:
    resident = people.resident
    made = flood(resident, now=timezone.now())
    flood(now=timezone.now())  # someone else's
    Notification.objects.create(recipient=resident, subject="Phản ánh đã có kết quả",
                                body="Đã khơi thông.", link="/x/")
    client = Client()
    client.force_login(resident)
    body = client.get("/reports/mine/").content.decode()
    rows = re.findall(r'<li class="card my-report" data-code="([^"]+)"', body)
    assert rows == [made.report.code]
    assert "đã tiếp nhận" in body
    assert timezone.localtime(made.report.due_at).strftime("%d/%m/%Y") in body
    assert "Phản ánh đã có kết quả" in body and "resident-notice-unread" in body
    assert client.post("/reports/mine/notices/read/").status_code == 302
    assert not Notification.objects.filter(recipient=resident, read_at__isnull=True).exists()
    assert Client().get("/reports/mine/")["Location"].startswith("/account/sign-in/?next=")


def test_my_reports_shows_who_read_my_data(ready: None, people: Personas) -> None:
    made = flood(people.resident, now=timezone.now(), latitude=None, longitude=None,
                 address="Phường Sài Gòn")
    services.read_reporter_contact(report=made.report, user=people.officer)
    client = Client()
    client.force_login(people.resident)
    table = client.get("/reports/mine/").content.decode().split('data-testid="my-data-reads"')[1]
    assert people.officer.display_name in table and "account_phone" in table


# Adding a report sent without an account -----------------------------------------------------


def test_a_resident_adds_an_anonymous_report_by_its_private_link(
    ready: None, people: Personas,
) -> None:
    made = flood(now=timezone.now(), anonymous=True)
    client = Client()
    client.force_login(people.resident)
    page = client.get(f"/reports/{made.report.code}/", {"t": made.private_token}).content.decode()
    assert 'id="claim-report"' in page
    # Without the token: not found, nothing changes.
    assert client.post(f"/reports/{made.report.code}/claim/").status_code == 404
    response = client.post(f"/reports/{made.report.code}/claim/", {"t": made.private_token})
    assert response["Location"] == "/reports/mine/"
    report = Report.objects.get(pk=made.report.pk)
    assert report.reporter == people.resident and report.anonymous
    assert AuditEntry.objects.filter(action="reports.claim", actor_user=people.resident).exists()
    # Staff of its ward (p.outsider leads Phường Thủ Đức) still see no one behind it.
    assert services.read_reporter_contact(report=report, user=people.outsider) == {}
    # Someone else holding the link cannot take it over.
    other = Client()
    other.force_login(make_user("other.resident"))
    other.post(f"/reports/{made.report.code}/claim/", {"t": made.private_token})
    assert Report.objects.get(pk=made.report.pk).reporter == people.resident


def test_signing_in_from_a_private_link_comes_back_to_it_to_add_the_report(ready: None) -> None:
    made = flood(now=timezone.now())
    follow = f"/reports/{made.report.code}/?t={made.private_token}"
    client = Client()
    page = client.get(follow).content.decode()
    sign_in = re.search(r'href="(/account/sign-in/\?next=[^"]+)"', page)
    assert sign_in is not None
    form = client.get(sign_in.group(1).replace("&amp;", "&")).content.decode()
    next_value = re.search(r'name="next" value="([^"]+)" id="id_next"', form)
    assert next_value is not None and next_value.group(1).replace("&amp;", "&") == follow
    client.post("/account/sign-in/", {"destination": PHONE, "next": follow})
    response = client.post("/account/code/", {"code": last_code()})
    assert response["Location"] == follow
    assert 'id="claim-report"' in client.get(follow).content.decode()
    # An address elsewhere is not followed.
    client.post("/account/sign-in/", {"destination": PHONE, "next": "https://evil.example/"})
    other = Client()
    other.post("/account/sign-in/", {"destination": "0912000111", "next": "https://evil.example/"})
    assert other.post("/account/code/", {"code": last_code("0912000111")})["Location"] == (
        "/reports/mine/")


# Looking a report up by its code -------------------------------------------------------------


def test_a_report_is_found_by_its_code_in_any_case(ready: None, people: Personas) -> None:
    made = flood(now=timezone.now())
    code = made.report.code
    response = Client().get("/reports/lookup/", {"code": f"  {code.lower()} "})
    assert response.status_code == 302 and response["Location"] == f"/reports/{code}/"
    missing = Client().get("/reports/lookup/", {"code": "PA-000000-0000"})
    assert missing.status_code == 404 and 'role="alert"' in missing.content.decode()
    # A hidden report is found only by its own signed-in reporter.
    hidden = flood(people.resident, now=timezone.now()).report
    Report.objects.filter(pk=hidden.pk).update(is_public=False)
    assert Client().get("/reports/lookup/", {"code": hidden.code}).status_code == 404
    reporter = Client()
    reporter.force_login(people.resident)
    assert reporter.get("/reports/lookup/", {"code": hidden.code}).status_code == 302


# The home page and the form ------------------------------------------------------------------


def test_the_home_page_leads_with_sending_a_report(settings: Settings) -> None:
    settings.CITYHALL_HOTLINE = "1022"
    settings.CITYHALL_HOTLINE_EMAIL = "1022@example.vn"
    body = Client().get("/").content.decode()
    order = [body.index(marker) for marker in (
        'data-testid="home-report"', 'data-testid="home-lookup"', 'data-testid="home-channels"',
        'data-testid="home-registry"', 'data-testid="home-open-data"')]
    assert order == sorted(order)
    assert 'href="tel:1022"' in body and "mailto:1022@example.vn" in body
    assert 'action="/reports/lookup/"' in body


def test_the_form_states_its_limits_from_the_settings(ready: None, settings: Settings) -> None:
    settings.CITYHALL_REPORTS_PHOTOS_MAX = 3
    settings.CITYHALL_REPORTS_PHOTO_MAX_BYTES = 2 * 1024 * 1024
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/reports/new/").content.decode()
    assert "Up to 3 photos, at most 2.0\xa0MB each" in body
    assert "at most 4,000 characters" in body
    assert 'class="required"' in body and "What becomes public" in body
    assert "Never public: your name" in body


def test_the_form_shows_the_contact_rules_of_the_chosen_category(ready: None) -> None:
    client = Client()
    strict = client.get("/reports/new/fields/", {"category": "hanh-chinh-cong"}).content.decode()
    assert 'data-rule="contact-required"' in strict
    relaxed = client.get("/reports/new/fields/", {"category": "ngap-ha-tang"}).content.decode()
    assert 'data-rule="anonymous-allowed"' in relaxed
    # The same rules are on the page itself when it comes back with a category chosen.
    page = client.get("/reports/new/", {"category": "hanh-chinh-cong"}).content.decode()
    assert 'data-rule="contact-required"' in page


def test_after_an_error_the_form_asks_the_browser_to_restore_its_photos(ready: None) -> None:
    response = Client().post("/reports/new/", {"category": "ngap-ha-tang", "description": "",
                                               "idempotency_key": "keep-1"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-keep-key="keep-1"' in body and "data-keep-restore" in body
    fresh = Client().get("/reports/new/").content.decode()
    assert "data-keep-restore" not in fresh and "keep-photos.js" in fresh


def test_my_reports_costs_the_same_queries_for_one_report_or_many(
    ready: None, people: Personas,
) -> None:
    resident = people.resident
    client = Client()
    client.force_login(resident)

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/reports/mine/").status_code == 200
        return len(seen.captured_queries)

    def filed(n: int) -> None:
        # In the officer's ward, so that the officer may read the contact.
        made = flood(resident, now=timezone.now(), latitude=None, longitude=None,
                     address="Phường Sài Gòn", description=f"Ngập lần {n}.")
        services.read_reporter_contact(report=made.report, user=people.officer)

    filed(1)
    Notification.objects.create(recipient=resident, subject="Một")
    one = queries()
    for n in range(5):
        filed(n + 2)
        Notification.objects.create(recipient=resident, subject=f"Tin {n}")
    assert queries() == one
