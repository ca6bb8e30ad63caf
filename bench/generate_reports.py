"""Bulk-generate stored reports for benchmarks: COPY into PostgreSQL, no workflow run per row.

Usage: DATABASE_URL=postgres://... DEBUG=1 .venv/bin/python bench/generate_reports.py 10000
(the database must be migrated and hold the units, workflows and categories; see
bench/open311_load.py, which does all of that). Rows are what the services would have
written: a `Report` with its workflow fields (state, assignee, deadlines, sweep plan,
closed/resolved facts), its `Transition` history and, for named reporters, a
`ReportContact`. They are told apart by their code, `BENCH-YYMMDD-<id>`, and by the
bench officers (`bench.officer.<unit code>`) they are assigned to. Audit entries and
notices are not written (nothing the Open311 reads look at); the private token hash is
the real HMAC of the salt under this process's SECRET_KEY.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import math
import operator
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if TYPE_CHECKING:
    from cityhall.workflow.spec import Spec

CODE_PREFIX = "BENCH-"
OFFICER_PREFIX = "bench.officer."
CASE_TYPE = "reports.report"
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
#: Share of reports received in the last 90 days (the rest spread over the 640 days before).
RECENT_SHARE = 0.2
CHUNK = 50_000

_DESCRIPTIONS = {
    "hanh-chinh-cong": "Hồ sơ nộp tại bộ phận một cửa đã quá hạn {n} ngày mà chưa có kết quả.",
    "ngap-ha-tang": "Đường ngập sâu khoảng {n} cm sau cơn mưa chiều, xe máy chết máy nhiều.",
    "tieng-on": "Quán karaoke mở loa lớn đến {n} giờ khuya, ảnh hưởng cả hẻm.",
    "xe-buyt": "Xe buýt tuyến {n} không dừng đón khách tại trạm, tài xế chạy ẩu.",
    "moi-truong-rac": "Rác tồn đọng {n} ngày chưa được thu gom, bốc mùi hôi.",
    "xay-dung-trai-phep": "Công trình xây thêm tầng {n} không có giấy phép, lấn hẻm.",
    "giao-thong-via-he": "Vỉa hè bị chiếm dụng để bán hàng, người đi bộ phải xuống lòng đường "
                         "({n} m).",
    "cap-dien": "Mất điện {n} giờ liên tục không báo trước.",
    "cap-nuoc": "Nước sinh hoạt yếu, đục từ {n} ngày nay.",
    "an-ninh-trat-tu": "Nhóm thanh niên tụ tập đua xe lúc {n} giờ đêm.",
}
_DEFAULT_DESCRIPTION = "Doanh nghiệp gặp vướng mắc cần được hướng dẫn giải quyết (lần {n})."
_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi"]
_GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thị Hoa", "Thanh Hải", "Ngọc Lan",
          "Hữu Phước", "Thị Thu", "Gia Bảo"]
_CHANNELS = (["web"] * 40 + ["app"] * 25 + ["hotline"] * 20 + ["email"] * 5 + ["open311"] * 7
             + ["neighbourhood_head"] * 3)
_REPLY = "Đơn vị đã kiểm tra và xử lý xong nội dung phản ánh. Cảm ơn người dân đã phản ánh."
_REJECT_REASONS = ["not_in_remit", "not_a_public_matter", "insufficient_information",
                   "handled_elsewhere"]


@dataclass
class World:
    """What rows refer to: units, categories, officers, the workflow, the demo business."""

    wards: list[Any]
    weights: list[float]
    categories: list[Any]
    category_weights: list[float]
    departments: dict[str, Any]
    officers: dict[int, int]
    workflow_id: int
    spec: Spec
    business: Any
    reasons: dict[tuple[int, int], tuple[int, str, str]]


def _states_for(age_days: float, rng: random.Random) -> str:
    """A state that fits the report's age (recent ones are open, old ones closed)."""
    r = rng.random()
    if age_days < 1:
        return "received" if r < 0.7 else "assigned"
    if age_days < 7:
        table = [(0.10, "received"), (0.30, "assigned"), (0.65, "in_progress"),
                 (0.95, "resolved"), (0.98, "rejected"), (1.0, "merged")]
    elif age_days < 30:
        table = [(0.02, "assigned"), (0.17, "in_progress"), (0.27, "resolved"),
                 (0.89, "closed"), (0.96, "rejected"), (1.0, "merged")]
    else:
        table = [(0.02, "in_progress"), (0.90, "closed"), (0.96, "rejected"), (1.0, "merged")]
    return next(state for limit, state in table if r < limit)


def _attribute_values(category: Any, rng: random.Random, created: dt.datetime) -> dict[str, Any]:
    """Valid values for the category's required extra fields (and some optional ones)."""
    values: dict[str, Any] = {}
    for spec in category.attribute_specs():
        if not spec.get("required") and rng.random() < 0.7:
            continue
        kind = spec["datatype"]
        keys = [str(v["key"]) for v in spec.get("values", [])]
        if kind == "singlevaluelist" and keys:
            values[spec["code"]] = rng.choice(keys)
        elif kind == "multivaluelist" and keys:
            values[spec["code"]] = rng.sample(keys, k=min(len(keys), rng.randint(1, 2)))
        elif kind == "number":
            values[spec["code"]] = rng.randint(1, 80)
        elif kind == "datetime":
            values[spec["code"]] = (created - HOUR).isoformat()
        else:
            values[spec["code"]] = f"{rng.randint(1, 150)}"
    return values


def load_world() -> World:
    """Read the registry and catalogue; create a bench officer in every handling unit."""
    from django.conf import settings
    from django.utils import translation

    from cityhall.accounts.models import Membership, Role, User, UserKind
    from cityhall.orgunits.models import Unit
    from cityhall.reports.models import COMMUNE, Category
    from cityhall.workflow import definitions

    wards = list(Unit.objects.active_on().commune_level()
                 .filter(latitude__isnull=False, longitude__isnull=False)
                 .defer("boundary").order_by("code"))
    if len(wards) < 100:
        raise SystemExit("load the unit registry first (cityhall load_units)")
    # Busier where people live: weigh a ward by its area's square root (dense wards are
    # small, large communes are sparse), so no unit is empty and none takes most.
    weights = [math.sqrt(u.area_km2 or 5.0) ** 0.5 for u in wards]
    categories = list(Category.objects.active().order_by("order", "code"))
    if not categories:
        raise SystemExit("load the categories first (cityhall load_categories)")
    # Residents' categories take the bulk of 1022's volume.
    category_weights = [1.0 if c.audience != "enterprise" else 0.15 for c in categories]
    codes = {c.handler for c in categories if c.handler != COMMUNE}
    departments = {u.code: u for u in Unit.objects.active_on().filter(code__in=codes)}
    missing = codes - set(departments)
    if missing:
        raise SystemExit(f"departments missing from the registry: {sorted(missing)}")
    handling = [*wards, *departments.values()]
    existing = dict(User.objects.filter(username__startswith=OFFICER_PREFIX)
                    .values_list("username", "pk"))
    new_users = [User(username=f"{OFFICER_PREFIX}{u.code}", kind=UserKind.STAFF,
                      full_name=f"Chuyên viên {u.short_name or u.name}", password="!",
                      email=f"officer.{u.code}@bench.invalid")
                 for u in handling if f"{OFFICER_PREFIX}{u.code}" not in existing]
    if new_users:
        User.objects.bulk_create(new_users)
        existing = dict(User.objects.filter(username__startswith=OFFICER_PREFIX)
                        .values_list("username", "pk"))
        by_code = {u.code: u for u in handling}
        Membership.objects.bulk_create([
            Membership(user_id=existing[f"{OFFICER_PREFIX}{code}"], unit=by_code[code],
                       role=Role.OFFICER, title="Chuyên viên", valid_from=dt.date(2020, 1, 1))
            for code in (u.username.removeprefix(OFFICER_PREFIX) for u in new_users)
        ])
    officers = {u.pk: existing[f"{OFFICER_PREFIX}{u.code}"] for u in handling}
    workflow_id = definitions.latest_id("report")
    spec = definitions.spec_of(workflow_id)
    business = User.objects.filter(username="business").first()
    if business is None or not business.tax_code:
        raise SystemExit("load the demo accounts first (cityhall load_demo)")
    # Routing reasons in the site's language, as the intake service stores them.
    reasons: dict[tuple[int, int], tuple[int, str, str]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        from django.utils.translation import gettext as _

        for category in categories:
            for ward in wards:
                place = _("%(unit)s: the point lies within its boundary.") % {"unit": ward.name}
                if category.handler == COMMUNE:
                    reasons[category.pk, ward.pk] = (ward.pk, "point_in_polygon", place)
                    continue
                dept = departments[category.handler]
                why = _("%(unit)s handles '%(category)s' for the whole city.") % {
                    "unit": dept.name, "category": category.name}
                why += " " + _("The place lies in %(unit)s.") % {"unit": ward.name}
                reasons[category.pk, ward.pk] = (dept.pk, "point_in_polygon", why)
    return World(wards, weights, categories, category_weights, departments, officers,
                 workflow_id, spec, business, reasons)


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _reserve_ids(cursor: Any, table: str, count: int) -> int:
    """Take `count` consecutive ids from the table's sequence; return the first."""
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [sequence])
    first = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return int(first)


def generate(count: int, *, seed: int = 4, now: dt.datetime | None = None,
             progress: bool = True) -> dict[str, int]:
    """Insert `count` reports (with history and contacts) spread over the last two years."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from cityhall.reports.models import Report, ReportContact
    from cityhall.workflow import engine
    from cityhall.workflow.calendar_data import current_calendar
    from cityhall.workflow.models import Transition

    if connection.vendor != "postgresql":
        raise SystemExit("the bulk generator writes with COPY: PostgreSQL only")
    now = now or timezone.now()
    world = load_world()
    cal = current_calendar()
    # Seeded by what is there already, so that a second call does not repeat the first.
    rng = random.Random(f"{seed}:{Report.objects.count()}")
    secret = settings.SECRET_KEY.encode()
    report_cols = _columns(Report)
    contact_cols = [c for c in _columns(ReportContact) if c != "id"]
    step_cols = [c for c in _columns(Transition) if c != "id"]
    report_row = operator.itemgetter(*report_cols)
    contact_row = operator.itemgetter(*contact_cols)
    step_row = operator.itemgetter(*step_cols)

    @lru_cache(maxsize=200_000)
    def add_days(start: dt.datetime, days: int) -> dt.datetime:
        return cal.add_working_days(start, days)

    auto = world.spec.escalation.auto_close
    assert auto is not None, "the report workflow closes resolved reports by itself"
    auto_days = auto.after_working_days
    state_deadline = world.spec.states["received"].deadline
    received_days = int(state_deadline.amount) \
        if state_deadline is not None and state_deadline.unit == "working_days" else 0
    last_of_category: dict[int, int] = {}
    totals = {"reports": 0, "transitions": 0, "contacts": 0}
    began = time.perf_counter()
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        reports: list[tuple[Any, ...]] = []
        contacts: list[tuple[Any, ...]] = []
        steps: list[tuple[Any, ...]] = []
        with transaction.atomic(), connection.cursor() as cur:
            first_id = _reserve_ids(cur, Report._meta.db_table, size)
            wards = rng.choices(world.wards, weights=world.weights, k=size)
            cats = rng.choices(world.categories, weights=world.category_weights, k=size)
            for i in range(size):
                pk = first_id + i
                ward, category = wards[i], cats[i]
                recent = rng.random() < RECENT_SHARE
                age = rng.uniform(0, 90) if recent else rng.uniform(90, 730)
                # Whole seconds, as a client's clock would give; stay a minute before now.
                created = (now - dt.timedelta(days=age) - dt.timedelta(minutes=1)).replace(
                    microsecond=0)
                state = _states_for(age, rng)
                unit_id, method, reason = world.reasons[category.pk, ward.pk]
                officer = world.officers[unit_id]
                spread = math.sqrt(ward.area_km2 or 4.0) / 4 / 111.0
                lat = round(ward.latitude + rng.gauss(0, spread), 6)
                lon = round(ward.longitude + rng.gauss(0, spread), 6)
                enterprise = category.audience == "enterprise"
                channel = "web" if enterprise else rng.choice(_CHANNELS)
                anonymous = (not enterprise and channel in ("web", "app")
                             and category.anonymous_allowed and rng.random() < 0.35)
                due = add_days(created, category.deadline_days)
                salt = secrets.token_hex(16)
                token = hmac.new(secret, f"report:{salt}".encode(), hashlib.sha256
                                 ).hexdigest()[:40]
                if state == "merged" and category.pk not in last_of_category:
                    state = "rejected"
                # The history up to the current state, each step after the one before.
                times = [created]
                path = ["start"]
                if state not in ("received", "rejected", "merged"):
                    path.append("assign")
                    times.append(created + dt.timedelta(minutes=rng.randint(20, 600)))
                if state in ("in_progress", "resolved", "closed"):
                    path.append("start_work")
                    times.append(times[-1] + dt.timedelta(minutes=rng.randint(30, 1440)))
                if state in ("resolved", "closed"):
                    path.append("resolve")
                    days_used = rng.uniform(0.2, category.deadline_days * 1.6)
                    times.append(times[-1] + dt.timedelta(days=days_used))
                if state == "closed":
                    rated = rng.random() < 0.45
                    path.append("rate" if rated else "close_unrated")
                    times.append(times[-1] + (dt.timedelta(hours=rng.randint(1, 72)) if rated
                                              else dt.timedelta(days=7)))
                if state in ("rejected", "merged"):
                    path.append("reject" if state == "rejected" else "merge")
                    times.append(created + dt.timedelta(hours=rng.randint(2, 40)))
                limit = now - dt.timedelta(seconds=30)
                for k in range(1, len(times)):
                    times[k] = min(max(times[k], times[k - 1]), limit)
                changed = times[-1]
                resolved_at = times[path.index("resolve")] if "resolve" in path else None
                closed_at = changed if state in ("closed", "rejected", "merged") else None
                assignee = officer if "assign" in path else None
                state_due = add_days(created, received_days) if state == "received" else None
                stage, next_at, level = engine.NOTHING, None, 0
                if state in ("received", "assigned", "in_progress"):
                    case = SimpleNamespace(closed_at=None, clock_paused_at=None,
                                           state_due_at=state_due, due_at=due, state=state,
                                           state_entered_at=changed)
                    stage, next_at = engine.next_rule(case, world.spec, cal)
                    # The sweep would have reminded and escalated already: plan what is next.
                    while next_at is not None and next_at <= now and stage < engine.NOTHING:
                        if stage == engine.OVERDUE:
                            level = 1
                        stage, next_at = engine.next_rule(case, world.spec, cal, stage + 1)
                elif state == "resolved" and resolved_at is not None:
                    stage, next_at = engine.AUTO_CLOSE, add_days(resolved_at, auto_days)
                rating = None
                if path[-1] == "rate":
                    rating = rng.choices([1, 2, 3, 4, 5], weights=[5, 5, 15, 35, 40])[0]
                handling = (int(cal.working_time_between(created, resolved_at).total_seconds())
                            if resolved_at is not None else None)
                duplicate = last_of_category.get(category.pk) if state == "merged" else None
                last_of_category[category.pk] = pk
                replied = resolved_at if resolved_at is not None else (
                    changed if state == "rejected" else None)
                row = {
                    "id": pk, "unit_id": unit_id, "workflow_id": world.workflow_id,
                    "state": state, "assignee_id": assignee, "started_at": created,
                    "state_entered_at": changed, "due_at": due, "state_due_at": state_due,
                    "clock_paused_at": None, "clock_remaining_seconds": None,
                    "closed_at": closed_at, "sweep_stage": stage, "next_sweep_at": next_at,
                    "escalation_level": level, "steps": len(path),
                    "code": f"{CODE_PREFIX}{timezone.localtime(created):%y%m%d}-{pk}",
                    "category_id": category.pk,
                    "description": _DESCRIPTIONS.get(category.code, _DEFAULT_DESCRIPTION)
                    .format(n=rng.randint(2, 99)),
                    "latitude": lat, "longitude": lon, "address": "",
                    "place_unit_id": ward.pk, "routing_method": method,
                    "routing_reason": reason, "channel": channel,
                    "routing_reasons": json.dumps({"vi": reason}, ensure_ascii=False),
                    "reporter_id": world.business.pk if enterprise else None,
                    "filed_by_id": None, "api_key_id": None, "anonymous": anonymous,
                    "private_token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "token_salt": salt,
                    "attribute_values": json.dumps(_attribute_values(category, rng, created),
                                                   ensure_ascii=False),
                    "media_urls": "[]",
                    "tax_code": world.business.tax_code if enterprise else "",
                    "business_name": world.business.business_name if enterprise else "",
                    "public_reply": _REPLY if resolved_at is not None or state == "rejected"
                    else "",
                    "replied_at": replied,
                    "responsible_pointer": "Công an Thành phố" if state == "rejected" else "",
                    "duplicate_of_id": duplicate, "rating": rating,
                    "rating_comment": "", "rated_at": changed if rating else None,
                    "resolved_at": resolved_at,
                    "resolved_due_at": due if resolved_at is not None else None,
                    "handling_seconds": handling, "is_public": rng.random() > 0.02,
                    "idempotency_scope": "", "idempotency_key": "",
                    "created_at": created, "updated_at": changed,
                }
                reports.append(report_row(row))
                if not anonymous and not enterprise:
                    name = f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"
                    phone = f"09{rng.randint(0, 99_999_999):08d}"
                    contacts.append(contact_row({
                        "report_id": pk, "name": name, "phone": phone,
                        "email": f"nguoidan{pk}@example.org" if rng.random() < 0.3 else "",
                        "device_id": "", "account_id": "",
                    }))
                before = None
                for seq, (action, at) in enumerate(zip(path, times, strict=True), start=1):
                    to_state = {"start": "received", "assign": "assigned",
                                "start_work": "in_progress", "resolve": "resolved",
                                "rate": "closed", "close_unrated": "closed",
                                "reject": "rejected", "merge": "merged"}[action]
                    staff = action not in ("start", "rate", "close_unrated")
                    after = assignee if seq > 1 and assignee else None
                    steps.append(step_row({
                        "case_type": CASE_TYPE, "case_id": pk, "workflow_id": world.workflow_id,
                        "seq": seq, "action": action,
                        "from_state": "" if seq == 1 else before, "to_state": to_state,
                        "actor_id": officer if staff else None,
                        "actor_label": f"user:{officer}" if staff else "system:bench",
                        "at": at,
                        "comment": reason if action == "start" else (
                            _REPLY if action in ("resolve", "reject") else (
                                "Trùng nội dung với phản ánh trước" if action == "merge"
                                else "")),
                        "reason": rng.choice(_REJECT_REASONS) if action == "reject" else "",
                        "attachments": "[]",
                        "assignee_before_id": assignee if seq > 2 and assignee else None,
                        "assignee_id": after, "due_at": due, "remaining_seconds": None,
                        "idempotency_key": "", "unit_id": unit_id,
                    }))
                    before = to_state
            _copy(cur, Report._meta.db_table, report_cols, reports)
            _copy(cur, ReportContact._meta.db_table, contact_cols, contacts)
            _copy(cur, Transition._meta.db_table, step_cols, steps)
        done += size
        totals["reports"] += len(reports)
        totals["contacts"] += len(contacts)
        totals["transitions"] += len(steps)
        if progress:
            rate = done / (time.perf_counter() - began)
            print(f"  generated {done:,}/{count:,} reports ({rate:,.0f}/s)", flush=True)
    return totals


def _copy(cursor: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into a table through psycopg 3's copy protocol."""
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def vacuum_analyze() -> None:
    """VACUUM ANALYZE the tables the generator wrote (outside any transaction)."""
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("reports_report", "reports_reportcontact", "workflow_transition"):
            cur.execute(f'VACUUM ANALYZE "{table}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="how many reports to add")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityhall.settings")
    import django

    django.setup()
    began = time.perf_counter()
    totals = generate(args.count, seed=args.seed)
    made = time.perf_counter() - began
    vacuum_analyze()
    print(f"{totals['reports']:,} reports, {totals['transitions']:,} transitions, "
          f"{totals['contacts']:,} contacts in {made:.1f} s; VACUUM ANALYZE "
          f"{time.perf_counter() - began - made:.1f} s")


if __name__ == "__main__":
    main()
