"""Notices and outbox messages in the admin: shown to superusers, never written there."""

from __future__ import annotations

import pytest

from cityhall.notifications.models import Notification, OutboxMessage
from cityhall.notifications.services import notify
from tests import admin_support
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_notices_and_outbox_messages_are_read_only_in_the_admin() -> None:
    client = admin_support.admin_client()
    notify(recipients=[make_user("told", email="told@example.org")], template="case_done",
           context={"case": "X"}, channels=["in_app", "email"])
    notice, message = Notification.objects.get(), OutboxMessage.objects.get()
    for model, row in (("notification", notice), ("outboxmessage", message)):
        base = f"/admin/notifications/{model}/"
        assert client.get(base).status_code == 200
        assert client.get(f"{base}add/").status_code == 403
        assert client.post(f"{base}{row.pk}/change/", {"subject": "x"}).status_code == 403
        assert client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Notification.objects.filter(pk=notice.pk).exists()
    assert OutboxMessage.objects.filter(pk=message.pk).exists()
