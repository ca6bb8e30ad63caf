from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "cityhall.open311"
    label = "open311"
    verbose_name = _("Open311 GeoReport v2")

    def ready(self) -> None:
        from cityhall.core import jobs
        from cityhall.open311.intake import file_pending

        # Queued submissions: at most 500 a round, so the other jobs keep their turn.
        jobs.register("open311.intake", lambda limit: file_pending(limit=limit),
                      per_round=500,
                      says=lambda r: {"filed": r.filed, "refused": r.refused,
                                      "retried": r.retried, "failed": r.failed})
