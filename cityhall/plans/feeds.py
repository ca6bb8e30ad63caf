"""Calendar feeds: the secret addresses, who gets which, and the deadlines each one serves."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from cityhall.accounts.models import Membership, Role
from cityhall.core import audit
from cityhall.core.scoping import scope_of
from cityhall.plans.audit_actions import PlanAudit
from cityhall.plans.ical import Deadline, calendar
from cityhall.plans.models import CalendarFeed, Task
from cityhall.workflow.calendar_data import current_calendar

_SALT = "cityhall.plans.calendar-feed"
#: Deadlines a feed shows: from this many days ago to this many ahead.
PAST_DAYS, AHEAD_DAYS = 180, 400
STAFF_ROLES = [Role.LEADER, Role.OFFICER, Role.CLERK, Role.ADMIN]


def token_of(feed: CalendarFeed) -> str:
    """The secret part of the feed's address."""
    digest = salted_hmac(_SALT, f"{feed.pk}:{feed.nonce}", algorithm="sha256").hexdigest()
    return f"{feed.pk}-{digest[:40]}"


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed a token names, if the token is its current one and its owner is active."""
    pk, _, _digest = token.partition("-")
    if not pk.isdigit() or len(pk) > 18:
        return None
    feed = (CalendarFeed.objects.select_related("owner", "unit")
            .filter(pk=int(pk), owner__is_active=True).first())
    if feed is None or not constant_time_compare(token_of(feed), token):
        return None
    return feed


def ensure_feeds(*, actor: audit.Actor, user: Any) -> list[CalendarFeed]:
    """The user's feeds, made when missing: their own, and one per unit they work in."""
    units = [m.unit for m in Membership.objects.active_on().filter(
        user=user, role__in=STAFF_ROLES).select_related("unit").order_by("pk")]
    have = {f.unit_id: f for f in CalendarFeed.objects.filter(owner=user).select_related("unit")}
    wanted = [None, *units]
    with transaction.atomic():
        for unit in wanted:
            key = unit.pk if unit is not None else None
            if key in have:
                continue
            feed = CalendarFeed.objects.create(owner=user, unit=unit,
                                               nonce=secrets.token_hex(16))
            audit.record(actor=actor, action=PlanAudit.FEED_CREATE, obj=feed,
                         unit=unit, changes={"owner": user.pk,
                                             "unit": unit.code if unit else None})
            have[key] = feed
    return [have[u.pk if u is not None else None] for u in wanted]


def renew_feed(*, actor: audit.Actor, feed: CalendarFeed) -> CalendarFeed:
    """Give the feed a new address; the old one stops answering at once."""
    with transaction.atomic():
        feed.nonce = secrets.token_hex(16)
        feed.save(update_fields=["nonce"])
        audit.record(actor=actor, action=PlanAudit.FEED_RENEW, obj=feed, unit=feed.unit,
                     changes={"owner": feed.owner_id})
    return feed


def feed_url(feed: CalendarFeed) -> str:
    """The feed's path (the API makes it absolute)."""
    return reverse("plans:calendar", args=[token_of(feed)])


def feed_text(feed: CalendarFeed, *, base: str = "",
              today: dt.date | None = None) -> str | None:
    """The feed's iCalendar text; None when its owner may no longer see its unit.

    `base` ("https://host") makes each event link to its plan's chart.
    """
    today = today or timezone.localdate()
    tasks = Task.objects.filter(cancelled=False, due__gte=today - dt.timedelta(days=PAST_DAYS),
                                due__lte=today + dt.timedelta(days=AHEAD_DAYS))
    if feed.unit is None:
        tasks = tasks.filter(person_in_charge=feed.owner)
        name = _("Deadlines of %(name)s") % {"name": feed.owner.display_name}
    else:
        if not scope_of(feed.owner).covers(feed.unit):
            return None
        tasks = tasks.filter(lead_unit=feed.unit)
        name = _("Deadlines of %(name)s") % {"name": feed.unit.name}
    closing = current_calendar().periods[-1][1]
    rows = tasks.select_related("lead_unit", "plan").order_by("due", "pk")
    return calendar(name, (
        Deadline(uid=f"task-{t.pk}@cityhall", title=t.title, due=t.due, at=closing,
                 description=" · ".join(filter(None, [t.lead_unit.name,
                                                      t.plan.title if t.plan else ""])),
                 url=(base + reverse("plans:chart", args=[t.plan_id])
                      if t.plan_id and base else ""),
                 done=t.done_on is not None)
        for t in rows), stamp=timezone.now())
