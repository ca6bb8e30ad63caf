"""Mask the addresses of messages sent before delivery started masking them."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def mask_sent(apps: Any, schema_editor: Any) -> None:
    from cityhall.notifications.services import mask_address

    outbox = apps.get_model("notifications", "OutboxMessage")
    for message in outbox.objects.filter(status="sent").exclude(address__startswith="…").iterator():
        message.address = mask_address(message.address)
        message.save(update_fields=["address"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(mask_sent, migrations.RunPython.noop)]
