"""core.queue: the backoff maths, and claiming due rows once however many workers ask."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from cityhall.core.queue import Lease, Retry, WorkQueue, backoff
from cityhall.notifications.models import OutboxMessage
from tests.workflow_support import run_together

SECOND = dt.timedelta(seconds=1)


def test_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    delays = [backoff(n, first=30 * SECOND, cap=dt.timedelta(hours=1)) for n in range(1, 10)]
    assert [d.total_seconds() for d in delays] == [30, 60, 120, 240, 480, 960, 1920, 3600,
                                                   3600]


def test_backoff_without_a_cap_keeps_doubling_and_never_overflows() -> None:
    assert backoff(5, first=30 * SECOND) == dt.timedelta(minutes=8)
    assert backoff(10_000, first=SECOND, cap=dt.timedelta(days=1)) == dt.timedelta(days=1)


def test_jitter_lengthens_a_delay_by_at_most_its_share() -> None:
    plain = backoff(3, first=30 * SECOND)
    assert backoff(3, first=30 * SECOND, jitter=0.1, spread=0.0) == plain
    assert backoff(3, first=30 * SECOND, jitter=0.1, spread=0.5) == plain * 1.05


@pytest.mark.parametrize(("attempts", "spread", "jitter"), [(0, 0.0, 0.1), (1, 1.0, 0.1),
                                                           (1, -0.1, 0.1), (1, 0.5, -1.0)])
def test_backoff_refuses_impossible_arguments(attempts: int, spread: float,
                                              jitter: float) -> None:
    with pytest.raises(ValueError):
        backoff(attempts, first=SECOND, jitter=jitter, spread=spread)


@given(attempts=st.integers(1, 200), spread=st.floats(0, 1, exclude_max=True),
       first=st.integers(1, 600), cap=st.integers(1, 86_400))
def test_a_retry_never_comes_sooner_than_the_plain_doubling_nor_much_later(
    attempts: int, spread: float, first: int, cap: int,
) -> None:
    plain = backoff(attempts, first=first * SECOND, cap=cap * SECOND)
    jittered = backoff(attempts, first=first * SECOND, cap=cap * SECOND, jitter=0.1,
                       spread=spread)
    assert plain <= jittered <= plain * 1.1
    assert plain <= cap * SECOND
    assert backoff(attempts + 1, first=first * SECOND, cap=cap * SECOND) >= plain


def test_a_retry_policy_gives_up_at_the_last_attempt() -> None:
    retry = Retry(first=30 * SECOND, max_attempts=3)
    assert [retry.gives_up(n) for n in (1, 2, 3, 4)] == [False, False, True, True]


QUEUE = WorkQueue(OutboxMessage, pending=Q(status="pending"),
                  retry=Retry(first=30 * SECOND, max_attempts=3, jitter=0.1),
                  given_up={"status": "failed"}, lease_columns=Lease(length=60 * SECOND))


def _messages(count: int) -> list[OutboxMessage]:
    return OutboxMessage.objects.bulk_create(
        OutboxMessage(channel="sms", address="0901234567", subject=f"m{n}", body="")
        for n in range(count))


@pytest.mark.django_db
def test_a_failure_puts_a_row_back_later_until_its_last_attempt() -> None:
    [message] = _messages(1)
    now = timezone.now()
    first = QUEUE.failure(message, now=now, spread=0.5)
    assert not first.gave_up
    assert first.changes == {"attempts": 1, "next_attempt_at": now + 30 * SECOND * 1.05}
    message.attempts = 2
    last = QUEUE.failure(message, now=now)
    assert last.gave_up and last.attempts == 3
    assert last.changes == {"attempts": 3, "status": "failed"}


@pytest.mark.django_db
def test_a_random_spread_keeps_retries_within_their_jitter() -> None:
    [message] = _messages(1)
    now = timezone.now()
    delays = {QUEUE.failure(message, now=now).changes["next_attempt_at"] - now
              for _ in range(50)}
    assert all(30 * SECOND <= d < 33 * SECOND for d in delays)
    assert len(delays) > 1, "rows that failed together are spread out"


@pytest.mark.django_db(transaction=True)  # no test transaction around it
def test_locking_needs_the_callers_transaction() -> None:
    _messages(1)
    with pytest.raises(transaction.TransactionManagementError):
        QUEUE.lock(now=timezone.now(), limit=1)
    with transaction.atomic():
        assert len(QUEUE.lock(now=timezone.now(), limit=1)) == 1


@pytest.mark.django_db
def test_only_due_pending_rows_are_claimed_oldest_due_first() -> None:
    now = timezone.now()
    later, due_first, due_second, _sent = _messages(4)
    OutboxMessage.objects.filter(pk=later.pk).update(next_attempt_at=now + SECOND)
    OutboxMessage.objects.filter(pk=due_first.pk).update(next_attempt_at=now - 2 * SECOND)
    OutboxMessage.objects.filter(pk=due_second.pk).update(next_attempt_at=now - SECOND)
    OutboxMessage.objects.filter(pk=_sent.pk).update(status="sent",
                                                     next_attempt_at=now - 3 * SECOND)
    with transaction.atomic():
        assert [m.pk for m in QUEUE.lock(now=now, limit=10)] == [due_first.pk, due_second.pk]
    assert [m.pk for m in QUEUE.lease(worker="w1", now=now, limit=1)] == [due_first.pk]


@pytest.mark.django_db
def test_a_leased_row_is_not_claimed_again_until_its_lease_runs_out() -> None:
    _messages(3)
    now = timezone.now()
    mine = QUEUE.lease(worker="w1", now=now, limit=2)
    assert len(mine) == 2 and {m.claimed_by for m in mine} == {"w1"}
    assert mine[0].claimed_until == now + 60 * SECOND
    theirs = QUEUE.lease(worker="w2", now=now, limit=10)
    assert len(theirs) == 1 and theirs[0].pk not in {m.pk for m in mine}
    # Both died: once their leases ran out, their rows are due again, for another worker.
    taken = QUEUE.lease(worker="w3", now=now + 61 * SECOND, limit=10)
    assert {m.pk for m in taken} == {m.pk for m in [*mine, *theirs]}
    # w1 comes back: its lease is lost, so it writes nothing.
    assert QUEUE.release(mine[0], worker="w1", status="sent") is False
    assert QUEUE.release(taken[0], worker="w3", status="sent") is True
    row = OutboxMessage.objects.get(pk=taken[0].pk)
    assert (row.status, row.claimed_by, row.claimed_until) == ("sent", "", None)


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: SKIP LOCKED with truly concurrent workers")
@pytest.mark.parametrize("way", ["lock", "lease"])
def test_two_workers_claim_each_of_300_rows_exactly_once(transactional_db: None,
                                                         way: str) -> None:
    _messages(300)
    now = timezone.now()

    def drain(worker: str) -> list[int]:
        taken: list[int] = []
        while True:
            if way == "lease":
                batch = QUEUE.lease(worker=worker, now=now, limit=7)
            else:
                with transaction.atomic():
                    batch = QUEUE.lock(now=now, limit=7)
                    OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(
                        status="sent")
            if not batch:
                return taken
            taken += [m.pk for m in batch]

    first, second = run_together(lambda: drain("w1"), lambda: drain("w2"))
    assert first and second, "both workers took a share"
    assert len(first) + len(second) == len(set(first) | set(second)) == 300
