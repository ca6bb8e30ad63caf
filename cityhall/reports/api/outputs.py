"""Reports as the API shows them to staff, to the public and to their reporter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cityhall.reports import policy
from cityhall.reports.models import Report, ReportPhoto
from cityhall.reports.states import REPORTER_NOTE_ACTIONS
from cityhall.workflow import engine
from cityhall.workflow.models import Transition


def item_out(report: Report, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": report.pk, "code": report.code, "category": report.category.code,
        "category_name": report.category.name, "state": report.state,
        "unit_code": report.unit.code, "unit_name": report.unit.name,
        "assignee": report.assignee.username if report.assignee else None,
        "channel": report.channel, "address": report.address, "latitude": report.latitude,
        "longitude": report.longitude, "created_at": report.created_at, "due_at": report.due_at,
        "overdue": report.is_overdue(now),
    }


def _step_actor(step: Transition, report: Report) -> str:
    """Who took a step: the reporter by role only (their username is personal data)."""
    return "reporter" if policy.taken_by_reporter(step, report) else step.actor_label


def detail_out(report: Report, user: Any) -> dict[str, Any]:
    steps = engine.history(report)
    return {
        **item_out(report, timezone.now()),
        "description": report.description, "routing_method": report.routing_method,
        "routing_reason": report.routing_reason_for_reader,
        "place_unit_code": report.place_unit.code if report.place_unit else None,
        "anonymous": report.anonymous, "attributes": report.attribute_values,
        "media_urls": report.media_urls, "public_reply": report.public_reply,
        "replied_at": report.replied_at, "responsible_pointer": report.responsible_pointer,
        "duplicate_of": report.duplicate_of.code if report.duplicate_of else None,
        "rating": report.rating, "resolved_at": report.resolved_at,
        "tax_code": report.tax_code, "business_name": report.business_name,
        "photos": [photo_out(p) for p in report.photos.all()],
        "history": [{"seq": s.seq, "action": s.action, "from_state": s.from_state,
                     "to_state": s.to_state, "actor": _step_actor(s, report), "at": s.at,
                     "comment": s.comment, "reason": s.reason} for s in steps],
        "actions": engine.available_actions(report, user),
        "is_public": report.is_public,
    }


def public_item_out(report: Report, now: dt.datetime) -> dict[str, Any]:
    return {
        "code": report.code, "category": report.category.code,
        "category_name": report.category.name, "category_name_en": report.category.name_en,
        "state": report.state, "unit_code": report.unit.code, "unit_name": report.unit.name,
        "description": report.description, "address": report.address,
        "latitude": report.latitude, "longitude": report.longitude,
        "created_at": report.created_at, "due_at": report.due_at,
        "overdue": report.is_overdue(now),
        "public_reply": report.public_reply, "replied_at": report.replied_at,
        "resolved_at": report.resolved_at,
    }


def photo_out(photo: ReportPhoto, token: str = "") -> dict[str, Any]:
    return {"url": photo.get_absolute_url(token), "kind": photo.kind,
            "content_type": photo.content_type, "width": photo.width, "height": photo.height}


def follow_out(report: Report, token: str) -> dict[str, Any]:
    """What the reporter sees: state, deadline, public history, the reply; no staff data."""
    now = timezone.now()
    photos_until = report.photos_until()
    steps = Transition.objects.for_case(report).order_by("seq").only(
        "seq", "action", "to_state", "at", "comment")
    return {
        **public_item_out(report, now),
        "routing_reason": report.routing_reason_for_reader, "attributes": report.attribute_values,
        "anonymous": report.anonymous, "shown_publicly": report.is_public,
        "responsible_pointer": report.responsible_pointer,
        "duplicate_of": report.duplicate_of.code if report.duplicate_of else None,
        "rating": report.rating, "rating_comment": report.rating_comment,
        # The web's photo address checks the token or the reporter's session itself.
        "photos": [photo_out(p, token) for p in report.photos.all()],
        "history": [{"seq": s.seq, "action": s.action, "to_state": s.to_state, "at": s.at,
                     "note": s.comment if s.action in REPORTER_NOTE_ACTIONS else ""}
                    for s in steps],
        "can_rate": report.may_be_rated(),
        "can_reopen": report.may_be_reopened(now),
        "reopen_until": report.reopen_until(),
        "photos_until": photos_until if photos_until and now <= photos_until else None,
    }
