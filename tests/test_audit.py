"""The audit trail and the personal-data read log."""

from __future__ import annotations

import datetime as dt

import pytest

from cityhall.accounts import services
from cityhall.accounts.models import Role
from cityhall.core import audit, context
from cityhall.core.audit import SYSTEM, diff, log_personal_data_read, record
from tests.factories import SAIGON, Probe, make_staff, make_user, unit_named


def test_diff_keeps_only_changed_fields_as_json() -> None:
    before = {"a": 1, "b": dt.date(2025, 7, 1), "c": "same"}
    after = {"a": 2, "b": dt.date(2025, 7, 2), "c": "same", "d": None, "e": [1]}
    assert diff(before, after) == {"a": [1, 2], "b": ["2025-07-01", "2025-07-02"], "e": [None, [1]]}


@pytest.mark.django_db
def test_record_takes_the_request_id_and_ip_from_the_context() -> None:
    token = context.set_current(context.RequestContext(request_id="abc", ip="10.0.0.1"))
    try:
        entry = record(actor=SYSTEM, action=Probe.PROBE,
                       changes={"when": [None, dt.date(2025, 1, 1)]})
    finally:
        context.reset(token)
    entry.refresh_from_db()
    assert (entry.request_id, entry.ip, entry.actor_label) == ("abc", "10.0.0.1", "system")
    assert entry.changes == {"when": [None, "2025-01-01"]}


@pytest.mark.django_db
def test_record_names_an_api_key_actor() -> None:
    key, _raw = services.create_api_key(actor=SYSTEM, name="partner", scopes=["units:read"])
    entry = record(actor=key, action=Probe.PROBE)
    assert (entry.actor_api_key, entry.actor_label) == (key, "api-key:partner")


def test_record_refuses_something_that_is_not_an_actor() -> None:
    with pytest.raises(TypeError):
        record(actor="someone", action=Probe.PROBE)  # type: ignore[arg-type]  # a wrong type, on purpose


@pytest.mark.django_db
def test_a_personal_data_read_records_the_readers_capacity_when_not_given() -> None:
    ward = unit_named(SAIGON)
    reader = make_staff("reader", ward, Role.OFFICER)
    subject = make_user("subject", full_name="Lê Văn Tám")
    read = log_personal_data_read(reader=reader, obj=subject, subject=subject,
                                  fields=["phone", "full_name", "phone"], purpose="call back")
    assert (read.reader_unit, read.reader_role) == (ward, "officer")
    assert read.fields == ["full_name", "phone"]
    assert (read.object_type, read.object_id) == ("accounts.user", str(subject.pk))


@pytest.mark.django_db
def test_record_refuses_a_model_that_is_neither_a_user_nor_a_key() -> None:
    with pytest.raises(TypeError):
        record(actor=unit_named(SAIGON), action=Probe.PROBE)  # type: ignore[arg-type]  # on purpose


@pytest.mark.django_db
def test_the_readers_capacity_comes_from_the_lookup_accounts_registered() -> None:
    reader = make_staff("reader", unit_named(SAIGON), Role.OFFICER)
    subject = make_user("subject")
    previous = audit.register_capacity_lookup(None)
    try:
        read = log_personal_data_read(reader=reader, obj=subject, fields=["phone"])
    finally:
        audit.register_capacity_lookup(previous)
    assert (read.reader_unit, read.reader_role) == (None, "")
