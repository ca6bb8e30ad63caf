"""Open311 output: the same data as XML (string building with escaping) or as JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse

XML = "xml"
JSON = "json"
FORMATS = (XML, JSON)
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

#: The child element of each list element (Open311 names lists in the plural).
ITEM_TAGS = {
    "attributes": "attribute", "values": "value", "endpoints": "endpoint",
    "formats": "format", "handling_log": "step", "photos": "photo", "media_urls": "media_url",
}
# Characters XML 1.0 cannot carry at all; stored text keeps them, output replaces them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_TZ = ZoneInfo(settings.TIME_ZONE)


def w3c(moment: dt.datetime | None) -> str | None:
    """A moment as W3C date-time in the city's zone, with its offset (2026-03-02T09:00:00+07:00)."""
    if moment is None:
        return None
    return moment.astimezone(_TZ).isoformat(timespec="seconds")


def escape(text: str) -> str:
    """Text safe inside an XML element."""
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    return escape(str(value))


def _element(out: list[str], tag: str, value: Any) -> None:
    if value is None or value == "" or value == [] or value == {}:
        out.append(f"<{tag}/>")
    elif isinstance(value, Mapping):
        out.append(f"<{tag}>")
        for key, item in value.items():
            _element(out, key, item)
        out.append(f"</{tag}>")
    elif isinstance(value, list | tuple):
        child = ITEM_TAGS[tag]
        out.append(f"<{tag}>")
        for item in value:
            _element(out, child, item)
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{_scalar(value)}</{tag}>")


def xml_document(root: str, item_tag: str | None, items: Any) -> str:
    """An XML document: `root` holding one `item_tag` element per item, or `root` = items."""
    out = [_DECLARATION]
    if item_tag is None:
        _element(out, root, items)
    else:
        out.append(f"<{root}>")
        for item in items:
            _element(out, item_tag, item)
        out.append(f"</{root}>")
    return "".join(out)


def response(
    fmt: str, root: str, item_tag: str | None, items: Iterable[Any] | Mapping[str, Any],
    *, status: int = 200,
) -> HttpResponse:
    """Render `items` as the Open311 document `root` (list of `item_tag`) in `fmt`."""
    if fmt == JSON:
        data = items if item_tag is None else list(items)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    else:
        body = xml_document(root, item_tag, items)
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES[fmt])


def json_text(body: str, *, status: int = 200) -> HttpResponse:
    """A JSON document that is already text (built by the database)."""
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES[JSON])


def errors(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    """The Open311 error document: one error per description, each with the HTTP code."""
    items = [{"code": status, "description": d} for d in descriptions]
    return response(fmt if fmt in FORMATS else XML, "errors", "error", items, status=status)
