"""The web portal: home, sign-in, staff home, registry browser, unit pages, languages."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from cityhall.accounts.models import Membership, Role, User, UserKind
from cityhall.orgunits.models import Unit, UnitKind
from cityhall.portal.templatetags.portal import unit_url
from tests.clients import english, signed_in

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR) / "cityhall" / "static"


def unit(code: str) -> Unit:
    return Unit.objects.active_on().get(code=code)


def thu_duc() -> Unit:
    return unit("26824")


def make_user(username: str, *, kind: str = UserKind.STAFF, **extra: str) -> User:
    user = User.objects.create_user(username=username, password="cityhall-demo", kind=kind, **extra)
    return user


@pytest.fixture
def officer() -> User:
    user = make_user(
        "test.officer", full_name="Trần Thị Bình", phone="0901234567", email="binh@example.vn"
    )
    Membership.objects.create(user=user, unit=thu_duc(), role=Role.OFFICER, title="Chuyên viên")
    return user


# Languages ---------------------------------------------------------------------------------


def test_it_speaks_vietnamese_by_default(client: Client) -> None:
    body = client.get("/").content.decode()
    assert '<html lang="vi">' in body
    assert "Đăng nhập" in body
    assert "Sign in" not in body


def test_it_speaks_english_after_switching_language(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/units/"})
    assert response.status_code == 302
    assert response["Location"] == "/units/"
    body = client.get("/").content.decode()
    assert '<html lang="en">' in body
    assert "Sign in" in body
    assert "Đăng nhập" not in body


def test_the_language_switcher_is_a_form_posting_to_set_language(client: Client) -> None:
    body = client.get("/units/?q=sai+gon").content.decode()
    form = re.search(r'<form[^>]*action="/i18n/setlang/"[^>]*>(.*?)</form>', body, re.S)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert 'name="next" value="/units/?q=sai+gon"' in form.group(1)
    assert '<label for="language-select">' in form.group(1)


def test_the_vietnamese_catalogue_has_no_fuzzy_or_missing_entries() -> None:
    import polib

    catalogue = polib.pofile(
        str(Path(settings.BASE_DIR) / "cityhall/locale/vi/LC_MESSAGES/django.po")
    )
    assert catalogue.fuzzy_entries() == []
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert len(catalogue.translated_entries()) > 100


# Shell: accessibility, htmx, admin ------------------------------------------------------------


def test_every_page_has_landmarks_a_skip_link_and_csrf_for_htmx(client: Client) -> None:
    body = client.get("/").content.decode()
    assert '<a class="skip-link" href="#main">' in body
    assert '<main id="main"' in body
    assert "<header" in body and "<footer" in body and "<nav" in body
    token = re.search(r"""<body hx-headers='\{"X-CSRFToken": "([^"]+)"\}'>""", body)
    assert token is not None and len(token.group(1)) >= 32


def test_pages_load_scripts_and_styles_only_from_our_static_files(client: Client) -> None:
    body = client.get("/units/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert "/static/vendor/htmx/htmx.min.js" in sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]


def test_vendored_htmx_is_version_2_and_matches_its_recorded_checksum() -> None:
    record = json.loads((STATIC / "vendor" / "VENDORED.json").read_text())["htmx.org"]
    assert record["version"].startswith("2.")
    assert record["license"] == "0BSD"
    assert (STATIC / "vendor" / record["license_file"]).read_text().strip()
    for name, sha in record["files"].items():
        assert hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest() == sha
    assert f'version:"{record["version"]}"' in (STATIC / "vendor/htmx/htmx.min.js").read_text()


def test_the_admin_carries_the_site_name() -> None:
    body = english().get("/admin/login/").content.decode()
    assert f"{settings.CITYHALL_SITE_NAME}: back office" in body


# Home, sign-in, sign-out -----------------------------------------------------------------------


def test_home_counts_units_from_the_registry() -> None:
    body = english().get("/").content.decode()
    communes = Unit.objects.active_on().commune_level().count()
    departments = Unit.objects.active_on().filter(kind=UnitKind.DEPARTMENT).count()
    assert communes == 168
    assert f"The city and its {communes} commune-level units" in body
    assert f"{departments} departments and agencies" in body
    assert 'href="/units/"' in body and 'href="/account/sign-in/"' in body


def test_sign_in_takes_staff_to_their_home(officer: User) -> None:
    client = Client()
    page = client.get("/login/").content.decode()
    assert '<label for="id_username">' in page and '<label for="id_password">' in page
    response = client.post("/login/", {"username": "test.officer", "password": "cityhall-demo"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_sign_in_with_a_wrong_password_says_so(officer: User) -> None:
    response = english().post("/login/", {"username": "test.officer", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_sign_out_is_a_post_button_not_a_link(officer: User) -> None:
    client = signed_in(officer)
    body = client.get("/").content.decode()
    form = re.search(r'<form[^>]*action="/logout/"[^>]*>.*?</form>', body, re.S)
    assert form is not None and 'method="post"' in form.group(0)
    assert '<button type="submit"' in form.group(0)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/staff/").status_code == 302


# Staff home ------------------------------------------------------------------------------------


def test_staff_home_needs_sign_in(client: Client) -> None:
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/staff/")


def test_staff_home_lists_roles_in_force_and_the_apps_panels(officer: User) -> None:
    ended = unit("79-SXD")
    Membership.objects.create(
        user=officer, unit=ended, role=Role.CLERK,
        valid_from=dt.date(2025, 7, 1), valid_to=dt.date(2025, 7, 31),
    )
    client = signed_in(officer)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get("/staff/").content.decode()
    assert 'href="/units/26824/">Phường Thủ Đức</a>' in body
    assert "Officer" in body and "Chuyên viên" in body
    assert ended.name not in body
    # Each app in service registers its panel (counted in its own tests); none is a placeholder.
    assert 'data-testid="reports-panel"' in body
    assert "not in service" not in body


def test_staff_home_shows_a_panel_an_app_registers(
    officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cityhall.core import shell

    monkeypatch.setattr(shell, "_panels", dict(shell._panels))
    shell.register_panel("probe", shell.Panel(
        template="portal/_field.html", order=1,
        context=lambda user: {"field": f"probe-panel-{user.pk}"}))
    body = signed_in(officer).get("/staff/").content.decode()
    assert body.index(f"probe-panel-{officer.pk}") < body.index('data-testid="reports-panel"')


def test_the_menu_marks_the_app_of_the_current_page(client: Client) -> None:
    body = client.get("/reports/").content.decode()
    assert 'href="/reports/" aria-current="page"' in body
    body = client.get("/units/").content.decode()
    assert 'href="/reports/" aria-current="page"' not in body


def test_staff_home_says_so_when_the_user_holds_no_role() -> None:
    client = signed_in(make_user("lonely", kind=UserKind.STAFF))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "You hold no role in any unit today." in client.get("/staff/").content.decode()


# Registry browser ------------------------------------------------------------------------------


def test_registry_finds_units_without_diacritics(client: Client) -> None:
    body = client.get("/units/", {"q": "thu duc"}).content.decode()
    assert 'href="/units/26824/">Phường Thủ Đức</a>' in body
    assert "<html" in body  # a whole page for a plain GET: search works without JavaScript


def test_registry_search_returns_a_fragment_to_htmx(client: Client) -> None:
    response = client.get("/units/", {"q": "thu duc"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert "Phường Thủ Đức" in body
    assert 'id="results-summary" hx-swap-oob="innerHTML"' in body
    assert "HX-Request" in response["Vary"]


def test_registry_answers_htmx_history_restore_with_the_whole_page(client: Client) -> None:
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    body = client.get("/units/", {"q": "thu duc"}, headers=headers).content.decode()
    assert "<html" in body


def test_registry_search_input_is_wired_for_live_search(client: Client) -> None:
    body = client.get("/units/").content.decode()
    field = re.search(r'<input type="search"[^>]*>', body, re.S)
    assert field is not None
    assert 'hx-get="/units/"' in field.group(0)
    assert 'hx-trigger="input changed delay:300ms, search"' in field.group(0)
    assert 'hx-target="#unit-results"' in field.group(0)
    assert '<form class="search-form" method="get" action="/units/"' in body


def test_registry_tree_groups_todays_units_by_kind(client: Client) -> None:
    body = english().get("/units/").content.decode()
    assert "Thành phố Hồ Chí Minh" in body
    for heading, count in (
        ("Departments and agencies", 13), ("Wards (phường)", 113),
        ("Communes (xã)", 54), ("Special zones (đặc khu)", 1),
    ):
        assert re.search(
            rf'{re.escape(heading)}</span>\s*<span class="count">{count}</span>', body
        ), heading
    assert "Phường Bến Nghé" not in body
    assert "Quận 1" not in body


def test_registry_shows_ended_units_when_asked(client: Client) -> None:
    assert "Phường Bến Nghé" not in client.get("/units/", {"q": "ben nghe"}).content.decode()
    found = client.get("/units/", {"q": "ben nghe", "ended": "1"}).content.decode()
    assert "Phường Bến Nghé" in found
    assert "30/06/2025" in found
    tree = english().get("/units/", {"ended": "1"}).content.decode()
    assert "Districts (before 1 July 2025)" in tree
    assert "Quận 1" in tree


def test_registry_says_when_nothing_matches(client: Client) -> None:
    body = english().get("/units/", {"q": "zzzz nowhere"}).content.decode()
    assert "0 units match" in body
    assert "No unit has that name." in body


def test_registry_tree_takes_one_query_however_many_units(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        client.get("/units/")
    with django_assert_num_queries(1):
        client.get("/units/", {"ended": "1"})
    with django_assert_num_queries(2):
        client.get("/units/", {"q": "phuong"})


# Unit pages ------------------------------------------------------------------------------------


def test_unit_page_shows_names_codes_parent_place_and_history(client: Client) -> None:
    ward = thu_duc()
    body = english().get("/units/26824/").content.decode()
    assert "<h1>Phường Thủ Đức</h1>" in body
    assert '<span class="code" data-testid="admin-code">26824</span>' in body
    assert "not yet assigned" in body  # no electronic id recorded for the new wards yet
    assert 'href="/units/79/">Thành phố Hồ Chí Minh</a>' in body
    assert "since 1 Jul 2025" in body
    assert f"{ward.latitude:.5f}° N, {ward.longitude:.5f}° E" in body
    assert f"{ward.area_km2:.2f} km²" in body
    assert "Formed from" in body
    for predecessor in ward.predecessors.all():
        assert f'href="{unit_url(predecessor)}">{predecessor.name}</a>' in body
    # The loader's keyword for a divided predecessor reads as words, never as "split".
    assert "· its territory was divided between several units" in body
    assert "· split" not in body


def test_unit_page_writes_numbers_and_dates_the_vietnamese_way(client: Client) -> None:
    ward = thu_duc()
    body = client.get("/units/26824/").content.decode()
    comma = lambda x, n: f"{x:.{n}f}".replace(".", ",")  # noqa: E731
    # Decimal commas throughout, and the compass in Vietnamese: Bắc, Đông.
    assert f"{comma(ward.latitude, 5)}° B, {comma(ward.longitude, 5)}° Đ" in body
    assert f"{comma(ward.area_km2, 2)} km²" in body
    assert f'href="geo:{ward.latitude:.5f},{ward.longitude:.5f}"' in body  # the link stays a URI
    assert "từ 01/07/2025" in body
    assert "· địa bàn được chia cho nhiều đơn vị" in body
    assert "split" not in body


def test_unit_page_shows_the_electronic_id_when_there_is_one(client: Client) -> None:
    body = client.get("/units/79/").content.decode()
    assert "000.00.00.H29" in body


def test_a_legacy_unit_page_says_it_ended_and_links_its_successors(client: Client) -> None:
    ben_nghe = Unit.objects.get(name="Phường Bến Nghé")
    assert unit_url(ben_nghe) == "/units/26740/?on=2025-06-30"
    body = english().get(unit_url(ben_nghe)).content.decode()
    assert "This unit ended on 30 Jun 2025." in body
    assert 'href="/units/26740/">Phường Sài Gòn</a>' in body


def test_a_reused_code_shows_todays_unit_unless_a_date_is_given(client: Client) -> None:
    # Phường Sài Gòn took the code of Phường Bến Nghé on 1 July 2025.
    today = english().get("/units/26740/").content.decode()
    assert "<h1>Phường Sài Gòn</h1>" in today
    assert "This unit ended" not in today
    before = english().get("/units/26740/?on=2025-06-30").content.decode()
    assert "<h1>Phường Bến Nghé</h1>" in before
    assert "This unit ended on 30 Jun 2025." in before


def test_an_ended_code_shows_the_latest_ended_unit(client: Client) -> None:
    district = Unit.objects.get(kind=UnitKind.DISTRICT, name="Quận 1")
    assert not Unit.objects.active_on().filter(code=district.code).exists()
    body = english().get(f"/units/{district.code}/").content.decode()
    assert "<h1>Quận 1</h1>" in body
    assert "This unit ended on 30 Jun 2025." in body


def test_unit_page_answers_404_for_unknown_codes_and_bad_dates(client: Client) -> None:
    assert client.get("/units/99999999/").status_code == 404
    assert client.get("/units/26824/?on=yesterday").status_code == 404


def test_unit_staff_are_shown_to_staff_only_without_contact_details(
    client: Client, officer: User
) -> None:
    assert "Trần Thị Bình" not in client.get("/units/26824/").content.decode()
    resident = signed_in(make_user("resident.x", kind=UserKind.RESIDENT))
    assert "Trần Thị Bình" not in resident.get("/units/26824/").content.decode()
    body = signed_in(officer).get("/units/26824/").content.decode()
    assert "Trần Thị Bình" in body and "Chuyên viên" in body
    assert "0901234567" not in body and "binh@example.vn" not in body


def test_unit_page_lists_children_grouped_by_kind(client: Client) -> None:
    body = english().get("/units/79/").content.decode()
    assert re.search(r'Wards \(phường\)</span> <span class="count">113</span>', body)
    assert 'href="/units/26824/">Phường Thủ Đức</a>' in body
    assert "Quận 1" not in body  # ended districts are not below the city today


def test_unit_page_query_count_does_not_grow_with_children(
    client: Client, officer: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    city = unit("79")
    assert city.children.count() > 150 and not thu_duc().children.exists()
    for code in ("79", "26824"):
        with django_assert_num_queries(3):
            client.get(f"/units/{code}/")
    staff_client = signed_in(officer)
    counts = []
    for code in ("79", "26824"):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(f"/units/{code}/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_sign_in_page_carries_the_portal_name_not_the_host(client: Client) -> None:
    # Django's LoginView puts the request's host in `site_name`; the header must not show it.
    html = client.get("/login/").content.decode()
    assert settings.CITYHALL_SITE_NAME in html
    assert "testserver</span>" not in html
