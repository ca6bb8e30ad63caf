"""The audit actions of `notifications`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class MessageAudit(AuditAction):
    """Messages held, released or dropped, and contact confirmations."""

    MESSAGE_HELD = "notifications.message_held"
    MESSAGE_RELEASED = "notifications.message_released"
    MESSAGE_DROPPED = "notifications.message_dropped"
    CONTACT_CONFIRMED = "notifications.contact_confirmed"
    CONTACT_REFUSED = "notifications.contact_refused"
