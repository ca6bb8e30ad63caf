"""Numbers of the registers: the next one of a unit's year, given inside the transaction
that issues (or registers) the document, never twice and never skipped.

Decree 30/2020, Art. 15: a document's number is its order among the documents the agency
issues in a year, registered by its clerk; it restarts at 01 on 1 January and numbers
below 10 take a leading zero. One counter serves every type of the unit's year (a
Quyết định and a Công văn of the same day get consecutive numbers). Incoming documents
get their arrival numbers from the unit's incoming register the same way.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from cityhall.documents.models import Direction, Register
from cityhall.orgunits.models import Unit


def register_of(unit: Unit, year: int, direction: str) -> Register:
    """The unit's register of the year, made on first use (concurrent first uses agree)."""
    found = Register.objects.filter(unit=unit, year=year, direction=direction).first()
    if found is not None:
        return found
    try:
        # A savepoint: a concurrent transaction that made it first leaves ours usable.
        with transaction.atomic():
            return Register.objects.create(unit=unit, year=year, direction=direction)
    except IntegrityError:
        return Register.objects.get(unit=unit, year=year, direction=direction)


def take_number(unit: Unit, year: int, direction: str = Direction.OUTGOING
                ) -> tuple[Register, int]:
    """The register and the next number in it; call inside the issuing transaction.

    The register row stays locked (SELECT ... FOR UPDATE) until that transaction ends, so
    several clerks issuing at the same moment wait for each other and get consecutive
    numbers, and a transaction that fails after taking one gives it back (no gap).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_number must run inside the issuing transaction")
    register = register_of(unit, year, direction)
    locked = Register.objects.select_for_update().get(pk=register.pk)
    locked.last_number += 1
    locked.save(update_fields=["last_number"])
    return locked, locked.last_number


def format_number(number: int) -> str:
    """A number as printed: a leading zero below 10 (07, 10, 123)."""
    return f"{number:02d}"


def notation(number: int, *, type_abbreviation: str, agency: str, drafting_unit: str = ""
             ) -> str:
    """`07/QĐ-UBND` for a type with an abbreviation; `123/UBND-VX` for a Công văn (the
    agency, then the drafting unit)."""
    if type_abbreviation:
        tail = f"{type_abbreviation}-{agency}" if agency else type_abbreviation
    else:
        tail = "-".join(part for part in (agency, drafting_unit) if part)
    return f"{format_number(number)}/{tail}" if tail else format_number(number)
