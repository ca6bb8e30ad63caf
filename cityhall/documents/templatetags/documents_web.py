"""Template filters of the documents' pages: states and actions in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise

from cityhall.documents import states

register = template.Library()


@register.filter
def state_label(state: str) -> str | Promise:
    return states.state_label(state)


@register.filter
def action_label(action: str) -> str | Promise:
    return states.action_label(action)
