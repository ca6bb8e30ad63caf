"""Numbering and signing under concurrent issuers on PostgreSQL (issue #12).

Usage: .venv/bin/python bench/documents.py [--db postgres://postgres@127.0.0.1:5432/cityhall_bench_documents]
       [--issuers 8] [--seconds 30] [--units 1] [--prepared 0]

The database named in --db is dropped and created afresh (it must be a scratch database);
files and the DEMO PKI go under var/bench/documents/ (CITYHALL_VAR_DIR), kept between runs.

`--issuers` processes (not threads: rendering and signing are CPU work under the GIL) issue
documents of the same ward (`--units 1`, every issuer on one register: the worst case for
its row lock) or spread over several wards, for `--seconds`. Each loop takes a draft
through the whole `document` workflow through the services: draft, review, the leader's
`sign` (rendered and signed with the leader's DEMO key), the clerk's `issue` (the register
row locked, the number taken, rendered again with it, signed by the leader and by the
organisation). `--prepared N` first takes N drafts per issuer to `signed`, so that the timed
loop issues only (the numbering step alone, under contention). Before the clock starts,
each ward's DEMO keys are made, and each issuer issues one document apart (fonts and keys
loaded in its process); all start together.

Prints documents numbered and signed per second, the `issue` step's time (median, p95)
and how long it waited for the register's lock (the same step with no one else issuing is
the reference), then the proof: every register's numbers are exactly 1..N (no gap, no
repeat; the register's counter says N), every issued file is signed, and a sample of PDFs
verifies with both signatures valid. Prints the machine and its load.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import load, machine, recreate  # noqa: E402

WARDS = ["Phường Sài Gòn", "Phường Thủ Đức", "Phường An Khánh", "Phường Bến Thành",
         "Phường Tân Định", "Phường Cầu Ông Lãnh", "Phường Bàn Cờ", "Phường Xuân Hòa"]


def setup(units: int, issuers: int) -> list[dict[str, Any]]:
    """The wards and, for each issuer, a drafter, the ward's leader and a clerk."""
    import datetime as dt

    from django.core.management import call_command

    from cityhall.accounts import services as accounts
    from cityhall.accounts.models import Role, UserKind
    from cityhall.core.audit import SYSTEM
    from cityhall.documents import services
    from cityhall.orgunits.models import Unit

    call_command("migrate", verbosity=0)
    call_command("load_units", verbosity=0)
    services.load_document_types(actor=SYSTEM)
    start = dt.date(2025, 7, 1)
    plan = []
    leaders: dict[int, Any] = {}
    for index in range(issuers):
        unit = Unit.objects.active_on().get(name=WARDS[index % units])
        if unit.pk not in leaders:
            leader = accounts.create_user(actor=SYSTEM, username=f"leader{unit.pk}",
                                          kind=UserKind.STAFF, full_name="Trần Quốc Bảo")
            accounts.grant_membership(actor=SYSTEM, user=leader, unit=unit, role=Role.LEADER,
                                      valid_from=start)
            leaders[unit.pk] = leader
        people = {}
        for role, word in ((Role.OFFICER, "officer"), (Role.CLERK, "clerk")):
            person = accounts.create_user(actor=SYSTEM, username=f"{word}{index}",
                                          kind=UserKind.STAFF,
                                          full_name=f"Nguyễn Văn {word.title()} {index}")
            accounts.grant_membership(actor=SYSTEM, user=person, unit=unit, role=role,
                                      valid_from=start)
            people[word] = person.pk
        plan.append({"unit": unit.pk, "leader": leaders[unit.pk].pk, **people})
    return plan


def draft(index: int, n: int) -> Any:
    from cityhall.documents import services

    return services.DraftIn(
        doc_type="quyet_dinh", summary=f"Về việc thành lập Tổ công tác số {index}-{n}",
        content="Căn cứ Luật Tổ chức chính quyền địa phương;\n\nĐiều 1. Thành lập Tổ công "
                "tác.\n\nĐiều 2. Quyết định này có hiệu lực kể từ ngày ký.",
        signer_title="Chủ tịch", authority="TM.", authority_for="Ủy ban nhân dân",
        recipients=["Như Điều 2", "Lưu trữ"], file_copy_unit="VP")


def issuer(index: int, who: dict[str, Any], seconds: float, prepared: int,
           ready: Any, results: Any) -> None:
    """One clerk's loop: documents through the workflow until the time is up."""
    from django.db import connection

    from cityhall.accounts.models import User
    from cityhall.documents import services
    from cityhall.orgunits.models import Unit

    connection.close()  # a connection of this process's own
    unit = Unit.objects.get(pk=who["unit"])
    officer, leader, clerk = (User.objects.get(pk=who[k]) for k in ("officer", "leader", "clerk"))

    def signed_draft(n: int) -> Any:
        document = services.draft_document(actor=officer, unit=unit, draft=draft(index, n))
        services.act_on_document(actor=officer, document=document, action="review")
        services.act_on_document(actor=leader, document=document, action="sign")
        return document

    # One document first, apart: it loads the fonts and opens the keys in this process.
    services.act_on_document(actor=clerk, document=signed_draft(-1), action="issue")
    pool = [signed_draft(n) for n in range(prepared)]
    ready.wait()  # every issuer starts the clock together
    ends = time.time() + seconds
    issued, issue_seconds, loops = 0, [], 0
    while time.time() < ends:
        document = pool.pop() if pool else signed_draft(10_000 + loops)
        loops += 1
        began = time.perf_counter()
        services.act_on_document(actor=clerk, document=document, action="issue")
        issue_seconds.append(time.perf_counter() - began)
        issued += 1
    results.put({"issuer": index, "issued": issued, "issue_seconds": issue_seconds})


def warm_keys(plan: list[dict[str, Any]]) -> None:
    """One document issued in each ward before the run: each leader's and ward's DEMO key is
    made once here, not by several issuers at the same moment."""
    from cityhall.accounts.models import User
    from cityhall.documents import services
    from cityhall.orgunits.models import Unit

    done = set()
    for who in plan:
        if who["unit"] in done:
            continue
        done.add(who["unit"])
        unit = Unit.objects.get(pk=who["unit"])
        officer, leader, clerk = (User.objects.get(pk=who[k])
                                  for k in ("officer", "leader", "clerk"))
        document = services.draft_document(actor=officer, unit=unit, draft=draft(98, 0))
        services.act_on_document(actor=officer, document=document, action="review")
        services.act_on_document(actor=leader, document=document, action="sign")
        services.act_on_document(actor=clerk, document=document, action="issue")


def alone(who: dict[str, Any]) -> float:
    """The issue step with no one else issuing (median of 5): the reference for lock waits."""
    from cityhall.accounts.models import User
    from cityhall.documents import services
    from cityhall.orgunits.models import Unit

    unit = Unit.objects.get(pk=who["unit"])
    officer, leader, clerk = (User.objects.get(pk=who[k]) for k in ("officer", "leader", "clerk"))
    times = []
    for n in range(6):
        document = services.draft_document(actor=officer, unit=unit, draft=draft(99, n))
        services.act_on_document(actor=officer, document=document, action="review")
        services.act_on_document(actor=leader, document=document, action="sign")
        began = time.perf_counter()
        services.act_on_document(actor=clerk, document=document, action="issue")
        times.append(time.perf_counter() - began)
    return statistics.median(times[1:])  # the first loads fonts and keys


def proof(sample: int) -> list[str]:
    """No gap, no repeat in any register; every issued file signed; a sample verified."""
    from cityhall.core.signing import verify_pdf
    from cityhall.documents.models import Direction, Document, DocumentFile, Register

    lines, ok = [], True
    for register in Register.objects.filter(direction=Direction.OUTGOING).order_by("pk"):
        numbers = list(Document.objects.filter(register=register).order_by("number")
                       .values_list("number", flat=True))
        expected = list(range(1, len(numbers) + 1))
        good = numbers == expected and register.last_number == len(numbers)
        ok &= good
        lines.append(f"  register {register.unit_id}/{register.year}: {len(numbers)} numbers, "
                     f"counter {register.last_number}: "
                     + ("1..N, no gap, no repeat" if good else "GAP OR REPEAT"))
    files = DocumentFile.objects.filter(kind=DocumentFile.Kind.ISSUED)
    unsigned = files.filter(signed=False).count()
    ok &= unsigned == 0
    lines.append(f"  issued files: {files.count()}, unsigned: {unsigned}")
    checked = 0
    for stored in files.order_by("?")[:sample]:
        with stored.file.open("rb") as handle:
            reports = verify_pdf(handle.read())
        good = len(reports) == 2 and all(r.valid for r in reports)
        ok &= good
        checked += good
    lines.append(f"  verified with pyHanko: {checked} of {min(sample, files.count())} sampled "
                 "PDFs with both signatures valid")
    lines.append("  PROOF: " + ("holds" if ok else "FAILED"))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/"
                                         "cityhall_bench_documents")
    parser.add_argument("--issuers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--units", type=int, default=1, choices=range(1, len(WARDS) + 1))
    parser.add_argument("--prepared", type=int, default=0,
                        help="drafts per issuer taken to `signed` before the clock starts")
    parser.add_argument("--sample", type=int, default=20, help="PDFs verified at the end")
    args = parser.parse_args()
    if not args.db.startswith("postgres"):
        sys.exit("bench/documents.py measures PostgreSQL's row lock: give a postgres:// --db")

    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DEBUG", "1")
    os.environ["CITYHALL_DOCUMENTS_DEMO_KEYS"] = "1"
    os.environ["CITYHALL_VAR_DIR"] = str(ROOT / "var" / "bench" / "documents")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityhall.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    recreate(args.db)
    import django

    django.setup()
    from django.db import connection

    print(f"machine: {machine()}; load before {load()}")
    plan = setup(args.units, args.issuers)
    warm_keys(plan)
    reference = alone(plan[0])
    print(f"issue step alone (render, number, two signatures): {reference * 1000:.0f} ms")
    connection.close()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    ready = context.Barrier(args.issuers)
    workers = [context.Process(target=issuer, args=(i, who, args.seconds, args.prepared,
                                                    ready, results))
               for i, who in enumerate(plan)]
    for worker in workers:
        worker.start()
    found = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    issued = sum(r["issued"] for r in found)
    times = sorted(t for r in found for t in r["issue_seconds"])
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))] if times else float("nan")
    median = statistics.median(times) if times else float("nan")
    print(f"{args.issuers} issuers on {args.units} register(s) for {args.seconds:.0f} s"
          f" ({'issue only, drafts prepared' if args.prepared else 'draft, review, sign, issue'}):"
          f" {issued} documents numbered and signed, {issued / args.seconds:.2f} a second")
    print(f"  per issuer: {sorted(r['issued'] for r in found)}")
    print(f"  issue step: median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
          f"(alone {reference * 1000:.0f} ms; the difference is waiting for the lock and "
          "for the CPU)")
    print(f"  load after {load()}")
    for line in proof(args.sample):
        print(line)


if __name__ == "__main__":
    main()
