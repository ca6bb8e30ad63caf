"""Open311 output: the same data as XML (built with ElementTree) or as JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse

XML = "xml"
JSON = "json"
FORMATS = (XML, JSON)
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
# ElementTree's own declaration has single quotes; clients have long seen this one.
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

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


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry (ElementTree escapes markup, not characters XML forbids)."""
    if _NOT_XML.search(text):
        return _NOT_XML.sub("\ufffd", text)
    return text


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    return xml_text(str(value))


def _fill(element: ET.Element, value: Any) -> None:
    """Put `value` into `element`: children for a mapping or a list, else text."""
    if isinstance(value, str):  # most values: checked first
        if value:
            element.text = xml_text(value)
    elif value is None or value == [] or value == {}:
        return  # an empty element
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list | tuple):
        child = ITEM_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, child), item)
    else:
        element.text = _scalar(value)


def xml_document(root: str, item_tag: str | None, items: Any) -> bytes:
    """An XML document: `root` holding one `item_tag` element per item, or `root` = items."""
    tree = ET.Element(root)
    if item_tag is None:
        _fill(tree, items)
    else:
        for item in items:
            _fill(ET.SubElement(tree, item_tag), item)
    # Serialised to text, then encoded once: faster than ElementTree encoding each piece.
    return _DECLARATION + ET.tostring(tree, encoding="unicode").encode()


def response(
    fmt: str, root: str, item_tag: str | None, items: Iterable[Any] | Mapping[str, Any],
    *, status: int = 200,
) -> HttpResponse:
    """Render `items` as the Open311 document `root` (list of `item_tag`) in `fmt`."""
    if fmt == JSON:
        data = items if item_tag is None else list(items)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    else:
        body = xml_document(root, item_tag, items)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def json_text(body: str, *, status: int = 200) -> HttpResponse:
    """A JSON document that is already text (built by the database)."""
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES[JSON])


def errors(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    """The Open311 error document: one error per description, each with the HTTP code."""
    items = [{"code": status, "description": d} for d in descriptions]
    return response(fmt if fmt in FORMATS else XML, "errors", "error", items, status=status)
