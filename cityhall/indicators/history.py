"""A seeded history of work through the real services: the random workload of the roll-up
tests, and the demo's months of figures for `make run` (`cityhall load_demo_history`).

Every step goes through the domain services (reports filed in daily batches through
`submit_reports`, the Open311 queue's path; assigned, started, transferred, answered,
rated and reopened; dossiers submitted online and at the counter (papers checked, scanned
later or not), paid through the demo gateway, accepted, decided and returned), at moments
spread over past days, so the roll-ups are written exactly as live work writes them.
Nothing is written to the roll-ups directly.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cityhall.accounts.models import User
from cityhall.dossiers import payments
from cityhall.dossiers import services as dossiers
from cityhall.dossiers.errors import DossierError
from cityhall.orgunits.models import Unit
from cityhall.reports import services as reports
from cityhall.reports.errors import ReportError
from cityhall.reports.models import Report

#: Categories handled by the ward of the place (routed by the point given).
CATEGORIES = {"ngap-ha-tang": {"kind": "flooding", "water_depth_cm": "30"},
              "moi-truong-rac": {}, "tieng-on": {"source": "karaoke"}, "giao-thong-via-he": {}}
#: Birth registration (online, a part replaced by population data) and household business
#: registration (at the counter).
BIRTH = "1.001193.000.00.00.H29"
HOUSEHOLD_BUSINESS = "2.000720.000.00.00.H29"


@functools.cache
def scan() -> bytes:
    """A one-page PDF: the scan a clerk attaches for a paper handed in at the counter."""
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(595, 842)
    writer.write(out)
    return out.getvalue()


@dataclass(frozen=True)
class Crew:
    """The staff of one unit who handle its work: a clerk (assigns, receives, returns) and
    an officer (works, answers, decides)."""

    unit: Unit
    clerk: User
    officer: User


class Simulation:
    """The random workload of one seed: what it did, counted by kind of step."""

    def __init__(self, *, crews: Sequence[Crew], resident: User, seed: int,
                 now: dt.datetime | None = None) -> None:
        self.crews = {c.unit.pk: c for c in crews}
        self.resident = resident
        self.rng = random.Random(seed)  # noqa: S311 (a workload, not a secret)
        self.now = now or timezone.now()
        self.done: Counter[str] = Counter()

    def moment(self, day: dt.date, after: dt.datetime | None = None) -> dt.datetime:
        """A moment in working hours of `day` (Vietnam), later than `after`."""
        tz = timezone.get_default_timezone()
        at = dt.datetime.combine(day, dt.time(8), tz) + dt.timedelta(
            minutes=self.rng.randrange(9 * 60))
        if after is not None and at <= after:
            at = after + dt.timedelta(minutes=self.rng.randrange(1, 90))
        return at

    def later(self, at: dt.datetime, days: int) -> dt.datetime | None:
        """A moment `days` later in working hours; None if that is still to come."""
        moment = self.moment(timezone.localdate(at) + dt.timedelta(days=days), after=at)
        return moment if moment <= self.now else None

    def run(self, *, days: int, reports_per_day: int, dossiers_per_day: int) -> Counter[str]:
        """File and handle the work of the last `days` days; what was done, by kind."""
        today = timezone.localdate(self.now)
        for back in range(days, 0, -1):
            day = today - dt.timedelta(days=back)
            self.file_reports(day, self.rng.randint(0, 2 * reports_per_day))
            for _ in range(self.rng.randint(0, 2 * dossiers_per_day)):
                self.dossier(day)
        return self.done

    # Reports ------------------------------------------------------------------------
    def file_reports(self, day: dt.date, n: int) -> None:
        """File `n` reports of `day` in one batch (the Open311 queue's path), then handle each."""
        if n == 0:
            return
        at = self.moment(day)
        units = list(self.crews.values())
        items = []
        for _ in range(n):
            unit = self.rng.choice(units).unit
            category = self.rng.choice(sorted(CATEGORIES))
            items.append(reports.NewReport(
                actor=self.resident, category=category, channel="web",
                attributes=CATEGORIES[category],
                description="Phản ánh thử nghiệm: cần xử lý tại khu vực này.",
                latitude=unit.latitude, longitude=unit.longitude))
        for outcome in reports.submit_reports(items, now=at):
            if isinstance(outcome, reports.Submission):
                self.done["report.filed"] += 1
                self.handle(outcome.report, at)
            else:
                self.done["report.refused"] += 1

    def handle(self, report: Report, at: dt.datetime) -> None:
        """Take the report through a random course of handling, in time order."""
        rng = self.rng
        if rng.random() < 0.15:
            return  # left waiting
        try:
            moment = self.later(at, rng.randint(0, 1))
            if moment is None:
                return
            if rng.random() < 0.1 and len(self.crews) > 1:
                target = rng.choice([c for c in self.crews.values() if c.unit.pk != report.unit_id])
                report = reports.transfer_report(actor=self.crews[report.unit_id].clerk,
                                                 report=report, to_unit=target.unit,
                                                 reason="Không thuộc địa bàn.", now=moment)
                self.done["report.transferred"] += 1
            crew = self.crews.get(report.unit_id)
            if crew is None:
                return  # routed to a unit without a crew here: it waits
            reports.assign_report(actor=crew.clerk, report=report, assignee=crew.officer,
                                  now=moment)
            reports.start_work(actor=crew.officer, report=report, now=moment)
            self.answer(report, crew, moment, rounds=2)
        except ReportError:
            self.done["report.refused"] += 1

    def answer(self, report: Report, crew: Crew, at: dt.datetime, *, rounds: int) -> None:
        rng = self.rng
        moment = self.later(at, rng.choice([1, 2, 3, 5, 8, 12, 16, 20]))
        if moment is None:
            return
        reports.resolve_report(actor=crew.officer, report=report,
                               reply="Đã xử lý xong tại hiện trường.", now=moment)
        self.done["report.resolved"] += 1
        after = self.later(moment, rng.randint(0, 3))
        if after is None:
            return
        roll = rng.random()
        if roll < 0.15 and rounds > 1:
            reports.reopen_report(actor=self.resident, report=report,
                                  reason="Vẫn chưa được khắc phục.", now=after)
            self.done["report.reopened"] += 1
            self.answer(report, crew, after, rounds=rounds - 1)
        elif roll < 0.6:
            reports.rate_report(actor=self.resident, report=report,
                                rating=rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 6])[0],
                                now=after)
            self.done["report.rated"] += 1

    # Dossiers -----------------------------------------------------------------------
    def dossier(self, day: dt.date) -> None:
        """Receive one dossier of `day` and take it through its course."""
        rng = self.rng
        crew = rng.choice(list(self.crews.values()))
        at = self.moment(day)
        applicant = dossiers.Applicant(name="Nguyễn Văn Thử", id_number="079190001234",
                                       phone="0901234567")
        try:
            if rng.random() < 0.6:
                parts = [dossiers.ComponentIn(number=3, data_reference="079190001234")] \
                    if rng.random() < 0.7 else []
                made = dossiers.submit_dossier(actor=self.resident, procedure=BIRTH,
                                               competent_unit=crew.unit, applicant=applicant,
                                               components=parts, now=at)
            else:
                # The form checked on paper; the owner's papers from population data, or not.
                parts = [dossiers.ComponentIn(number=1, paper=True)]
                if rng.random() < 0.5:
                    parts.append(dossiers.ComponentIn(number=2, data_reference="079190001234"))
                made = dossiers.receive_at_counter(actor=crew.clerk, procedure=HOUSEHOLD_BUSINESS,
                                                   applicant=applicant, components=parts, now=at)
            self.done["dossier.received"] += 1
            dossier = made.dossier
            crew = self.crews.get(dossier.unit_id, crew)
            self.pay_and_scan(dossier, crew, at)
            if rng.random() < 0.1:
                return  # waits at reception
            moment = self.later(at, rng.randint(0, 1))
            if moment is None:
                return
            dossiers.act_on_dossier(actor=crew.clerk, dossier=dossier, action="accept",
                                    now=moment)
            decided = self.later(moment, rng.choice([1, 2, 3, 4, 6, 9, 14]))
            if decided is None:
                return
            dossiers.act_on_dossier(actor=crew.officer, dossier=dossier, action="issue_result",
                                    now=decided)
            self.done["dossier.decided"] += 1
            returned = self.later(decided, 1)
            if returned is not None:
                dossiers.act_on_dossier(actor=crew.clerk, dossier=dossier,
                                        action="return_result", now=returned)
        except DossierError as exc:
            self.done["dossier.refused"] += 1
            self.done[f"dossier.refused.{exc.code}"] += 1

    def pay_and_scan(self, dossier: Any, crew: Crew, at: dt.datetime) -> None:
        """Some applicants pay the fee online (a failed try first, at times; the gateway
        repeats a callback, at times); some papers are scanned later."""
        rng = self.rng
        if dossier.fee_vnd > 0 and rng.random() < 0.6 and payments.online_gateway() == "demo":
            demo = payments.DemoGateway()
            paid = self.later(at, rng.randint(0, 2))
            tries = ["failed", "paid"] if rng.random() < 0.2 else ["paid"]
            for n, status in enumerate(tries):
                if paid is None:
                    break
                body = json.dumps({"reference": f"SIM-{dossier.code}-{n}",
                                   "dossier": dossier.code, "amount": dossier.fee_vnd,
                                   "status": status, "at": paid.isoformat()}).encode()
                for _ in range(2 if rng.random() < 0.2 else 1):
                    payments.record_payment(gateway_name=demo.name, body=body,
                                            signature=demo.sign(body), now=paid)
                self.done[f"dossier.payment_{status}"] += 1
        scanned = self.later(at, rng.randint(0, 3))
        if dossier.channel == "counter" and scanned is not None and rng.random() < 0.5:
            dossiers.attach_scans(actor=crew.clerk, dossier=dossier, now=scanned,
                                  components=[dossiers.ComponentIn(number=1, file=scan())])
            self.done["dossier.scanned"] += 1
