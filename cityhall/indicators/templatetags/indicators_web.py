"""Indicator values as the reader writes numbers: percentages, counts, scores."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

#: The typographic minus sign (U+2212), as a decrease is printed.
MINUS = "\u2212"


@register.filter
def shown(value: float | None, unit: str = "count") -> str:
    """A value in its unit, in the reader's number format; "no data" for None."""
    if value is None:
        return _("no data")
    if unit == "percent":
        return f"{number_format(value * 100, 1)} %"
    if unit == "count":
        return number_format(round(value), 0, force_grouping=True)
    return number_format(value, 2, force_grouping=True)


@register.filter
def change(pair: Any, unit: str = "count") -> str:
    """The change from the previous value to this one (points for percentages); "" if none."""
    now, before = pair
    if now is None or before is None:
        return ""
    delta = now - before
    sign = "+" if delta >= 0 else MINUS
    if unit == "percent":
        text = number_format(abs(delta) * 100, 1)
        return f"{sign}{text} " + _("points")
    if unit == "count":
        return sign + number_format(abs(round(delta)), 0, force_grouping=True)
    return sign + number_format(abs(delta), 2)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or None."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.simple_tag
def units_rows(unit_cells: Sequence[tuple[Any, Sequence[Any]]], period: Any) -> SafeString:
    """The units table's rows (`unitmap.table`): each unit's link to its dashboard, its
    figures, the red ones marked, and "assign now" where the reader may.

    Written here rather than as template loops: the city has some 200 units below it with
    seven figures each, and the template engine's nodes, lookups and filters took about 100
    ms of the city's page for them (measured). Every text is escaped (`escape`).
    """
    span = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    assign = reverse("indicators:assign")
    worse = escape(_("worse than the previous period:"))
    assign_word = escape(_("Assign now"))
    out = []
    for child, cells in unit_cells:
        unit = escape(child.code)
        link = escape("?" + urlencode({"unit": child.code, **span}))
        out.append(f'<tr data-unit="{unit}"><th scope="row"><a href="{link}">'
                   f"{escape(child.name)}</a></th>")
        for cell in cells:
            code = escape(cell.indicator.code)
            if cell.red:
                out.append(f'<td class="num cell-worse" data-testid="red-{unit}-{code}">')
            else:
                out.append('<td class="num">')
            if cell.figure.value is None:
                out.append('<span class="muted">—</span>')
            else:
                if cell.red:
                    out.append(f'<span class="visually-hidden">{worse} </span>▼ ')
                out.append(escape(shown(cell.figure.value, cell.indicator.unit)))
            if cell.assign:
                query = escape(urlencode({"indicator": cell.indicator.code,
                                          "unit": child.code, **span}))
                out.append(f'<br><a class="cell-assign" data-testid="assign-{unit}-{code}" '
                           f'href="{assign}?{query}">{assign_word}</a>')
            out.append("</td>")
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 (every text above is escaped)
