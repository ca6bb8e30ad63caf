"""What the reports API takes and gives: the request and response schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from cityhall.core.api import (
    MAX_PAGE,
    Input,
    text,
)
from cityhall.reports.models import MAX_DESCRIPTION
from cityhall.reports.services.intake import MAX_MEDIA_URLS
from cityhall.reports.services.moderation import MAX_REASON

#: What the `token` fields say (the reporter's private link).
FOLLOW_HELP = "The private follow token (also accepted as the `X-Report-Token` header)."

#: Free text: a description, a reply, a comment (the services keep at most this many).
Text = Annotated[str, text(MAX_DESCRIPTION)]
#: A follow token, as the reporter was given it.
Token = Annotated[str, text(100)]
#: Free text that must say something (the service refuses it blank).
Said = Annotated[str, text(MAX_DESCRIPTION, blank=False)]
#: A username.
Username = Annotated[str, text(150)]
#: A report's or a unit's code.
Ref = Annotated[str, text(32)]
#: A code of a category, a reason, an extra field.
Key = Annotated[str, text(64)]
#: An extra field's value: text, a number, a yes/no, a date and time (as text), the keys of
#: the values chosen from a list. Which one a field takes is the category's (Open311's
#: attribute datatypes); the service checks it. Whole numbers are bounded to those a float
#: holds exactly: the service reads numbers as floats (a 400-digit integer overflowed).
AttributeValue = (Annotated[str, text(MAX_DESCRIPTION)] | bool
                  | Annotated[int, Field(ge=-(2**53), le=2**53)] | float
                  | Annotated[list[Key], Field(max_length=100)] | None)


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


def keys_as_property_names(schema: dict[str, Any]) -> None:
    """Say a mapping's key constraints as JSON Schema means them: pydantic writes a key's
    pattern as `patternProperties`, which leaves other keys free, where `propertyNames` binds
    every key."""
    patterns = schema.pop("patternProperties", {})
    for pattern, values in patterns.items():
        schema["additionalProperties"] = values
        schema.setdefault("propertyNames", {})["pattern"] = pattern


class ContactIn(Input):
    name: Annotated[str, text(200)] = ""
    phone: Annotated[str, text(32)] = ""
    email: Annotated[str, text(254)] = ""
    device_id: Annotated[str, text(200)] = ""
    account_id: Annotated[str, text(200)] = ""


class ReportIn(Input):
    category: Key
    description: Said
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    address: Annotated[str, text(500)] = ""
    channel: Literal["web", "app", "hotline", "email", "neighbourhood_head"] = "app"
    contact: ContactIn | None = None
    attributes: dict[Key, AttributeValue] = Field(
        {}, max_length=100, description="The category's extra fields, by code.",
        json_schema_extra=keys_as_property_names)
    media_urls: list[Annotated[str, text(2000)]] = Field(
        [], max_length=MAX_MEDIA_URLS, description="Links (http or https) to photos or videos.")
    anonymous: bool = False
    on_behalf_of: Username | None = Field(None, description="A resident's username.")


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


class AssignIn(Input):
    assignee: Username = Field(..., description="Username of the member of staff.")
    comment: Text = ""


class BulkAssignIn(AssignIn):
    codes: list[Ref] = Field(..., min_length=1, max_length=MAX_PAGE)


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


class ActIn(Input):
    action: Literal["take", "start_work", "transfer", "reject"]
    comment: Text = Field("", description="Transfer: the reason. Reject: the reply.")
    reason: Key = Field("", description="Reject: the reason code.")
    to_unit: Ref | None = Field(None, description="Transfer: the unit's code.")
    responsible: Annotated[str, text(1000)] = Field(
        "", description="Reject: who is responsible.")


class ReplyIn(Input):
    reply: Said


class MergeIn(Input):
    into: Ref = Field(..., description="Code of the earlier report.")
    comment: Text = ""


class Figures(Schema):
    received: int
    resolved: int
    resolved_on_time: int
    on_time_rate: float | None
    average_working_days: float | None
    rated: int = Field(..., description="Answers the reporters rated.")
    average_rating: float | None = Field(
        ..., description="The reporters' mean rating of the answers, 1 (bad) to 5 (good): the "
        "satisfaction; null when none was rated.")


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


class RateIn(Input):
    rating: int = Field(..., ge=1, le=5, description="1 (bad) to 5 (good).")
    comment: Annotated[str, text(1000)] = ""
    token: Token = Field("", description=FOLLOW_HELP)


class ReopenIn(Input):
    reason: Said = Field(..., description="Why the problem remains.")
    token: Token = Field("", description=FOLLOW_HELP)


class PhotosOut(Schema):
    added: int
    photos: list[PhotoOut]


class HideIn(Input):
    reason: Annotated[str, text(MAX_REASON, blank=False)] = Field(
        ..., description="Why the report is taken off.")


class PublishIn(Input):
    reason: Annotated[str, text(MAX_REASON)] = ""
