"""Template filters of the report pages."""

from __future__ import annotations

from typing import Any

from django import template

from cityhall.reports import labels as report_labels
from cityhall.reports.forms import local

register = template.Library()


@register.filter
def state_label(state: str) -> str:
    """A report state in words."""
    return report_labels.state_label(state)


@register.filter
def action_label(action: str) -> str:
    """A workflow step in words."""
    return report_labels.action_label(action)


@register.filter
def localname(obj: Any, field: str = "name") -> str:
    """An object's name in the page's language."""
    return local(obj, field)


@register.filter
def get_item(row: dict[str, Any], key: str) -> Any:
    """A dictionary's value by a key held in a variable."""
    return row.get(key, "")


@register.simple_tag
def step_comment(step: Any, report: Any) -> str:
    """A step's comment; the routing reason recorded by the start reads in the page's language."""
    comment = str(step.comment or "")
    if comment and comment == report.routing_reason:
        return str(report.routing_reason_for_reader)
    return comment
