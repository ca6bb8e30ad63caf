"""Production smoke test, the client: every page the URL map reaches, as every demo role.

scripts/smoke.sh builds the static files and a database of its own, starts gunicorn and
`cityhall worker` with production settings and runs this with the same environment. It
talks to gunicorn as the TLS proxy of docs/operations.md does (the visitor's Host and
`X-Forwarded-Proto: https`) and fails on any 5xx, any answer slower than SLOW_SECONDS, and any
route with arguments it has no sample for.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import django
import httpx

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityhall.settings")
django.setup()

from django.conf import settings  # noqa: E402 (needs django.setup())
from django.shortcuts import resolve_url  # noqa: E402
from django.urls import URLPattern, URLResolver, get_resolver, resolve  # noqa: E402
from django.utils.regex_helper import normalize  # noqa: E402
from PIL import Image  # noqa: E402

from cityhall.accounts.demo import DEMO_PASSWORD, demo_logins  # noqa: E402
from cityhall.accounts.models import User  # noqa: E402
from cityhall.core.audit import SYSTEM  # noqa: E402
from cityhall.documents.models import Arrival, Document  # noqa: E402
from cityhall.dossiers.models import Dossier, DossierFile  # noqa: E402
from cityhall.notifications import caps  # noqa: E402
from cityhall.notifications.models import ContactPoint  # noqa: E402
from cityhall.plans.feeds import ensure_feeds, token_of  # noqa: E402
from cityhall.plans.models import Plan as PlanModel  # noqa: E402
from cityhall.plans.models import Task as TaskModel  # noqa: E402
from cityhall.reports.models import Report, ReportPhoto  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)  # the table says it all

SLOW_SECONDS = 2.0
READY_TIMEOUT = 60.0
WORKER_TIMEOUT = 30.0

#: Routes with arguments that are not requested, by path prefix, and why. Their routes without
#: arguments are requested like any other.
SKIP_WITH_ARGUMENTS = {
    "/admin/": "/admin/: Django's generated pages for one object, a set per model",
    "/api/v1/": "/api/v1/: the REST API, fuzzed from its OpenAPI schema by test_schemathesis.py",
}

#: The URLs to request for each route with arguments, keyed by the route's shape (its path
#: with <argument> placeholders, whatever its name); a route without arguments is requested
#: as it is unless it is here (Open311 answers 400 without a format). {names} come from the run:
#: demo_report (a public demo report), unit (its unit), category (where the smoke test files),
#: filed, token, photo (a report filed through the web form with a photo, its follow token and
#: the photo), plan (the demo plan), calendar_token (the city leader's own calendar feed),
#: open311_token and open311_report (a request queued through Open311 and the report the
#: worker filed from it), document, incoming_document and document_unit (the first issued
#: and the first incoming demo document, and the unit of the issued one), task (the first
#: demo task with a target).
SAMPLES: dict[str, tuple[str, ...]] = {
    "/units/<code>/": ("/units/{unit}/",),
    "/reports/<code>/": ("/reports/{demo_report}/", "/reports/{filed}/?t={token}"),
    "/reports/<code>/sent/": ("/reports/{filed}/sent/?t={token}",),
    "/reports/<code>/claim/": ("/reports/{filed}/claim/?t={token}",),
    "/reports/<code>/rate/": ("/reports/{filed}/rate/?t={token}",),
    "/reports/<code>/reopen/": ("/reports/{filed}/reopen/?t={token}",),
    "/reports/<code>/photos/<photo_id>/": ("/reports/{filed}/photos/{photo}/?t={token}",),
    "/staff/reports/<code>/": ("/staff/reports/{demo_report}/", "/staff/reports/{filed}/"),
    "/staff/reports/<code>/contact/": ("/staff/reports/{demo_report}/contact/",),
    "/staff/reports/<code>/<action>/": ("/staff/reports/{demo_report}/start/",),
    "/open311/v2/discovery": ("/open311/v2/discovery.json",),
    "/open311/v2/services": ("/open311/v2/services.xml",),
    "/open311/v2/services/<code>": ("/open311/v2/services/{category}.json",),
    "/open311/v2/requests": ("/open311/v2/requests.json", "/open311/v2/requests.xml"),
    "/open311/v2/requests/<request_id>": ("/open311/v2/requests/{open311_report}.json",),
    "/open311/v2/tokens/<token>": ("/open311/v2/tokens/{open311_token}.json",),
    "/open311/v2/<rest>": ("/open311/v2/no-such-resource.json",),
    "/messages/confirm/<token>/": ("/messages/confirm/{contact_token}/",),
    # POST only: a GET is refused (405), or sent to sign in.
    "/notices/<notice_id>/read/": ("/notices/1/read/",),
    "/thu-tuc/<code>/": ("/thu-tuc/1.001193.000.00.00.H29/",),
    "/tra-cuu-ho-so/<code>/": ("/tra-cuu-ho-so/{dossier}/",),
    "/dossiers/<code>/forms/01.html": ("/dossiers/{dossier}/forms/01.html",),
    "/dossiers/<code>/forms/01.pdf": ("/dossiers/{dossier}/forms/01.pdf",),
    "/thu-tuc/<code>/nop-truc-tuyen/": ("/thu-tuc/1.001193.000.00.00.H29/nop-truc-tuyen/",),
    "/ke-hoach/<plan_id>/": ("/ke-hoach/{plan}/",),
    "/ke-hoach/<plan_id>/bang/": ("/ke-hoach/{plan}/bang/",),
    "/calendar/<token>.ics": ("/calendar/{calendar_token}.ics",),
    "/dossiers/<code>/forms/<number>.<ext>": ("/dossiers/{dossier}/forms/06.html",
                                              "/dossiers/{dossier}/forms/06.pdf"),
    "/dossiers/<code>/files/<pk>/": ("/dossiers/{file_dossier}/files/{dossier_file}/",),
    "/staff/dossiers/<code>/": ("/staff/dossiers/{dossier}/",),
    "/staff/dossiers/<code>/<action>/": ("/staff/dossiers/{dossier}/accept/",),
    "/staff/dossiers/counter/": ("/staff/dossiers/counter/",
                                 "/staff/dossiers/counter/?q=ho+kinh+doanh",
                                 "/staff/dossiers/counter/?procedure=2.000720.000.00.00.H29"),
    "/ho-so-cua-toi/<code>/": ("/ho-so-cua-toi/{dossier}/",),
    "/ho-so-cua-toi/<code>/ket-qua.pdf": ("/ho-so-cua-toi/{dossier}/ket-qua.pdf",),
    # POST only: a GET is refused (405), or sent to sign in.
    "/ho-so-cua-toi/<code>/bo-sung/": ("/ho-so-cua-toi/{dossier}/bo-sung/",),
    "/ho-so-cua-toi/<code>/rut-ho-so/": ("/ho-so-cua-toi/{dossier}/rut-ho-so/",),
    "/ho-so-cua-toi/<code>/danh-gia/": ("/ho-so-cua-toi/{dossier}/danh-gia/",),
    "/ho-so-cua-toi/<code>/thanh-toan/": ("/ho-so-cua-toi/{dossier}/thanh-toan/",),
    # The demo gateway's page: a made-up order is 404 (as every page is with the gateway off).
    "/thanh-toan/demo/<order>/": ("/thanh-toan/demo/not-a-signed-order/",),
    "/van-ban/so/<code>/<direction>.xlsx": ("/van-ban/so/{document_unit}/outgoing.xlsx",
                                            "/van-ban/so/{document_unit}/incoming.xlsx"),
    "/van-ban/<pk>/": ("/van-ban/{document}/", "/van-ban/{incoming_document}/"),
    # "Assign now" and tasks from a directive, from a report's and a document's page.
    "/nhiem-vu/giao-ngay/": ("/nhiem-vu/giao-ngay/?kind=request&ref={demo_report}",
                             "/nhiem-vu/giao-ngay/?kind=document&ref={incoming_document}"),
    "/nhiem-vu/tu-nguon/": ("/nhiem-vu/tu-nguon/?kind=request&ref={demo_report}",
                            "/nhiem-vu/tu-nguon/?kind=document&ref={incoming_document}"),
    "/nhiem-vu/tu-chi-thi/": ("/nhiem-vu/tu-chi-thi/?kind=document&ref={incoming_document}",),
    "/van-ban/<pk>/pdf/": ("/van-ban/{document}/pdf/",),
    # An issued document: the edit page answers 404 (only drafts are edited).
    "/van-ban/<pk>/sua/": ("/van-ban/{document}/sua/",),
    # POST only: a GET is refused (405), or sent to sign in.
    "/van-ban/<pk>/buoc/<action>/": ("/van-ban/{document}/buoc/send/",),
    "/van-ban/<pk>/giao-xu-ly/": ("/van-ban/{incoming_document}/giao-xu-ly/",),
    "/van-ban/xu-ly/<pk>/<action>/": ("/van-ban/xu-ly/1/complete/",),
    # POST only: a GET is refused (405), or sent to sign in.
    "/staff/indicators/reported/<value_id>/approve/": ("/staff/indicators/reported/1/approve/",),
    "/staff/indicators/reported/<value_id>/return/": ("/staff/indicators/reported/1/return/",),
    # "Assign now" from a number: step one for a reported and a computed figure of a unit.
    "/staff/indicators/assign/": (
        "/staff/indicators/assign/?indicator=socio.public_investment_disbursement",
        "/staff/indicators/assign/?indicator=requests.late&unit={unit}"),
    # The dashboard's map: the boundaries layer of the city's units and of a ward.
    "/staff/indicators/map/units.geojson": ("/staff/indicators/map/units.geojson",
                                            "/staff/indicators/map/units.geojson?unit={unit}"),
    "/ke-hoach/<plan_id>/bieu-do.<fmt>": ("/ke-hoach/{plan}/bieu-do.pdf",
                                         "/ke-hoach/{plan}/bieu-do.png"),
    "/ke-hoach/bang-diem/bao-cao.<fmt>": ("/ke-hoach/bang-diem/bao-cao.xlsx?period=2025-12",
                                          "/ke-hoach/bang-diem/bao-cao.pdf?period=2025-12"),
    "/nhiem-vu/<task_id>/": ("/nhiem-vu/{task}/",),
    # POST only: a GET is refused (405), or sent to sign in.
    "/nhiem-vu/<task_id>/chi-tieu/": ("/nhiem-vu/{task}/chi-tieu/",),
    "/nhiem-vu/<task_id>/chi-tieu/gia-tri/": ("/nhiem-vu/{task}/chi-tieu/gia-tri/",),
    # A task's evidence and extensions: adding, removing, asking and deciding are POST only;
    # the demo has no evidence file (the download answers 404).
    "/nhiem-vu/<task_id>/minh-chung/": ("/nhiem-vu/{task}/minh-chung/",),
    "/nhiem-vu/<task_id>/minh-chung/lien-ket/": ("/nhiem-vu/{task}/minh-chung/lien-ket/",),
    "/nhiem-vu/<task_id>/minh-chung/<evidence_id>/": ("/nhiem-vu/{task}/minh-chung/1/",),
    "/nhiem-vu/<task_id>/minh-chung/<evidence_id>/go/": ("/nhiem-vu/{task}/minh-chung/1/go/",),
    "/nhiem-vu/<task_id>/gia-han/": ("/nhiem-vu/{task}/gia-han/",),
    "/nhiem-vu/<task_id>/gia-han/<request_id>/": ("/nhiem-vu/{task}/gia-han/1/",),
    # POST only, as the other steps.
    "/van-ban/<pk>/thu-hoi/": ("/van-ban/{document}/thu-hoi/",),
    "/van-ban/lien-thong/<pk>/": ("/van-ban/lien-thong/{arrival}/",),
    "/van-ban/lien-thong/<pk>/<action>/": ("/van-ban/lien-thong/{arrival}/accept/",),
}

#: The category the smoke test files its reports in (a resident's, with no required field).
FILING_CATEGORY = "moi-truong-rac"
#: Where residents file a report: a public address, the same whatever the view's name.
FILING_PATH = "/reports/new/"


class Failed(Exception):
    """The smoke test cannot go on."""


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name, its shape and the URL to request when it takes no argument."""

    name: str
    shape: str
    regex: re.Pattern[str]
    callback: Callable[..., Any]
    bare: str | None


def routes() -> list[Route]:
    """Every route of the URL map, found by walking Django's resolver."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Route]:
        for pattern in patterns:
            regex = prefix + pattern.pattern.regex.pattern.removeprefix("^")
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, regex, inner)
            elif isinstance(pattern, URLPattern):
                # The shortest of the route's forms: optional arguments (Open311's format) left out.
                form, params = min(normalize(regex), key=lambda f: len(f[1]))
                shape = "/" + form % {p: f"<{p}>" for p in params}
                yield Route(name=f"{namespace}{pattern.name}" if pattern.name else "",
                            shape=shape, regex=re.compile("^" + regex), callback=pattern.callback,
                            bare=None if params else shape)

    found: dict[str, Route] = {}
    for route in walk(get_resolver().url_patterns, "", ""):
        found.setdefault(route.shape, route)  # one path may carry several methods (the API)
    return list(found.values())


@dataclass
class Plan:
    """What to request, what is left out and why, and what is wrong with the samples."""

    urls: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one reason per route left out
    problems: list[str] = field(default_factory=list)


def plan(found: list[Route], values: dict[str, str]) -> Plan:
    """The URLs to request: every route without arguments, and the samples of the others."""
    result = Plan()
    for route in found:
        label = f"{route.shape} ({route.name or 'unnamed'})"
        if route.shape in SAMPLES:
            for template in SAMPLES[route.shape]:
                try:
                    url = template.format(**values)
                except KeyError as exc:
                    result.problems.append(f"the sample {template} names no known value: {exc}")
                    continue
                path = urlsplit(url).path
                if not route.regex.match(path[1:]) or resolve(path).func != route.callback:
                    result.problems.append(f"the sample {url} does not reach {label}")
                result.urls.append(url)
        elif route.bare is not None:
            result.urls.append(route.bare)
        elif skip := next((why for prefix, why in SKIP_WITH_ARGUMENTS.items()
                           if route.shape.startswith(prefix)), None):
            result.skipped.append(skip)
        else:
            result.problems.append(
                f"no sample for the route {label}: add one to SAMPLES in scripts/smoke.py")
    shapes = {route.shape for route in found}
    result.problems += [f"the sample for {shape} matches no route (renamed or removed?): "
                        "update SAMPLES in scripts/smoke.py" for shape in SAMPLES
                        if shape not in shapes]
    return result


@dataclass(frozen=True)
class Answer:
    """One request as the table shows it."""

    visitor: str
    url: str
    status: int
    seconds: float


class Visitor:
    """A browser behind the city's TLS proxy: HTTPS for the visitor, plain HTTP to gunicorn.

    Every request carries the site's Host and `X-Forwarded-Proto: https`, as the proxy adds
    them. The cookies are kept here, not in httpx's jar, which (rightly, for a plain-HTTP URL)
    would not send back the secure-only cookies production sets.
    """

    def __init__(self, label: str, base: str, host: str) -> None:
        self.label, self.host = label, host
        self.client = httpx.Client(
            base_url=base, follow_redirects=False, timeout=30,
            headers={"Host": host, "X-Forwarded-Proto": "https", "Accept-Language": "vi"},
        )
        self.cookies: dict[str, str] = {}
        self.answers: list[Answer] = []

    def request(self, method: str, url: str, *, record: bool = True,
                **kwargs: Any) -> httpx.Response:
        """Send a request with the visitor's cookies, keep the ones it sets, record its time."""
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        response = self.client.request(method, url, headers=headers, **kwargs)
        seconds = time.perf_counter() - start
        self.client.cookies.clear()
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if record:
            label = url if method == "GET" else f"{method} {url}"
            self.answers.append(Answer(self.label, label, response.status_code, seconds))
        return response

    def get(self, url: str, *, record: bool = True) -> httpx.Response:
        """GET `url`."""
        return self.request("GET", url, record=record)

    def post_form(self, url: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        """Fill in the form at `url` and send it as a browser does: same origin, CSRF token."""
        form = self.get(url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if form.status_code != 200 or token is None:
            raise Failed(f"{self.label}: {url} answered {form.status_code} with no CSRF token")
        origin = f"https://{self.host}"
        return self.request("POST", url, data={**data, "csrfmiddlewaretoken": token.group(1)},
                            headers={"Origin": origin, "Referer": origin + url}, **kwargs)

    def sign_in(self, username: str) -> None:
        """Sign in through the real login form."""
        response = self.post_form(resolve_url(settings.LOGIN_URL),
                                  {"username": username, "password": DEMO_PASSWORD})
        cookies = response.headers.get_list("set-cookie")
        session = next((c for c in cookies if c.startswith(settings.SESSION_COOKIE_NAME + "=")),
                       None)
        if response.status_code != 302 or session is None:
            raise Failed(f"signing in as {username} answered {response.status_code}, no session")
        if "; secure" not in session.lower():
            raise Failed(f"the session cookie is not secure-only: {session}")


def wait_ready(base: str, host: str) -> None:
    """Wait for /readyz as a load balancer would: plain HTTP, straight to gunicorn."""
    deadline, last = time.monotonic() + READY_TIMEOUT, "no answer"
    with httpx.Client(base_url=base, headers={"Host": host}, timeout=5) as probe:
        while time.monotonic() < deadline:
            try:
                response = probe.get("/readyz")
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            time.sleep(0.5)
    raise Failed(f"/readyz did not answer 200 within {READY_TIMEOUT:.0f} s: {last}")


def check_proxy(base: str, host: str) -> list[str]:
    """Production settings redirect plain HTTP and honour the proxy's X-Forwarded-Proto."""
    problems = []
    with httpx.Client(base_url=base, headers={"Host": host}, timeout=10) as plain:
        response = plain.get("/")
        if response.status_code != 301 or response.headers.get("location") != f"https://{host}/":
            problems.append(f"plain HTTP / answered {response.status_code} "
                            f"{response.headers.get('location')}, not 301 to https://{host}/")
        if plain.get("/healthz").status_code != 200:
            problems.append("/healthz over plain HTTP (the load balancer's probe) is not 200")
        proxied = plain.get("/", headers={"X-Forwarded-Proto": "https"})
        if proxied.status_code != 200 or "strict-transport-security" not in proxied.headers:
            problems.append(f"/ through the proxy answered {proxied.status_code} "
                            f"without HSTS: X-Forwarded-Proto is not honoured")
    return problems


def photo() -> bytes:
    """A small JPEG, as a phone would send."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def sample_values(anonymous: Visitor, open311_key: str) -> dict[str, str]:
    """The samples' values: demo rows, a report filed on the web form, one through Open311."""
    demo = Report.objects.filter(is_public=True).select_related("unit").order_by("pk").first()
    if demo is None or demo.unit is None:
        raise Failed("no public demo report with a unit: did load_demo_reports run?")
    place = {"latitude": str(demo.unit.latitude), "longitude": str(demo.unit.longitude)}
    description = "Smoke test: rác thải tập kết ở đầu hẻm, chưa được thu gom."

    sent = anonymous.post_form(FILING_PATH, {
        "category": FILING_CATEGORY, "description": description, **place,
        "contact_email": "smoke@example.com",
    }, files={"photos": ("smoke.jpg", photo(), "image/jpeg")})
    target = urlsplit(sent.headers.get("location", ""))
    token = parse_qs(target.query).get("t", [""])[0]
    if sent.status_code != 302 or not token:
        raise Failed(f"filing a report at {FILING_PATH} answered {sent.status_code}, "
                     f"not a redirect to its follow link: {sent.text[:500]}")
    filed = str(resolve(target.path).kwargs["code"])
    photo_id = ReportPhoto.objects.filter(report__code=filed).values_list("pk", flat=True).first()
    if photo_id is None:
        raise Failed(f"the report {filed} was filed without its photo")

    queued = anonymous.request("POST", "/open311/v2/requests.json", data={
        "api_key": open311_key, "service_code": FILING_CATEGORY, "description": description,
        "lat": place["latitude"], "long": place["longitude"], "email": "smoke@example.com"})
    if queued.status_code != 202:
        raise Failed(f"the Open311 POST answered {queued.status_code}, not 202: {queued.text}")
    open311_token = queued.json()[0]["token"]
    deadline = time.monotonic() + WORKER_TIMEOUT
    while (open311_report := anonymous.get(f"/open311/v2/tokens/{open311_token}.json",
                                           record=False).json()[0]["service_request_id"]) is None:
        if time.monotonic() > deadline:
            raise Failed(f"`cityhall worker` did not file the Open311 request within "
                         f"{WORKER_TIMEOUT:.0f} s")
        time.sleep(0.5)
    # The filed report's receipt went to the contact's address, which has not confirmed yet.
    contact = ContactPoint.objects.filter(
        kind=ContactPoint.Kind.EMAIL, digest=caps.digest("email", "smoke@example.com")).first()
    if contact is None:
        raise Failed("the filed report's contact address has no ContactPoint row")
    dossier = Dossier.objects.order_by("pk").values_list("code", flat=True).first()
    if dossier is None:
        raise Failed("no demo dossier: did load_demo_dossiers run?")
    plan = PlanModel.objects.order_by("pk").values_list("pk", flat=True).first()
    if plan is None:
        raise Failed("no demo plan: did load_demo_plans run?")
    task = TaskModel.objects.filter(target__isnull=False).order_by("pk").values_list(
        "pk", flat=True).first()
    if task is None:
        raise Failed("no demo task with a target: did load_demo_plans run?")
    leader = User.objects.get(username="city.leader")
    calendar_token = token_of(ensure_feeds(actor=SYSTEM, user=leader)[0])
    stored = DossierFile.objects.order_by("pk").values_list("pk", "dossier__code").first()
    if stored is None:
        raise Failed("no demo dossier file: did load_demo_dossiers run?")
    outgoing = Document.objects.outgoing().filter(number__isnull=False).select_related(
        "unit").order_by("pk").first()
    incoming = Document.objects.incoming().order_by("pk").first()
    if outgoing is None or incoming is None:
        raise Failed("no demo documents: did load_demo_documents run?")
    return {"demo_report": demo.code, "dossier": dossier, "plan": str(plan),
            "calendar_token": calendar_token, "unit": demo.unit.code,
            "dossier_file": str(stored[0]), "file_dossier": stored[1],
            "document": str(outgoing.pk), "incoming_document": str(incoming.pk),
            "document_unit": outgoing.unit.code, "task": str(task),
            # A document received by edXML (the demo's exchange between two wards).
            "arrival": str(Arrival.objects.order_by("pk").values_list("pk", flat=True).first()
                           or 1),
            "category": FILING_CATEGORY,
            "filed": filed, "token": token, "photo": str(photo_id),
            "open311_token": open311_token, "open311_report": open311_report,
            "contact_token": caps.confirmation_token(contact.pk)}


def visitors(base: str, host: str) -> list[tuple[Visitor, str]]:
    """An anonymous visitor and one demo account of each role (`cityhall demo_logins`)."""
    by_role: dict[str, str] = {}
    for username, role, _unit in demo_logins():
        by_role.setdefault(str(role), username)
    if not by_role:
        raise Failed("no demo accounts: did load_demo run?")
    return [(Visitor("anonymous", base, host), ""),
            *((Visitor(username, base, host), username) for username in by_role.values())]


def table(answers: list[Answer], labels: list[str]) -> str:
    """URL down, visitor across: status and milliseconds in each cell."""
    cells = {(a.url, a.visitor): f"{a.status} {a.seconds * 1000:4.0f}" for a in answers}
    urls = list(dict.fromkeys(a.url for a in answers))
    width = max(len(u) for u in urls)
    columns = [max(len(label), 8) for label in labels]
    lines = ["  ".join([" " * width, *(label.rjust(w) for label, w in zip(labels, columns,
                                                                         strict=True))])]
    lines += ["  ".join([url.ljust(width), *(cells.get((url, label), "").rjust(w)
                                             for label, w in zip(labels, columns, strict=True))])
              for url in urls]
    return "\n".join(lines)


def title_problems(url: str, html: str) -> list[str]:
    """A page's <title> must be text: a title block left open swallows the page's markup."""
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    if found is None:
        return [f"{url} has no <title>"] if "<html" in html else []
    title = found.group(1)
    if "<" in title:  # user text in a title is escaped: a bare "<" is markup
        return [f"{url}: its <title> holds markup: {title[:80]!r}"]
    return []


def visit(people: list[tuple[Visitor, str]], open311_key: str) -> tuple[Plan, list[str]]:
    """Request every planned URL as every visitor, then the static files the pages name."""
    work = plan(routes(), sample_values(people[0][0], open311_key))
    problems = list(work.problems)
    assets: set[str] = set()
    for visitor, username in people:
        if username:
            visitor.sign_in(username)
        for url in work.urls:
            response = visitor.get(url)
            if response.headers.get("content-type", "").startswith("text/html"):
                assets.update(re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text))
                problems += title_problems(url, response.text)
    for url in sorted(assets):  # the hashed names the manifest gave, served by WhiteNoise
        response = people[0][0].get(url)
        if response.status_code != 200:
            problems.append(f"{url}, named by a page, answered {response.status_code}")
    return work, problems


def main() -> int:
    """Run the smoke test against a server started by scripts/smoke.sh; 0 when all is well."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="gunicorn's address, http://127.0.0.1:PORT")
    parser.add_argument("--host", required=True, help="the site's host name, in ALLOWED_HOSTS")
    parser.add_argument("--open311-key", required=True, help="a key with the open311:write scope")
    args = parser.parse_args()
    started = time.monotonic()
    people: list[tuple[Visitor, str]] = []
    work, problems = Plan(), []
    try:
        wait_ready(args.base, args.host)
        problems += check_proxy(args.base, args.host)
        people = visitors(args.base, args.host)
        work, found = visit(people, args.open311_key)
        problems += found
    except (Failed, httpx.HTTPError) as exc:
        problems.append(f"stopped: {exc}")
    answers = [a for visitor, _ in people for a in visitor.answers]
    if answers:
        print(table(answers, [visitor.label for visitor, _ in people]))
    print(f"\n{len(answers)} requests by {len(people)} visitors in "
          f"{time.monotonic() - started:.0f} s; routes with arguments left out:")
    for why, count in Counter(work.skipped).items():
        print(f"  {count} routes under {why}")
    problems += [f"{a.visitor}: {a.url} answered {a.status}" for a in answers if a.status >= 500]
    problems += [f"{a.visitor}: {a.url} took {a.seconds:.1f} s" for a in answers
                 if a.seconds > SLOW_SECONDS]
    if problems:
        print("\nsmoke test FAILED:\n" + "\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 1
    print("\nsmoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
