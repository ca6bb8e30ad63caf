"""What the reports API takes and gives: the request and response schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from cityhall.core.api import (
    MAX_PAGE,
)

#: What the `token` fields say (the reporter's private link).
FOLLOW_HELP = "The private follow token (also accepted as the `X-Report-Token` header)."

class ReportItem(Schema):
    id: int
    code: str
    category: str
    category_name: str
    state: str
    unit_code: str
    unit_name: str
    assignee: str | None
    channel: str
    address: str
    latitude: float | None
    longitude: float | None
    created_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool


class StepOut(Schema):
    seq: int
    action: str
    from_state: str
    to_state: str
    actor: str = Field(description=(
        "Who took the step: a member of staff's username, `reporter` for the report's own "
        "reporter (never their name: that is personal data), or a system label."))
    at: dt.datetime
    comment: str
    reason: str


class PhotoOut(Schema):
    url: str
    kind: str
    content_type: str
    width: int
    height: int


class ReportDetail(ReportItem):
    description: str
    routing_method: str
    routing_reason: str
    place_unit_code: str | None
    anonymous: bool
    attributes: dict[str, Any]
    media_urls: list[str]
    public_reply: str
    replied_at: dt.datetime | None
    responsible_pointer: str
    duplicate_of: str | None
    rating: int | None
    resolved_at: dt.datetime | None
    tax_code: str
    business_name: str
    photos: list[PhotoOut]
    history: list[StepOut]
    actions: list[str]
    is_public: bool


class ContactIn(Schema):
    name: str = Field("", max_length=200)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    device_id: str = Field("", max_length=200)
    account_id: str = Field("", max_length=200)


class ReportIn(Schema):
    category: str = Field(..., max_length=64)
    description: str
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=500)
    channel: Literal["web", "app", "hotline", "email", "neighbourhood_head"] = "app"
    contact: ContactIn | None = None
    attributes: dict[str, Any] = {}
    media_urls: list[str] = Field([], max_length=20)
    anonymous: bool = False
    on_behalf_of: str | None = Field(None, max_length=150, description="A resident's username.")


class DuplicateOut(Schema):
    code: str
    state: str
    created_at: dt.datetime


class ReportCreated(Schema):
    code: str
    private_token: str
    state: str
    unit_code: str
    unit_name: str
    routing_reason: str
    due_at: dt.datetime | None
    duplicates: list[DuplicateOut]


class AssignIn(Schema):
    assignee: str = Field(..., max_length=150, description="Username of the member of staff.")
    comment: str = Field("", max_length=4000)


class BulkAssignIn(AssignIn):
    codes: list[str] = Field(..., min_length=1, max_length=MAX_PAGE)


class BulkAssignOut(Schema):
    assigned: list[str] = Field(..., description="Every code asked for: each report is now "
                                "with that member of staff.")
    changed: list[str] = Field(..., description="The reports this request assigned (a step "
                               "in their history, a notice to the assignee).")
    unchanged: list[str] = Field(..., description="The reports that were already with that "
                                 "member of staff in that state: left as they were.")


class AssignOut(ReportDetail):
    changed: bool = Field(..., description="False when the report was already with that "
                          "member of staff in that state: nothing was recorded and nobody was "
                          "told (of identical requests at once, one answers true).")


class ActIn(Schema):
    action: Literal["start_work", "transfer", "reject"]
    comment: str = Field("", max_length=4000,
                         description="Transfer: the reason. Reject: the reply.")
    reason: str = Field("", max_length=64, description="Reject: the reason code.")
    to_unit: str | None = Field(None, max_length=32, description="Transfer: the unit's code.")
    responsible: str = Field("", max_length=1000, description="Reject: who is responsible.")


class ReplyIn(Schema):
    reply: str


class MergeIn(Schema):
    into: str = Field(..., max_length=32, description="Code of the earlier report.")
    comment: str = Field("", max_length=4000)


class Figures(Schema):
    received: int
    resolved: int
    resolved_on_time: int
    on_time_rate: float | None
    average_working_days: float | None


class CategoryFigures(Figures):
    code: str
    name: str
    name_en: str


class UnitFigures(Figures):
    code: str
    name: str


class MonthFigures(Figures):
    month: str


class StatisticsOut(Figures):
    by_category: list[CategoryFigures]
    by_unit: list[UnitFigures]
    by_month: list[MonthFigures]


class PublicItem(Schema):
    """A report as the public sees it: no contact, no reporter, no staff notes."""

    code: str
    category: str
    category_name: str
    category_name_en: str
    state: str
    unit_code: str
    unit_name: str
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    created_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool
    public_reply: str
    replied_at: dt.datetime | None
    resolved_at: dt.datetime | None


class FollowStep(Schema):
    seq: int
    action: str
    to_state: str
    at: dt.datetime
    note: str


class FollowOut(PublicItem):
    """A report as its reporter follows it: the public view plus what they filed."""

    routing_reason: str
    attributes: dict[str, Any]
    anonymous: bool
    shown_publicly: bool
    responsible_pointer: str
    duplicate_of: str | None
    rating: int | None
    rating_comment: str
    photos: list[PhotoOut]
    history: list[FollowStep]
    can_rate: bool
    can_reopen: bool
    reopen_until: dt.datetime | None
    photos_until: dt.datetime | None


class RateIn(Schema):
    rating: int = Field(..., ge=-(2**31), le=2**31, description="1 (bad) to 5 (good).")
    comment: str = Field("", max_length=4000)
    token: str = Field("", max_length=100, description=FOLLOW_HELP)


class ReopenIn(Schema):
    reason: str = Field(..., max_length=4000, description="Why the problem remains.")
    token: str = Field("", max_length=100, description=FOLLOW_HELP)


class PhotosOut(Schema):
    added: int
    photos: list[PhotoOut]


class HideIn(Schema):
    reason: str = Field(..., max_length=4000, description="Why the report is taken off.")


class PublishIn(Schema):
    reason: str = Field("", max_length=4000)
