from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "cityhall.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from cityhall.accounts import codes as sign_in_codes
        from cityhall.core import jobs, shell
        from cityhall.notifications import codes
        from cityhall.notifications.caps import drop_expired
        from cityhall.notifications.services import DeliveryResult, deliver_outbox

        def deliver(limit: int) -> DeliveryResult:
            """One lease of due messages, delivered."""
            return deliver_outbox(worker=jobs.worker_id(), batch=limit, limit=limit)

        # Last in a round: the messages the other jobs wrote go out in the same round.
        jobs.register("notifications.outbox", deliver, per_round=100, order=90,
                      says=lambda r: {"sent": r.sent, "retried": r.retried,
                                      "failed": r.failed})
        # Held messages whose address was not confirmed in time are dropped, never sent.
        jobs.register("notifications.drop_held", lambda limit: drop_expired(limit=limit),
                      per_round=500, order=80, says=lambda dropped: {"dropped": dropped})
        # Residents' sign-in codes go out through the outbox; a right code confirms the address.
        sign_in_codes.register_sender(codes.send_code)
        sign_in_codes.destination_verified.connect(codes.on_verified,
                                                   dispatch_uid="cityhall.code_verified")
        # The bell with the unread count, in the header of every page (signed in).
        shell.register_header_item("notifications", shell.HeaderItem(
            template="notifications/bell.html", order=10))
