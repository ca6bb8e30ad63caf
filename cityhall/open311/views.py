"""Open311 GeoReport v2 views: parse the parameters, call the reports service or query, render."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cityhall.accounts.auth import api_key_from_request, authenticate_api_key
from cityhall.core.api import TOO_LARGE, ApiError, too_large_message
from cityhall.core.errors import ErrorCode
from cityhall.core.text import (
    in_reader_language,
    querydict_has_invalid_unicode,
    querydict_has_nul,
)
from cityhall.open311 import pages, queries, render
from cityhall.open311.forms import RequestsQuery, SwitchField
from cityhall.open311.intake import accept as accept_intake
from cityhall.open311.intake import payload_of
from cityhall.open311.limits import limit_filing
from cityhall.open311.models import Intake
from cityhall.open311.params import Open311Error, attributes, number, text
from cityhall.open311.render import FORMATS, JSON, XML
from cityhall.open311.tokens import intake_pk_from_token, intake_token_for, pk_from_token, token_for
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit
from cityhall.reports.errors import ReportCode
from cityhall.reports.filters import PublicReportFilter
from cityhall.reports.models import Category, attribute_label, value_name
from cityhall.reports.services import Contact, ReportError, submit_report
from cityhall.reports.services.intake import check_partner_report
from cityhall.reports.states import OPEN_STATES, PUBLIC_NOTE_ACTIONS

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
WRITE_SCOPE = "open311:write"
DEFAULT_WINDOW = dt.timedelta(days=90)
#: Seconds a client or proxy may reuse a GET requests answer (Cache-Control max-age).
LIST_MAX_AGE = 5
# Stand-ins for a report code and a photo id, to cut the photo URL around them.
_CODE_MARK = "open311-code-mark"
_PHOTO_MARK = 987_654_321
# GeoReport v2 answers an unknown service_code with 404 (its "Errors" section); every other
# refusal keeps the status of its code.
_OPEN311_STATUS: dict[ErrorCode, int] = {ReportCode.UNKNOWN_CATEGORY: 404}
# Changes to the catalogue come with a deployment or a restart, so the start time will do.
_CHANGESET = timezone.now()

View = Callable[..., HttpResponse]


def _jurisdiction_ok(request: HttpRequest) -> bool:
    given = text(request.GET, "jurisdiction_id")
    if not given and request.method == "POST" and _is_form(request):
        given = text(request.POST, "jurisdiction_id")
    return not given or given == settings.CITYHALL_OPEN311_JURISDICTION


def _is_form(request: HttpRequest) -> bool:
    kind = request.content_type or ""
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data")


def report_error(exc: ReportError) -> Open311Error:
    """The Open311 error for a refusal of the reports service."""
    status = _OPEN311_STATUS.get(exc.code, exc.code.status)
    if isinstance(exc.detail, dict):
        prefix = "attribute[%s]" if exc.code == ReportCode.INVALID_ATTRIBUTE else "%s"
        lines = [f"{prefix % name}: {message}" for name, message in exc.detail.items()]
        return Open311Error(status, *lines)
    return Open311Error(status, str(exc.detail))


def open311(*methods: str) -> Callable[[View], View]:
    """Wrap a view: check format, method and jurisdiction; map every failure to an error body."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, fmt: str | None = None, **kwargs: Any) -> HttpResponse:
            if fmt is None or fmt not in FORMATS:
                return render.errors(XML, 400, [_(
                    "Ask for a format: add .xml or .json to the resource.")])
            if request.method not in methods:
                answer = render.errors(fmt, 405, [_("Method not allowed.")])
                answer["Allow"] = ", ".join(methods)
                return answer
            try:
                if querydict_has_nul(request.GET) or (
                    _is_form(request) and querydict_has_nul(request.POST)
                ):
                    raise Open311Error(400, _("A parameter holds a NUL character."))
                # A multipart body declared in UTF-7 can carry a lone surrogate (core.text).
                if _is_form(request) and querydict_has_invalid_unicode(request.POST):
                    raise Open311Error(400, _(
                        "The request holds text that is not valid Unicode (a lone surrogate)."))
                if not _jurisdiction_ok(request):
                    raise Open311Error(404, _("This server does not serve that jurisdiction."))
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return render.errors(fmt, exc.status, exc.descriptions)
            except ApiError as exc:
                return render.errors(fmt, exc.status, [str(exc.detail)])
            except ReportError as exc:
                mapped = report_error(exc)
                return render.errors(fmt, mapped.status, mapped.descriptions)
            except TOO_LARGE:
                return render.errors(fmt, 413, [too_large_message()])
            except (SuspiciousOperation, MultiPartParserError, UnreadablePostError):
                return render.errors(fmt, 400, [_("The request body could not be read.")])
            except Exception:
                logger.exception("unhandled Open311 error")
                return render.errors(fmt, 500, [_("Internal server error.")])

        return csrf_exempt(wrapper)

    return decorate


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/open311/v2/")


@open311("GET", "HEAD")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Service discovery: this endpoint, its formats, whom to ask for a key."""
    changeset = render.w3c(_CHANGESET)
    body = {
        "changeset": changeset,
        "contact": _("Digital Transformation Centre of Ho Chi Minh City (hotline 1022)."),
        "key_service": _("Ask the Digital Transformation Centre for a partner API key with "
                         "the open311:write scope; reading needs no key."),
        "endpoints": [{
            "specification": SPECIFICATION, "url": _base_url(request), "changeset": changeset,
            "type": "production", "formats": [render.CONTENT_TYPES[XML].split(";")[0],
                                              render.CONTENT_TYPES[JSON].split(";")[0]],
        }],
    }
    return render.response(fmt, "discovery", None, body)


def _offered() -> Any:
    """Categories partners may file: active, for residents."""
    return Category.objects.active().for_audience("resident")


def _service(category: Category, english: bool) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": (category.name_en if english else "") or category.name,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ", ".join(str(k) for k in category.keywords or []),
        "group": (category.group_en if english else "") or category.group,
    }


@open311("GET", "HEAD")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    """The list of services (report categories) partners may file."""
    english = _english()
    items = [_service(c, english) for c in _offered().order_by("order", "code")]
    return render.response(fmt, "services", "service", items)


def _datatype_descriptions() -> dict[str, str]:
    return {
        "string": _("Text, at most 200 characters."),
        "text": _("Text, at most 4,000 characters."),
        "number": _("A number."),
        "datetime": _("A W3C date-time with a time zone, such as 2026-03-02T09:00:00+07:00."),
        "singlevaluelist": _("One of the keys of values."),
        "multivaluelist": _("One or more of the keys of values (attribute[code][])."),
    }


@open311("GET", "HEAD")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    """A service's extra fields (attributes) in the Open311 shape."""
    category = _offered().filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("There is no service with this code."))
    kinds = _datatype_descriptions()
    body = {"service_code": category.code, "attributes": [
        {
            "variable": True,
            "code": str(spec["code"]),
            "datatype": spec["datatype"],
            "required": bool(spec.get("required")),
            "datatype_description": kinds.get(spec["datatype"], ""),
            "order": int(spec.get("order") or number_),
            "description": attribute_label(spec),
            "values": [{"key": str(v["key"]), "name": value_name(v)}
                       for v in spec.get("values", [])],
        }
        for number_, spec in enumerate(category.attribute_specs(), start=1)
    ]}
    return render.response(fmt, "service_definition", None, body)


def _location(params: QueryDict) -> tuple[float | None, float | None, str]:
    """The point, or the address to resolve: lat+long, else address_string, else address_id."""
    lat = number(params, "lat", -90, 90)
    lon = number(params, "long", -180, 180)
    if (lat is None) != (lon is None):
        raise Open311Error(400, _("Give both lat and long."))
    address = text(params, "address_string")
    address_id = text(params, "address_id")
    if lat is not None or address:
        return lat, lon, address
    if not address_id:
        raise Open311Error(400, _("Say where: lat and long, address_string or address_id."))
    unit = (Unit.objects.active_on().filter(code=address_id, kind__in=COMMUNE_LEVEL)
            .select_related("parent").first())
    if unit is None:
        raise Open311Error(400, _("address_id must be the code of a ward, commune or special "
                                  "zone of the city (see /api/v1/units)."))
    parent = f", {unit.parent.name}" if unit.parent is not None else ""
    return None, None, f"{unit.name}{parent}"


@open311("GET", "HEAD", "POST")
@limit_filing(WRITE_SCOPE)
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: public requests, filtered; POST: file a request for a partner's user."""
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt, request.GET)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    key = authenticate_api_key(api_key_from_request(request), WRITE_SCOPE)
    params = request.POST
    code = text(params, "service_code")
    if not code:
        raise Open311Error(400, _("service_code is required."))
    lat, lon, address = _location(params)
    last, first = text(params, "last_name"), text(params, "first_name")
    account_id = text(params, "account_id")
    # Vietnamese names put the family name first: "Nguyễn" + "Văn An".
    contact = Contact(name=" ".join(p for p in (last, first) if p), phone=text(params, "phone"),
                      email=text(params, "email"), device_id=text(params, "device_id"),
                      account_id=account_id)
    media_url = text(params, "media_url")
    submission: dict[str, Any] = {
        "category": code, "description": params.get("description") or "", "latitude": lat,
        "longitude": lon, "address": address, "contact": contact,
        "attributes": attributes(params), "media_urls": [media_url] if media_url else [],
    }
    idempotency_key = request.headers.get("Idempotency-Key", "")
    photos = request.FILES.getlist("media")
    if settings.CITYHALL_OPEN311_ASYNC_INTAKE and not photos:
        # Queued: check now, file in the worker, answer with a token (GeoReport v2).
        check_partner_report(actor=key, **submission)
        intake_pk, created = accept_intake(actor=key, payload=payload_of(**submission),
                                           idempotency_key=idempotency_key)
        item = {"token": intake_token_for(intake_pk), "service_notice": _(
            "Accepted; it is being filed. Ask tokens/{token} for its service_request_id."),
            "account_id": account_id or None}
        return render.response(fmt, "service_requests", "request", [item],
                               status=202 if created else 200)
    made = submit_report(
        actor=key, channel="open311", photos=photos, idempotency_key=idempotency_key,
        # Open311 answers have no place for similar reports: do not look for them.
        suggest=False, **submission,
    )
    report = made.report
    item = {"service_request_id": report.code, "service_notice": report.routing_reason_for_reader,
            "account_id": account_id or None, "token": token_for(report.pk)}
    return render.response(fmt, "service_requests", "request", [item],
                           status=201 if made.created else 200)


def _filter(params: QueryDict) -> queries.RequestPage:
    """GeoReport v2's parameters as the reports' filter and a page of it."""
    # Every parameter is checked even when ids override them, so a typo is never silent.
    given = RequestsQuery(params).checked()
    limit = given["page_size"]
    offset = (given["page"] - 1) * limit
    if given["service_request_id"]:
        # The ids override every other filter (GeoReport v2).
        return queries.RequestPage(PublicReportFilter(code=given["service_request_id"]),
                                   offset, limit)
    start, end = given["start_date"], given["end_date"]
    if start is None:
        # GeoReport v2's default window: the 90 days up to end_date (or now).
        start = (end or timezone.now()) - DEFAULT_WINDOW
    lat, lon = given["lat"], given["long"]
    criteria = PublicReportFilter(
        category=given["service_code"], received_after=start, received_before=end,
        status=given["status"],
        updated_after=given["updated_after"], updated_before=given["updated_before"],
        bbox=given["bbox"],
        near=(lat, lon, given["radius"] or 1000.0) if lat is not None and lon is not None
        else None)
    unknown = criteria.unknown_categories()
    if unknown:
        raise Open311Error(404, _("There is no service with the code %(code)s.") % {
            "code": unknown[0]})
    return queries.RequestPage(criteria, offset, limit)


def _merged_note(code: str) -> str:
    return _("Merged into %(code)s, which deals with the same problem.") % {"code": code}


def _responsible_note(who: str) -> str:
    return "\n" + _("Responsible: %(who)s") % {"who": who}


def _status_notes(row: dict[str, Any]) -> str | None:
    state = row["state"]
    if state == "merged" and row["duplicate_of__code"]:
        return _merged_note(row["duplicate_of__code"])
    notes = row["public_reply"]
    if state == "rejected" and row["responsible_pointer"]:
        notes = f"{notes}{_responsible_note(row['responsible_pointer'])}"
    return notes or None


def _media(request: HttpRequest, code: str, photo_id: int) -> str:
    # Through the portal's checked photo view, never the storage's own URL: a report hidden
    # later must take its photos with it.
    return request.build_absolute_uri(reverse("reports:report_photo", args=[code, photo_id]))


def _status(state: str) -> str:
    return "open" if state in OPEN_STATES else "closed"


def _page_texts(request: HttpRequest) -> pages.PageTexts:
    """The wording of a page built in SQL: the same helpers as the Python renderer's."""
    url = _media(request, _CODE_MARK, _PHOTO_MARK)
    before, rest = url.split(_CODE_MARK)
    middle, after = rest.split(str(_PHOTO_MARK))
    return pages.PageTexts(english=_english(), merged=_merged_note(pages.MARK),
                           responsible=_responsible_note(pages.MARK),
                           photo_url=(before, middle, after))


def _list(request: HttpRequest, fmt: str, params: QueryDict, *, one: bool = False
          ) -> HttpResponse:
    spec = _filter(params)
    extended = SwitchField().clean(params.get("extensions"))
    if extended or not pages.supported():
        answer = _render_in_python(request, fmt, spec, extended=extended, one=one)
    else:
        text = pages.request_page(spec, _page_texts(request))
        if one and text == "[]":
            raise Open311Error(404, _("There is no request with this id."))
        if fmt == JSON:
            answer = render.json_text(text)
        else:
            # The same items for XML; lat and long (the only numbers) as floats, as in Python.
            answer = render.response(fmt, "service_requests", "request",
                                     json.loads(text, parse_int=float))
    # Public data: a proxy or client may reuse it briefly; the server always reads afresh.
    patch_cache_control(answer, public=True, max_age=LIST_MAX_AGE)
    return answer


def _render_in_python(request: HttpRequest, fmt: str, spec: queries.RequestPage, *,
                      extended: bool, one: bool) -> HttpResponse:
    """The reference renderer (and the one with extensions): rows to dicts to a document."""
    rows = queries.request_rows(spec)
    if one and not rows:
        raise Open311Error(404, _("There is no request with this id."))
    english = _english()
    logs = photos = None
    if extended and rows:
        pks = [r["pk"] for r in rows]
        logs, photos = queries.handling_logs(pks), queries.photos(pks)
    w3c = render.w3c
    items = []
    for row in rows:
        media = row["media_urls"]
        item = {
            "service_request_id": row["code"],
            "status": _status(row["state"]),
            "status_notes": _status_notes(row),
            "service_name": (row["category__name_en"] if english else "")
            or row["category__name"],
            "service_code": row["category__code"],
            "description": row["description"],
            "agency_responsible": row["unit__name"],
            "service_notice": in_reader_language(row["routing_reasons"], row["routing_reason"])
            or None,
            "requested_datetime": w3c(row["created_at"]),
            "updated_datetime": w3c(row["updated_at"]),
            "expected_datetime": w3c(row["due_at"]),
            "address": row["address"] or row["place_unit__name"],
            "address_id": row["place_unit__code"],
            "zipcode": None,
            "lat": row["latitude"],
            "long": row["longitude"],
            "media_url": _media(request, row["code"], row["photo"]) if row["photo"]
            else (media[0] if media else None),
        }
        if logs is not None and photos is not None:
            item["extended_attributes"] = {
                "handling_log": [
                    {"action": action, "state": state, "status": _status(state),
                     "datetime": w3c(at),
                     "note": comment if action in PUBLIC_NOTE_ACTIONS and comment else None}
                    for action, state, at, comment in logs.get(row["pk"], [])
                ],
                "photos": [
                    {"url": _media(request, row["code"], p["pk"]), "kind": p["kind"],
                     "content_type": p["content_type"], "width": p["width"],
                     "height": p["height"]}
                    for p in photos.get(row["pk"], [])
                ],
                "media_urls": list(media),
            }
        items.append(item)
    return render.response(fmt, "service_requests", "request", items)


@open311("GET", "HEAD")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    """One request by its id (the report's code)."""
    params = request.GET.copy()
    params.setlist("service_request_id", [request_id])
    return _list(request, fmt, params, one=True)


@open311("GET", "HEAD")
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """The request id behind a token given when it was filed (or accepted for filing)."""
    intake_pk = intake_pk_from_token(token)
    if intake_pk is not None:
        return _intake_token(fmt, token, intake_pk)
    pk = pk_from_token(token)
    code = queries.report_pk_code(pk) if pk is not None else None
    if code is None:
        raise Open311Error(404, _("There is no request with this token."))
    return render.response(fmt, "service_requests", "request",
                           [{"service_request_id": code, "token": token}])


def _intake_token(fmt: str, token: str, pk: int) -> HttpResponse:
    """A queued submission: its request id once filed, nothing yet, or why it was refused."""
    found = (Intake.objects.filter(pk=pk).values("status", "report__code", "report__is_public",
                                                 "error_status", "errors").first())
    if found is None:
        raise Open311Error(404, _("There is no request with this token."))
    if found["status"] in (Intake.Status.REFUSED, Intake.Status.FAILED):
        raise Open311Error(found["error_status"] or 400, *found["errors"])
    item: dict[str, Any] = {"service_request_id": None, "token": token}
    if found["status"] == Intake.Status.DONE and found["report__is_public"]:
        item["service_request_id"] = found["report__code"]
    return render.response(fmt, "service_requests", "request", [item])


def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under /open311/v2/: an Open311 404, never an HTML page."""
    fmt = JSON if rest.endswith(".json") else XML
    return render.errors(fmt, 404, [_("There is no such resource.")])
