from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "cityhall.plans"
    label = "plans"
    verbose_name = _("Plans and tasks")

    def ready(self) -> None:
        from cityhall.core import jobs, origins, shell
        from cityhall.notifications import links
        from cityhall.plans.origins import describe_task
        from cityhall.plans.services import send_reminders
        from cityhall.plans.views import task_links

        jobs.register("plans.reminders", lambda limit: send_reminders(limit=limit),
                      per_round=200, says=lambda r: {"reminded": r.sent})
        links.register_link("plans.task", task_links)
        # A late task is followed up "now" from its page, as a report or a document is.
        origins.register_origin("task", describe_task)
        shell.register_menu_item(shell.MenuItem(
            label=_("Plans"), url_name="plans:list", namespace="plans", order=30,
            signed_in_only=True))
