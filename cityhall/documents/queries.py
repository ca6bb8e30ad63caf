"""Reads of documents, registers and handlings, named for the business; every read
starts from `visible_to(user)` (the user's units)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone

from cityhall.core.scoping import ScopedQuerySet, scope_of
from cityhall.core.text import search_key
from cityhall.workflow.models import WorkflowCaseQuerySet

if TYPE_CHECKING:
    # Only in the quoted type arguments, which pyflakes does not read.
    from cityhall.documents.models import (  # noqa: F401
        Arrival,
        Document,
        Handling,
        Register,
        SigningKey,
    )


class RegisterQuerySet(ScopedQuerySet["Register"]):
    """Registers: a unit's staff see their unit's, leaders those below them too."""


class ArrivalQuerySet(ScopedQuerySet["Arrival"]):
    """Documents received by edXML: seen by the receiving unit's staff (and leaders above)."""


class DocumentQuerySet(WorkflowCaseQuerySet["Document"]):
    """Documents: seen by the unit that issues or received them (and leaders above it),
    and by the units given them to handle."""

    def visible_to(self, user: Any) -> Self:
        """The user's units' documents, and the incoming ones given to them to handle."""
        scope = scope_of(user)
        if scope.everything:
            return self.all()
        handled = Q(pk__in=_handling_model().objects.filter(scope.q("unit"))
                    .values("document_id"))
        return self.filter(scope.q("unit") | handled)

    def outgoing(self) -> Self:
        return self.filter(direction="outgoing")

    def incoming(self) -> Self:
        return self.filter(direction="incoming")

    def registered(self) -> Self:
        """Entries of a register: issued outgoing documents, registered incoming ones."""
        return self.filter(register__isnull=False, number__isnull=False)

    def in_register(self, register: Register) -> Self:
        return self.filter(register=register, number__isnull=False).order_by("number")

    def matching(self, query: str) -> Self:
        """Documents whose notation, summary or author hold every word of `query`,
        with or without diacritics ("quyet dinh" finds "Quyết định")."""
        result = self
        for word in search_key(query).split()[:10]:
            result = result.filter(search_text__contains=word)
        return result


class HandlingQuerySet(WorkflowCaseQuerySet["Handling"]):
    """Handlings: seen by the handling unit and the unit that received the document."""

    def visible_to(self, user: Any) -> Self:
        scope = scope_of(user)
        return self.filter(scope.q("unit") | scope.q("document__unit"))

    def overdue(self, now: Any = None) -> Self:
        return self.open().filter(due_at__lt=now or timezone.now())


def _handling_model() -> Any:
    from cityhall.documents.models import Handling

    return Handling


class SigningKeyQuerySet(models.QuerySet["SigningKey"]):
    """Registered signing keys (the key store: `keystore.py`)."""

    def active(self) -> Self:
        """The keys in use: neither retired nor revoked (their certificate may have expired)."""
        return self.filter(status="active")

    def of_person(self, user: Any) -> Self:
        """A leader's personal keys."""
        return self.filter(user=user)

    def of_unit(self, unit: Any) -> Self:
        """A unit's organisation keys (its own, never a parent's)."""
        return self.filter(unit=unit)
