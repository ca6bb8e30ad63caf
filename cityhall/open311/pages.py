"""GET requests built by the database: one statement returns each request as JSON text.

The Python renderer in `views._list` stays the reference (and serves `extensions=true`);
`tests/test_open311_pages.py` checks that both give the same documents on both databases.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from cityhall.open311.queries import RequestPage, page_queryset
from cityhall.reports.models import ReportPhoto
from cityhall.reports.states import OPEN_STATES

#: Stands for a value in the translated notes; the statement replaces it (no text holds it).
MARK = "\x1f"


@dataclass(frozen=True)
class PageTexts:
    """What a page's wording depends on: the language and the absolute photo link."""

    english: bool
    #: "Merged into MARK, which deals with the same problem." in the request's language.
    merged: str
    #: "\nResponsible: MARK" in the request's language (appended to the reply).
    responsible: str
    #: The checked photo view's absolute URL, in three parts around the code and photo id.
    photo_url: tuple[str, str, str]


@functools.cache
def city_offset() -> dt.timedelta | None:
    """The city's UTC offset if it has not changed since 1976 (no daylight saving), else None.

    The statement writes dates with one fixed offset; a zone with daylight saving or a
    future change keeps the Python renderer, which looks each moment up.
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    offsets = {dt.datetime(year, month, 1, tzinfo=zone).utcoffset()
               for year in range(1976, 2101) for month in (1, 4, 7, 10)}
    return offsets.pop() if len(offsets) == 1 else None


def supported() -> bool:
    """Whether pages may be built in SQL here: switched on, a known database, a fixed offset."""
    return (settings.CITYHALL_OPEN311_SQL_PAGES and connection.vendor in ("postgresql", "sqlite")
            and city_offset() is not None)


def _offset_text(offset: dt.timedelta) -> str:
    # The same suffix as datetime.isoformat: +07:00 (seconds only when there are some).
    return dt.datetime(2000, 1, 1, tzinfo=dt.timezone(offset)).isoformat()[19:]


def _w3c(column: str, postgres: bool) -> str:
    """SQL for a moment as W3C date-time in the city's offset (NULL stays NULL).

    Two parameters: the offset (seconds on PostgreSQL, a modifier on SQLite), its text.
    """
    if postgres:
        return (f"to_char({column} AT TIME ZONE make_interval(secs => %s), "
                f"'YYYY-MM-DD\"T\"HH24:MI:SS') || %s")
    # SQLite rounds fractions of a second (59.9995 s becomes the next minute); Python
    # truncates them: cut them off the stored text first.
    return f"strftime('%%Y-%%m-%%dT%%H:%%M:%%S', substr({column}, 1, 19), %s) || %s"


def _number(column: str, postgres: bool) -> str:
    """SQL for a float as a JSON number that reads back as the same float."""
    if postgres:
        return column  # PostgreSQL writes the shortest text that reads back exactly.
    # SQLite's JSON keeps 15 digits; printf's "!" allows 17: the first that reads back.
    tries = " ".join(f"WHEN CAST(printf('%%!.{n}g', {column}) AS REAL) = {column} "
                     f"THEN json(printf('%%!.{n}g', {column}))" for n in (15, 16))
    return (f"CASE WHEN {column} IS NULL THEN NULL {tries} "
            f"ELSE json(printf('%%!.17g', {column})) END")


_FIELDS = (
    # (key, SQL expression); request_page gives the %s parameters in this order.
    ("service_request_id", "r.code"),
    ("status", "CASE WHEN r.state IN ({open}) THEN 'open' ELSE 'closed' END"),
    ("status_notes",
     "CASE WHEN r.state = 'merged' AND d.code IS NOT NULL THEN replace(%s, %s, d.code) "
     "ELSE NULLIF(CASE WHEN r.state = 'rejected' AND r.responsible_pointer <> '' "
     "THEN r.public_reply || replace(%s, %s, r.responsible_pointer) "
     "ELSE r.public_reply END, '') END"),
    ("service_name", "{service_name}"),
    ("service_code", "c.code"),
    ("description", "r.description"),
    ("agency_responsible", "u.name"),
    ("service_notice", "{notice}"),
    ("requested_datetime", "{created}"),
    ("updated_datetime", "{updated}"),
    ("expected_datetime", "{due}"),
    ("address", "COALESCE(NULLIF(r.address, ''), pu.name)"),
    ("address_id", "pu.code"),
    ("zipcode", "NULL"),
    ("lat", "{lat}"),
    ("long", "{long}"),
    # The first reported photo (lowest id) through the checked photo view, else the first
    # link; NULL || text is NULL on both databases. Report codes (PA-YYMMDD-NNNN) need no
    # URL quoting, so the code goes into the path as it is.
    ("media_url",
     "COALESCE(%s || r.code || %s || (SELECT MIN(ph.id) FROM reports_reportphoto ph "
     "WHERE ph.report_id = r.id AND ph.kind = '{photo_kind}' AND ph.state = '{photo_ready}') "
     "|| %s, {first_media})"),
)


@functools.cache
def _statement(vendor: str, english: bool) -> str:
    """The statement for this database and language, with the page's query as `<PAGE>`."""
    postgres = vendor == "postgresql"
    language = "en" if english else "vi"
    reason = (f"r.routing_reasons ->> '{language}'" if postgres
              else f"json_extract(r.routing_reasons, '$.{language}')")
    parts = {
        "open": ", ".join(f"'{state}'" for state in OPEN_STATES),
        "service_name": "COALESCE(NULLIF(c.name_en, ''), c.name)" if english else "c.name",
        "created": _w3c("r.created_at", postgres),
        "updated": _w3c("r.updated_at", postgres),
        "due": _w3c("r.due_at", postgres),
        "lat": _number("r.latitude", postgres),
        "long": _number("r.longitude", postgres),
        "photo_kind": ReportPhoto.Kind.REPORT.value,
        "photo_ready": ReportPhoto.State.READY.value,
        "first_media": "r.media_urls ->> 0" if postgres else "json_extract(r.media_urls, '$[0]')",
        # Why it went to its unit, in the reader's language (older reports: the site's),
        # as core.text.in_reader_language gives it to the pages and the REST API.
        "notice": f"COALESCE(NULLIF({reason}, ''), NULLIF(r.routing_reason, ''))",
    }
    pairs = ", ".join(f"'{key}', {expression.format(**parts)}" for key, expression in _FIELDS)
    # psycopg would turn json into Python objects: ask for the text.
    item = f"json_build_object({pairs})::text" if postgres else f"json_object({pairs})"
    return (
        f"SELECT {item} FROM reports_report r "  # noqa: S608 (code's own text; values are parameters)
        "JOIN (<PAGE>) page ON page.pk = r.id "
        "JOIN reports_category c ON c.id = r.category_id "
        "JOIN orgunits_unit u ON u.id = r.unit_id "
        "LEFT JOIN orgunits_unit pu ON pu.id = r.place_unit_id "
        "LEFT JOIN reports_report d ON d.id = r.duplicate_of_id "
        "ORDER BY r.created_at DESC, r.id DESC"
    )


def request_page(spec: RequestPage, texts: PageTexts) -> str:
    """The page of public requests `spec` asks for, as the JSON array text of GET requests."""
    offset = city_offset()
    if offset is None:
        raise RuntimeError("the city's zone has no fixed offset: check supported() first")
    postgres = connection.vendor == "postgresql"
    seconds = offset.total_seconds()
    moment = [seconds if postgres else f"{int(seconds):+d} seconds", _offset_text(offset)]
    page = page_queryset(spec).values("pk")[spec.offset : spec.offset + spec.limit]
    page_sql, page_params = page.query.sql_with_params()
    sql = _statement(connection.vendor, texts.english).replace("<PAGE>", page_sql)
    params = [
        texts.merged, MARK, texts.responsible, MARK,  # status_notes
        *moment, *moment, *moment,  # the three dates
        *texts.photo_url,  # media_url
        *page_params,
    ]
    with _cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return "[" + ",".join(row[0] for row in rows) + "]"


def _cursor() -> Any:
    """A cursor for the statement; on PostgreSQL one whose statements may be prepared.

    Django's psycopg cursors bind parameters on the client and prepare nothing, so
    PostgreSQL plans every statement afresh, and planning this one (six tables) takes
    about as long as running it. Through a server-binding cursor psycopg prepares it once
    seen five times on a connection (kept: CONN_MAX_AGE; `prepare_threshold` in
    settings), and PostgreSQL reuses a plan when it costs no more than one made for the
    values. A pooler in transaction mode needs prepared-statement support (PgBouncer
    1.21: max_prepared_statements), or CITYHALL_OPEN311_SQL_PAGES off.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = _server_binding_cursor()(connection.connection)
    # The wrapper Django would give: execute wrappers and query logging apply.
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


@functools.cache
def _server_binding_cursor() -> type:
    import psycopg  # only installed where PostgreSQL is used

    class ServerBindingCursor(psycopg.Cursor[Any]):
        """psycopg's cursor, keeping the query it ran also when it ran a prepared one."""

        def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None
                                 ) -> None:
            # Django's query log reads `_query`; psycopg leaves it empty for prepared runs.
            self._query = pgq
            super()._send_query_prepared(name, pgq, binary=binary)

    return ServerBindingCursor
