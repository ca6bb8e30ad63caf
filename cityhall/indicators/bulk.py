"""Bulk demo history, fast: `cityhall demo --requests N --dossiers M --days D`.

The slow path (`history.Simulation`) takes every case through the services. This one writes
the same rows directly, in bulk: residents' requests (`Report`, their `ReportContact` and
their workflow steps), dossiers (`Dossier`, their parts `DossierComponent` and their steps),
the demo officers who handle them, the day counters of the codes, and the daily roll-ups
(`DailyTally`) that those steps count, by the rules of `tallies.py`, so that
`cityhall indicators verify` finds zero differences. On PostgreSQL rows go in with COPY
(psycopg's copy protocol); on SQLite with batched `executemany` (slower).

The load is one transaction: all of it or nothing. Every generated case's start step is
signed `system:demo` (`MARK`): a second load is refused unless it is asked to add
(`add=True`), so a demo is never loaded twice by mistake. What is not written: audit
entries and notices (no one did anything), uploaded files, and the sweep's plans (the
cases carry no `next_sweep_at`: the worker does not remind or escalate demo cases).

The shares follow the published figures (`FIGURES`); how volume splits between the units
is not published, so a unit's share grows with the fourth root of its area (dense inner
wards are small, rural communes large), which keeps every unit busy and none dominant.
"""

from __future__ import annotations

import array
import datetime as dt
import hashlib
import json
import math
import operator
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from cityhall.accounts.models import Membership, Role, User, UserKind
from cityhall.core.audit import SystemActor
from cityhall.dossiers.models import (
    ApplicantKind,
    Channel,
    Dossier,
    DossierComponent,
    DossierCounter,
)
from cityhall.indicators import services, tallies
from cityhall.indicators.tallies import DOSSIER, REPORT, Key, dossier_tallies, report_tallies
from cityhall.orgunits.models import Unit, UnitKind
from cityhall.procedures.models import Level, OnlineLevel, Procedure, ProcedureComponent
from cityhall.reports.models import COMMUNE, Category, Report, ReportContact
from cityhall.reports.services.intake import allocate_codes
from cityhall.workflow import definitions
from cityhall.workflow.calendar_data import current_calendar
from cityhall.workflow.engine.planning import NOTHING
from cityhall.workflow.models import Transition

#: The actor label of every generated case's start step: how a demo load is recognised.
MARK = "system:demo"
ACTOR = SystemActor(MARK)
OFFICER_PREFIX = "demo.officer."
#: Cases per chunk: the rows of one chunk are built in memory, then written.
CHUNK = 20_000
#: Days back within which a request may still be in progress (`Figures.requests_left_open`).
OPEN_WINDOW = 30


@dataclass(frozen=True)
class Figures:
    """The published figures the history follows (../shared/DOMAIN.md), and the assumptions
    where nothing is published (marked so)."""

    #: 1022 portal, Jan-Sep 2025: 97.38 % of requests answered on time.
    requests_on_time: float = 0.9738
    #: 1022, late 2025: 14,311 of about 14,700 a month handled, 396 in progress.
    requests_left_open: float = 0.027
    #: Assumed: reporters who rate an answer, and who reopen it.
    requests_rated: float = 0.45
    requests_reopened: float = 0.04
    #: The top four categories of 1022 (public administration, infrastructure and flooding,
    #: noise, buses) take this weight each, the other residents' categories 1, enterprises'.
    top_category_weight: float = 3.0
    top_categories: tuple[str, ...] = ("hanh-chinh-cong", "ngap-ha-tang", "tieng-on", "xe-buyt")
    enterprise_category_weight: float = 0.15
    #: HCMC, H2 2025: about 2.5 million dossiers, about 1.7 million of them online (68 %).
    dossiers_online: float = 1.7 / 2.5
    #: Assumed (not published for HCMC): results on time, dossiers refused at reception,
    #: the share of the volume at commune level (most dossiers are civil status, residence).
    dossiers_on_time: float = 0.96
    dossiers_refused: float = 0.02
    commune_share: float = 0.8
    #: Assumed: a part that can be replaced by data held is, online / at the counter.
    by_data_online: float = 0.75
    by_data_counter: float = 0.35
    #: Assumed: a paper handed in at the counter (not replaced by data) is scanned there;
    #: online every part is a file or data held. Fees of online dossiers are paid online.
    scanned_counter: float = 0.6


FIGURES = Figures()

#: Which department decides a city-level procedure, by its sector (else the city).
SECTOR_DEPARTMENT = {
    "Đất đai": "79-SNNMT",
    "Thành lập và hoạt động doanh nghiệp": "79-STC",
    "An toàn thực phẩm": "79-SYT",
    "Lý lịch tư pháp": "79-STP",
}
_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ",
           "Hồ", "Ngô", "Dương", "Lý"]
_GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thị Hoa", "Thanh Hải", "Ngọc Lan",
          "Hữu Phước", "Thị Thu", "Gia Bảo", "Minh Khang", "Thị Mai", "Đức Trí", "Kim Ngân"]
_REQUEST_CHANNELS = ["hotline"] * 30 + ["app"] * 30 + ["web"] * 25 + ["email"] * 5 \
    + ["open311"] * 7 + ["neighbourhood_head"] * 3
_REPLY = "Đơn vị đã kiểm tra và xử lý xong nội dung phản ánh. Cảm ơn người dân đã phản ánh."
_DESCRIPTION = "Phản ánh (dữ liệu minh họa): đề nghị cơ quan chức năng kiểm tra, xử lý."


class DemoExists(Exception):
    """A demo history is loaded already (and adding to it was not asked)."""


@dataclass
class Loaded:
    """What a load wrote: rows per table, and how long it took."""

    rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    #: Of which: building the rows in Python, writing them (on PostgreSQL at the same
    #: time as the building, in a thread), adding the roll-ups.
    build_seconds: float = 0.0
    write_seconds: float = 0.0
    tally_seconds: float = 0.0
    #: The indexes and constraints made again after a large load; the COMMIT.
    index_seconds: float = 0.0
    commit_seconds: float = 0.0
    first: dt.date | None = None
    last: dt.date | None = None

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @property
    def per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0


@dataclass
class _World:
    wards: list[Unit]
    ward_weights: list[float]
    categories: list[Category]
    category_weights: list[float]
    handler_of: dict[int, int]          # category pk -> department pk (commune ones absent)
    procedures: list[Procedure]
    procedure_weights: list[float]
    parts: dict[int, list[ProcedureComponent]]
    decider_of: dict[int, int]          # city-level procedure pk -> unit pk
    officers: dict[int, tuple[int, str]]  # unit pk -> demo officer's user pk and username
    agency: dict[int, str]              # unit pk -> code prefix of its dossiers
    report_workflow: int
    dossier_workflow: int
    online_given_capable: float


def _weights_by_area(units: Sequence[Unit]) -> list[float]:
    return [math.sqrt(math.sqrt(u.area_km2 or 5.0)) for u in units]


def _world(figures: Figures) -> _World:
    wards = list(Unit.objects.active_on().commune_level().defer("boundary").order_by("code"))
    if not wards:
        raise ValueError("load the unit registry first (cityhall load_units)")
    categories = list(Category.objects.active().order_by("order", "code"))
    if not categories:
        raise ValueError("load the categories first (cityhall load_categories)")
    procedures = list(Procedure.objects.active().order_by("code"))
    if not procedures:
        raise ValueError("load the procedures first (cityhall load_procedures)")
    departments = {u.code: u for u in Unit.objects.active_on().filter(
        kind=UnitKind.DEPARTMENT).defer("boundary")}
    city = Unit.objects.active_on().filter(kind=UnitKind.PROVINCE).defer("boundary") \
        .order_by("pk").first()
    if city is None:
        raise ValueError("the city unit is not in the registry")
    handler_of = {}
    for c in categories:
        if c.handler != COMMUNE:
            if c.handler not in departments:
                raise ValueError(f"category {c.code}: no department {c.handler}")
            handler_of[c.pk] = departments[c.handler].pk
    category_weights = [
        figures.enterprise_category_weight if c.audience == "enterprise"
        else figures.top_category_weight if c.code in figures.top_categories else 1.0
        for c in categories]
    commune = [p for p in procedures if p.level == Level.COMMUNE]
    city_level = [p for p in procedures if p.level != Level.COMMUNE]
    share = figures.commune_share if commune and city_level else 1.0
    procedure_weights = [
        (share / len(commune) if p.level == Level.COMMUNE else (1 - share) / len(city_level))
        for p in procedures]
    decider_of = {p.pk: (departments[SECTOR_DEPARTMENT[p.sector]].pk
                         if SECTOR_DEPARTMENT.get(p.sector) in departments else city.pk)
                  for p in city_level}
    parts: dict[int, list[ProcedureComponent]] = {p.pk: [] for p in procedures}
    for part in ProcedureComponent.objects.filter(procedure__in=procedures).order_by(
            "procedure", "order", "pk"):
        parts[part.procedure_id].append(part)
    capable = sum(w for p, w in zip(procedures, procedure_weights, strict=True)
                  if p.online != OnlineLevel.NONE) / sum(procedure_weights)
    handling = {u.pk: u for u in [*wards, *departments.values(), city]}
    officers = _officers(list(handling.values()))
    return _World(
        wards=wards, ward_weights=_weights_by_area(wards), categories=categories,
        category_weights=category_weights, handler_of=handler_of, procedures=procedures,
        procedure_weights=procedure_weights, parts=parts, decider_of=decider_of,
        officers=officers, agency={pk: u.electronic_id or u.code for pk, u in handling.items()},
        report_workflow=definitions.latest_id("report"),
        dossier_workflow=definitions.latest_id("dossier"),
        online_given_capable=min(1.0, figures.dossiers_online / capable) if capable else 0.0)


def _officers(units: Sequence[Unit]) -> dict[int, tuple[int, str]]:
    """A demo officer in each unit that handles demo cases (made once)."""
    names = {f"{OFFICER_PREFIX}{u.code}": u for u in units}
    have = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    missing = [name for name in names if name not in have]
    if missing:
        users = [User(username=name, kind=UserKind.STAFF, email=f"{name}@demo.invalid",
                      full_name="Chuyên viên (minh họa) "
                      f"{names[name].short_name or names[name].name}") for name in missing]
        for user in users:
            user.set_unusable_password()  # they never sign in
        User.objects.bulk_create(users)
        have = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        Membership.objects.bulk_create([
            Membership(user_id=have[name], unit=names[name], role=Role.OFFICER,
                       title="Chuyên viên", valid_from=dt.date(2025, 7, 1)) for name in missing])
    return {names[name].pk: (pk, name) for name, pk in have.items()}


# Writing -------------------------------------------------------------------------------
class _Table:
    """A model's table: its columns in order, defaults, and how a row dict becomes a tuple."""

    def __init__(self, model: type[models.Model], *, with_id: bool = True) -> None:
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.name = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.defaults: dict[str, Any] = {}
        for f in fields:
            column = f.column or f.name
            if f.has_default() and not f.primary_key:
                value = f.get_default()
                self.defaults[column] = (json.dumps(value) if isinstance(f, models.JSONField)
                                           else value)
            elif f.null:
                self.defaults[column] = None
            elif not f.primary_key and isinstance(f, models.CharField | models.TextField):
                self.defaults[column] = ""
        self.row = operator.itemgetter(*self.columns)
        self.moments = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
        self.dates = [i for i, f in enumerate(fields) if isinstance(f, models.DateField)
                      and not isinstance(f, models.DateTimeField)]
        self.rows: list[tuple[Any, ...]] = []

    def add(self, values: dict[str, Any]) -> None:
        self.rows.append(self.row(self.defaults | values))

    def take(self) -> list[tuple[Any, ...]]:
        """The rows held, handed over (the table holds none after)."""
        rows, self.rows = self.rows, []
        return rows

    def write(self, cursor: Any, rows: list[tuple[Any, ...]]) -> int:
        """Write `rows` (COPY on PostgreSQL, executemany elsewhere); how many."""
        if not rows:
            return 0
        names = ", ".join(f'"{c}"' for c in self.columns)
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f'COPY "{self.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        ops = connection.ops
        moments, dates = self.moments, self.dates
        if moments or dates:
            def adapt(row: tuple[Any, ...]) -> tuple[Any, ...]:
                out = list(row)
                for i in moments:
                    out[i] = ops.adapt_datetimefield_value(out[i])
                for i in dates:
                    out[i] = ops.adapt_datefield_value(out[i])
                return tuple(out)
            rows = [adapt(r) for r in rows]
        marks = ", ".join(["%s"] * len(self.columns))
        sql = f'INSERT INTO "{self.name}" ({names}) VALUES ({marks})'  # noqa: S608
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start:start + 5000])
        return len(rows)


class _Writer:
    """Writes the chunks handed to it, on PostgreSQL in a thread of its own: while the
    server takes one chunk's COPY, the next chunk is being built (the client and the
    server work at once, on the machine's two cores). Elsewhere it writes as it is handed.
    """

    def __init__(self, cursor: Any, *, threaded: bool) -> None:
        self.cursor = cursor
        self.rows: Counter[str] = Counter()
        self.seconds = 0.0
        self.error: BaseException | None = None
        self.queue: queue.Queue[list[tuple[_Table, list[tuple[Any, ...]]]] | None] = \
            queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        if threaded:
            self.thread = threading.Thread(target=self._run, name="demo-copy", daemon=True)
            self.thread.start()

    def _write(self, chunk: list[tuple[_Table, list[tuple[Any, ...]]]]) -> None:
        began = time.perf_counter()
        for table, rows in chunk:
            self.rows[table.name] += table.write(self.cursor, rows)
        self.seconds += time.perf_counter() - began

    def _run(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.error is None:  # after a failure, take the rest and drop it
                try:
                    self._write(chunk)
                except BaseException as exc:  # handed to the loading thread, raised there
                    self.error = exc

    def put(self, tables: Sequence[_Table]) -> None:
        """Hand over the rows `tables` hold (blocks while the chunk before is written)."""
        if self.error is not None:
            raise self.error
        chunk = [(t, t.take()) for t in tables]
        if self.thread is None:
            self._write(chunk)
        else:
            self.queue.put(chunk)

    def close(self) -> None:
        """Wait for what is handed over to be written; raise what the writing raised."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        if self.error is not None:
            raise self.error


def _reserve_ids(cursor: Any, model: type[models.Model], count: int) -> int:
    """`count` consecutive primary keys for `model`'s new rows; the first."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = int(cursor.fetchone()[0])
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
        return first
    # SQLite: the load's transaction is the only writer; the new rows come after the last.
    cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
    return int(cursor.fetchone()[0]) + 1


class _Deferred:
    """A large load's secondary indexes and constraints, set aside and made again after it.

    Keeping twenty-odd indexes and a deferred foreign-key check per row up to date costs
    PostgreSQL more than the COPY itself (measured: the 1 M load's COMMIT alone took ten
    minutes). When a load brings at least as many cases as the tables hold, the plain
    indexes, the unique constraints no foreign key leans on and the foreign keys of the
    tables it fills are dropped first and made again at the end, in the same transaction:
    an index is then built by one sort, a foreign key checked by one join and a unique
    constraint by the index it builds, so a wrong row still fails the whole load.
    The primary keys stay (other tables' keys point at them; new ids only append), and
    so do the partial and expression indexes (small, and their definitions would not read
    back word for word).
    While the load runs the tables are locked (ACCESS EXCLUSIVE): readers wait for it.
    """

    def __init__(self, cursor: Any, tables: Sequence[str]) -> None:
        self.cursor = cursor
        self.tables = list(tables)
        self.indexes: list[str] = []
        self.constraints: list[tuple[str, str, str, str]] = []  # table, name, kind, definition

    def _settle(self) -> None:
        # A table with foreign-key checks still pending in this transaction (rows written
        # earlier in it, checked at COMMIT) cannot be altered: run those checks now, then
        # defer again (every deferrable constraint here is INITIALLY DEFERRED).
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def drop(self) -> None:
        cursor = self.cursor
        self._settle()
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)"
            "  FROM pg_constraint c"
            " WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')"
            "   AND NOT EXISTS (SELECT 1 FROM pg_constraint r"
            "                    WHERE r.contype = 'f' AND r.conindid = c.conindid"
            "                      AND c.contype = 'u')"
            " ORDER BY c.contype, c.conname", [self.tables])
        self.constraints = list(cursor.fetchall())
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
            "  FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary"
            "   AND i.indpred IS NULL AND i.indexprs IS NULL"
            "   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
            " ORDER BY 1", [self.tables])
        found = cursor.fetchall()
        self.indexes = [definition for _, definition in found]
        for table, name, _, _ in self.constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in found:
            cursor.execute(f"DROP INDEX {name}")

    def restore(self) -> None:
        cursor = self.cursor
        self._settle()
        # One sort per index; the load's transaction is the only one on these tables.
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in self.indexes:
            cursor.execute(definition)
        # Unique constraints first (their index), then the foreign keys (one join each).
        for table, name, _, definition in sorted(self.constraints, key=lambda c: c[2] != "u"):
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _add_tallies(cursor: Any, deltas: Counter[Key]) -> int:
    """Add `deltas` to the roll-ups; how many rows they touch.

    PostgreSQL: COPY into a scratch table, then one UPDATE of the rows there already and
    one INSERT of the others (two hash joins: a row-by-row `ON CONFLICT` upsert of a year's
    roll-ups costs several times more). The table is locked against other writers first
    (EXCLUSIVE: readers go on), so that no row appears between the two statements; the
    services' increments made meanwhile wait for the load's COMMIT and then add up.
    """
    rows = [(k, v) for k, v in deltas.items() if v]
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        tallies.add(deltas)
        return len(rows)
    cursor.execute("CREATE TEMP TABLE demo_tally (day date, unit_id bigint, metric varchar(48), "
                   "value bigint) ON COMMIT DROP")
    with cursor.cursor.copy("COPY demo_tally (day, unit_id, metric, value) FROM STDIN") as copy:
        for (day, unit_id, metric), n in rows:
            copy.write_row((day, unit_id, metric, n))
    cursor.execute("ANALYZE demo_tally")
    cursor.execute("LOCK TABLE indicators_dailytally IN EXCLUSIVE MODE")
    same = "t.day = d.day AND t.unit_id = d.unit_id AND t.metric = d.metric"
    cursor.execute("UPDATE indicators_dailytally t SET value = t.value + d.value "  # noqa: S608
                   f"FROM demo_tally d WHERE {same}")
    cursor.execute(
        "INSERT INTO indicators_dailytally (day, unit_id, metric, value) "  # noqa: S608
        "SELECT d.day, d.unit_id, d.metric, d.value FROM demo_tally d "
        f"WHERE NOT EXISTS (SELECT 1 FROM indicators_dailytally t WHERE {same}) "
        "ORDER BY d.day, d.unit_id, d.metric")
    cursor.execute("DROP TABLE demo_tally")
    return len(rows)


# Generating ----------------------------------------------------------------------------
class _Generator:
    """One load: the world, the clock, the random numbers and the tables being filled."""

    def __init__(self, world: _World, figures: Figures, *, days: int, now: dt.datetime,
                 rng: random.Random) -> None:
        self.w, self.f, self.rng, self.days = world, figures, rng, days
        self.cal = current_calendar()
        self.tz = self.cal.tz
        self.now = now.astimezone(self.tz)
        self.limit = self.now - dt.timedelta(minutes=1)
        self.today = self.now.date()
        self.counted: Counter[Key] = Counter()
        self.reports = _Table(Report)
        self.contacts = _Table(ReportContact, with_id=False)
        self.dossiers = _Table(Dossier)
        self.components = _Table(DossierComponent, with_id=False)
        self.steps = _Table(Transition, with_id=False)
        # The day (days back) of each request, and each day's code prefix and next number.
        self.request_days = array.array("H")
        self.requests_made = 0
        self.request_codes: dict[dt.date, tuple[str, int]] = {}
        first = self.today - dt.timedelta(days=days)
        self.counters: dict[tuple[str, dt.date], int] = {
            (agency, day): last for agency, day, last in DossierCounter.objects.filter(
                day__gte=first).values_list("agency", "day", "last")}

        @lru_cache(maxsize=4096)
        def due(day: dt.date, n: int) -> dt.datetime:
            start = dt.datetime.combine(day, dt.time(12), self.tz)
            return self.cal.add_working_days(start, n)
        self.due = due

    def plan_requests(self, n: int) -> None:
        """Draw the day of each of `n` requests and take each day's codes in one statement."""
        self.request_days = array.array("H", self.rng.choices(range(self.days), k=n))
        self.requests_made = 0
        self.request_codes = {}
        for back, count in sorted(Counter(self.request_days).items()):
            day = self.today - dt.timedelta(days=back)
            # The codes are consecutive: keep the first, count on from it.
            prefix, first = allocate_codes(day, count)[0].rsplit("-", 1)
            self.request_codes[day] = (prefix, int(first))

    def moment_of(self, day: dt.date, hours: tuple[int, int]) -> dt.datetime:
        """A moment of `day` within `hours` local time (today: before now)."""
        rng = self.rng
        at = dt.datetime.combine(day, dt.time(hours[0]), self.tz) + dt.timedelta(
            seconds=rng.randrange((hours[1] - hours[0]) * 3600))
        if at < self.limit:
            return at
        midnight = dt.datetime.combine(day, dt.time(), self.tz)
        return midnight + (self.limit - midnight) * rng.random()

    def moment(self, hours: tuple[int, int]) -> dt.datetime:
        """A moment of the last `days` days (today up to now), within `hours` local time."""
        rng = self.rng
        for _ in range(20):
            day = self.today - dt.timedelta(days=rng.randrange(self.days))
            at = dt.datetime.combine(day, dt.time(hours[0]), self.tz) + dt.timedelta(
                seconds=rng.randrange((hours[1] - hours[0]) * 3600))
            if at < self.limit:
                return at
        # A one-day history asked before the hours began: the hour just gone.
        return self.limit - dt.timedelta(seconds=rng.randrange(3600))

    def step(self, case_type: str, case_id: int, workflow: int, seq: int, action: str,
             before: str, after: str, *, at: dt.datetime, unit: int, due: dt.datetime | None,
             actor: tuple[int, str] | None, assignee: int | None = None, comment: str = "",
             reason: str = "") -> None:
        self.steps.rows.append(self.steps.row(self.steps.defaults | {
            "case_type": case_type, "case_id": case_id, "workflow_id": workflow, "seq": seq,
            "action": action, "from_state": before, "to_state": after,
            "actor_id": actor[0] if actor else None,
            "actor_label": actor[1] if actor else MARK, "at": at,
            "comment": comment, "reason": reason, "assignee_before_id": None if seq < 3 else
            assignee, "assignee_id": assignee, "due_at": due, "unit_id": unit}))

    def count(self, at: dt.datetime, unit: int, found: tallies.Tallies) -> None:
        """Add what a fact at `at` in `unit` counts (`found`: the rules of `tallies.py`)."""
        # Every moment here is built in the calendar's zone (Vietnam): its date is the day.
        day, counted = at.date(), self.counted
        for metric, n in found:
            if n:
                counted[(day, unit, metric)] += n

    # Requests ---------------------------------------------------------------------------
    def requests(self, first_id: int, n: int) -> None:
        """Build `n` requests with ids from `first_id` (codes are given by `codes`)."""
        rng, f, w = self.rng, self.f, self.w
        wards = rng.choices(w.wards, weights=w.ward_weights, k=n)
        cats = rng.choices(w.categories, weights=w.category_weights, k=n)
        backs = self.request_days[self.requests_made:self.requests_made + n]
        self.requests_made += n
        for i in range(n):
            pk, ward, cat = first_id + i, wards[i], cats[i]
            day = self.today - dt.timedelta(days=backs[i])
            created = self.moment_of(day, (6, 22))
            prefix, number = self.request_codes[day]
            self.request_codes[day] = (prefix, number + 1)
            unit = w.handler_of.get(cat.pk, ward.pk)
            officer = w.officers[unit]
            due = self.due(created.date(), cat.deadline_days)
            wf = w.report_workflow
            enterprise = cat.audience == "enterprise"
            self.step(REPORT, pk, wf, 1, "start", "", "received", at=created, unit=unit,
                      due=due, actor=None, comment=ward.name)
            self.count(created, unit, report_tallies("start"))
            state, seq, at = "received", 1, created
            assignee = None
            resolved_at = rated_at = closed_at = None
            rating = None
            # The figure is a stock (396 in progress of a month's 14,700): only a request
            # of the last 30 days is still in progress, never one of last year.
            open_left = backs[i] < OPEN_WINDOW and rng.random() < f.requests_left_open
            assigned = at + dt.timedelta(minutes=rng.randint(10, 480))
            if assigned < self.limit:
                seq += 1
                self.step(REPORT, pk, wf, seq, "assign", state, "assigned", at=assigned,
                          unit=unit, due=due, actor=officer, assignee=officer[0])
                state, at, assignee = "assigned", assigned, officer[0]
                started = at + dt.timedelta(minutes=rng.randint(10, 600))
                if started < self.limit:
                    seq += 1
                    self.step(REPORT, pk, wf, seq, "start_work", state, "in_progress",
                              at=started, unit=unit, due=due, actor=officer, assignee=assignee)
                    state, at = "in_progress", started
            rounds = 2
            while state == "in_progress" and not open_left and rounds:
                rounds -= 1
                if rng.random() < f.requests_on_time and due > at:
                    answer = at + (due - at) * rng.random() ** 2
                else:
                    answer = max(at, due) + dt.timedelta(hours=rng.uniform(1, 120))
                if answer >= self.limit:
                    break
                seq += 1
                self.step(REPORT, pk, wf, seq, "resolve", state, "resolved", at=answer,
                          unit=unit, due=due, actor=officer, assignee=assignee, comment=_REPLY)
                self.count(answer, unit, report_tallies("resolve", kept=answer <= due))
                state, at, resolved_at = "resolved", answer, answer
                after = at + dt.timedelta(hours=rng.uniform(1, 96))
                if after >= self.limit:
                    break
                roll = rng.random()
                if roll < f.requests_reopened and rounds:
                    seq += 1
                    self.step(REPORT, pk, wf, seq, "reopen", state, "in_progress", at=after,
                              unit=unit, due=due, actor=None, assignee=assignee,
                              comment="Vẫn chưa được khắc phục.")
                    self.count(after, unit, report_tallies("reopen"))
                    state, at, resolved_at = "in_progress", after, None
                    continue
                seq += 1
                if roll < f.requests_reopened + f.requests_rated:
                    rating = rng.choices([1, 2, 3, 4, 5], weights=[4, 4, 12, 35, 45])[0]
                    self.step(REPORT, pk, wf, seq, "rate", state, "closed", at=after,
                              unit=unit, due=due, actor=None, assignee=assignee)
                    rated_at = after
                    self.count(after, unit, report_tallies("rated", rating=rating))
                else:
                    after = self.due(at.date(), 5)
                    if after >= self.limit:
                        seq -= 1
                        break
                    self.step(REPORT, pk, wf, seq, "close_unrated", state, "closed", at=after,
                              unit=unit, due=due, actor=None, assignee=assignee)
                state, at, closed_at = "closed", after, after
            received_due = self.due(created.date(), 1) if state == "received" else None
            replied = resolved_at or (closed_at if state == "closed" else None)
            salt = f"{pk:032x}"
            self.reports.add({
                "id": pk, "unit_id": unit, "workflow_id": wf, "state": state,
                "assignee_id": assignee, "started_at": created, "state_entered_at": at,
                "due_at": due, "state_due_at": received_due,
                "clock_paused_at": resolved_at if state == "resolved" else None,
                "closed_at": closed_at, "sweep_stage": NOTHING, "steps": seq,
                "code": f"{prefix}-{number:04d}", "category_id": cat.pk,
                "description": _DESCRIPTION,
                "latitude": ward.latitude, "longitude": ward.longitude,
                "place_unit_id": ward.pk, "routing_method": "point_in_polygon",
                "routing_reason": ward.name,
                "routing_reasons": json.dumps({"vi": ward.name}, ensure_ascii=False),
                "channel": "web" if enterprise else rng.choice(_REQUEST_CHANNELS),
                "private_token_hash": hashlib.sha256(f"demo:{pk}".encode()).hexdigest(),
                "token_salt": salt, "public_reply": _REPLY if replied else "",
                "replied_at": replied, "rating": rating, "rated_at": rated_at,
                "resolved_at": resolved_at, "resolved_due_at": due if resolved_at else None,
                "created_at": created, "updated_at": at,
            })
            if not enterprise:
                self.contacts.add({"report_id": pk, "name": self.name(),
                                   "phone": f"09{rng.randrange(10**8):08d}"})

    def name(self) -> str:
        return f"{self.rng.choice(_FAMILY)} {self.rng.choice(_GIVEN)}"

    # Dossiers ---------------------------------------------------------------------------
    def code(self, unit: int, day: dt.date) -> str:
        agency = self.w.agency[unit]
        key = (agency, day)
        number = self.counters.get(key, 0) + 1
        self.counters[key] = number
        return f"{agency}-{day:%y%m%d}-{number:04d}"

    def dossier_batch(self, first_id: int, n: int) -> None:
        rng, f, w = self.rng, self.f, self.w
        wards = rng.choices(w.wards, weights=w.ward_weights, k=n)
        procs = rng.choices(w.procedures, weights=w.procedure_weights, k=n)
        wf = w.dossier_workflow
        for i in range(n):
            pk, ward, proc = first_id + i, wards[i], procs[i]
            unit = ward.pk if proc.level == Level.COMMUNE else w.decider_of[proc.pk]
            online = proc.online != OnlineLevel.NONE and rng.random() < w.online_given_capable
            received = self.moment((0, 24) if online else (8, 17))
            if not online and not self.cal.is_working_day(received.date()):
                received = self.cal.add_working_days(received, 1) - dt.timedelta(
                    hours=rng.uniform(0.5, 8.5))
                if received >= self.limit:
                    received = self.moment((8, 17))
            due = self.due(received.date(), proc.processing_days)
            officer = w.officers[unit]
            self.step(DOSSIER, pk, wf, 1, "start", "", "received", at=received, unit=unit,
                      due=due, actor=None)
            self.count(received, unit, dossier_tallies(
                "start", online=online, fully=proc.online == OnlineLevel.FULLY,
                fee=proc.fee_vnd > 0))
            share = f.by_data_online if online else f.by_data_counter
            parts = w.parts[proc.pk]
            by_data = 0
            digitised = 0
            for part in parts:
                replaced = bool(part.data_source) and rng.random() < share
                by_data += replaced
                # Digitised at receipt (the demo writes no files, only the moment).
                held = online or replaced or rng.random() < f.scanned_counter
                digitised += held
                self.components.add({
                    "dossier_id": pk, "procedure_component_id": part.pk, "name": part.name,
                    "copies": part.copies,
                    "data_source": part.data_source if replaced else "",
                    "data_reference": f"079{rng.randrange(10**9):09d}" if replaced else "",
                    "data_read": "{}", "digitised_at": received if held else None})
            self.count(received, unit, dossier_tallies("components", parts=len(parts),
                                                       by_data=by_data, digitised=digitised))
            if proc.fee_vnd > 0 and online:
                self.count(received, unit, dossier_tallies("paid_online"))
            state, seq, at = "received", 1, received
            closed_at = paused_at = None
            accepted = at + dt.timedelta(minutes=rng.randint(5, 240))
            if rng.random() < f.dossiers_refused:
                if accepted < self.limit:
                    seq += 1
                    self.step(DOSSIER, pk, wf, seq, "refuse", state, "refused", at=accepted,
                              unit=unit, due=due, actor=officer,
                              comment="Hồ sơ không thuộc thẩm quyền giải quyết.")
                    state, at, closed_at = "refused", accepted, accepted
            elif accepted < self.limit:
                seq += 1
                self.step(DOSSIER, pk, wf, seq, "accept", state, "in_processing", at=accepted,
                          unit=unit, due=due, actor=officer)
                state, at = "in_processing", accepted
                if rng.random() < f.dossiers_on_time and due > at:
                    issued = at + (due - at) * rng.uniform(0.2, 1.0)
                else:
                    issued = max(at, due) + dt.timedelta(hours=rng.uniform(2, 200))
                if issued < self.limit:
                    seq += 1
                    self.step(DOSSIER, pk, wf, seq, "issue_result", state, "result_issued",
                              at=issued, unit=unit, due=due, actor=officer)
                    self.count(issued, unit, dossier_tallies(
                        "issue_result", kept=issued <= due, ahead=tallies.early(issued, due),
                        electronic=proc.result_electronic))
                    state, at, paused_at = "result_issued", issued, issued
                    back = issued + dt.timedelta(hours=rng.uniform(1, 72))
                    if back < self.limit:
                        seq += 1
                        self.step(DOSSIER, pk, wf, seq, "return_result", state, "returned",
                                  at=back, unit=unit, due=due, actor=officer)
                        state, at, closed_at = "returned", back, back
            paid = online and proc.fee_vnd > 0
            self.dossiers.add({
                "id": pk, "unit_id": unit, "workflow_id": wf, "state": state,
                "started_at": received, "state_entered_at": at, "due_at": due,
                "clock_paused_at": paused_at if closed_at is None else None,
                "clock_remaining_seconds": 0 if paused_at and closed_at is None else None,
                "closed_at": closed_at, "sweep_stage": NOTHING, "steps": seq,
                "code": self.code(unit, received.date()), "procedure_id": proc.pk,
                "channel": Channel.ONLINE if online else Channel.COUNTER,
                "receiving_unit_id": unit, "on_behalf": False,
                "applicant_kind": ApplicantKind.RESIDENT, "applicant_name": self.name(),
                "applicant_id_number": f"079{rng.randrange(10**9):09d}",
                "applicant_phone": f"09{rng.randrange(10**8):08d}",
                "fee_vnd": proc.fee_vnd, "paid_at": received if paid else None,
                "received_at": received, "appointment_at": due, "created_at": received,
                "components_at_receipt": len(parts), "by_data_at_receipt": by_data,
                "digitised_at": received if parts and digitised == len(parts) else None,
            })

    def write_counters(self, cursor: Any) -> None:
        """The day counters of the dossier codes, moved past the numbers given."""
        rows = sorted(self.counters.items())
        for start in range(0, len(rows), 300):
            chunk = rows[start:start + 300]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            params: list[Any] = [v for (agency, day), last in chunk
                                 for v in (agency, day, last)]
            cursor.execute(
                f"INSERT INTO dossiers_dossiercounter (agency, day, last) VALUES {values} "  # noqa: S608
                "ON CONFLICT (agency, day) DO UPDATE SET last = excluded.last", params)


def loaded_already() -> bool:
    """Whether a demo history is in the database (a start step signed `MARK`)."""
    return Transition.objects.filter(actor_label=MARK).exists()


def generate(*, requests: int, dossiers: int, days: int, seed: int = 14, add: bool = False,
             rollups: str = "inline", now: dt.datetime | None = None,
             figures: Figures = FIGURES, defer_indexes: bool | None = None,
             progress: Callable[[str], None] | None = None) -> Loaded:
    """Write `requests` requests and `dossiers` dossiers received over the last `days` days,
    with their steps and, by `rollups`, the daily roll-ups they count: `inline` (added in
    the same load) or `rebuild` (`services.rebuild` over the days, after). One transaction.

    `defer_indexes` (PostgreSQL): set the tables' secondary indexes and constraints aside
    during the load and make them again after it (`_Deferred`); by default when the load
    brings at least as many cases as the tables hold.

    Raises DemoExists when a demo history is there and `add` is not set.
    """
    if min(requests, dossiers) < 0 or days < 1:
        raise ValueError("counts are not negative and days at least 1")
    if rollups not in ("inline", "rebuild"):
        raise ValueError("rollups: inline or rebuild")
    if not add and loaded_already():
        raise DemoExists
    began = time.perf_counter()
    now = now or timezone.now()
    done = Loaded()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        held = Report.objects.count() + Dossier.objects.count()
        if defer_indexes is None:
            defer_indexes = requests + dossiers >= max(held, 1)
        world = _world(figures)
        rng = random.Random(f"{seed}:{Report.objects.count()}:{Dossier.objects.count()}")  # noqa: S311
        gen = _Generator(world, figures, days=days, now=now, rng=rng)
        done.first = gen.today - dt.timedelta(days=days - 1)
        gen.plan_requests(requests)
        tables = (gen.reports, gen.contacts, gen.dossiers, gen.components, gen.steps)
        with connection.cursor() as cursor:
            first_ids = {Report: _reserve_ids(cursor, Report, requests) if requests else 0,
                         Dossier: _reserve_ids(cursor, Dossier, dossiers) if dossiers else 0}
            deferred = None
            if postgres and defer_indexes and requests + dossiers:
                deferred = _Deferred(cursor, [t.name for t in tables])
                deferred.drop()
            writer = _Writer(cursor, threaded=postgres)
            try:
                for model, total, build in ((Report, requests, gen.requests),
                                            (Dossier, dossiers, gen.dossier_batch)):
                    made = 0
                    while made < total:
                        size = min(CHUNK, total - made)
                        mark = time.perf_counter()
                        build(first_ids[model] + made, size)
                        done.build_seconds += time.perf_counter() - mark
                        writer.put(tables)
                        made += size
                        if progress:
                            rate = writer.rows.total() / (time.perf_counter() - began)
                            progress(f"{model._meta.model_name}: {made:,}/{total:,} "
                                     f"({rate:,.0f} rows/s)")
            finally:
                writer.close()
            done.rows.update(writer.rows)
            done.write_seconds = writer.seconds
            if deferred is not None:
                mark = time.perf_counter()
                deferred.restore()
                done.index_seconds = time.perf_counter() - mark
            gen.write_counters(cursor)
            done.last = max((k[0] for k in gen.counted), default=gen.today)
            tally_began = time.perf_counter()
            if rollups == "inline":
                done.rows["indicators_dailytally"] = _add_tallies(cursor, gen.counted)
            else:
                done.rows["indicators_dailytally"] = services.rebuild(
                    actor=ACTOR, first=done.first, last=done.last)
            done.tally_seconds = time.perf_counter() - tally_began
        commit_began = time.perf_counter()
    done.commit_seconds = time.perf_counter() - commit_began
    done.seconds = time.perf_counter() - began
    return done


def distribution(rows: Iterable[tuple[int, int]]) -> dict[int, float]:
    """Shares of a count by key (for the tests and the command's summary)."""
    counts = dict(rows)
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}
