from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "cityhall.procedures"
    label = "procedures"
    verbose_name = _("Administrative procedures")

    def ready(self) -> None:
        from cityhall.core import shell

        # The catalogue is written only by commands, which no page imports: load its audit
        # actions with the app, so that every process knows them.
        from cityhall.procedures import audit_actions  # noqa: F401

        shell.register_menu_item(shell.MenuItem(
            label=_("Procedures"), url_name="procedures:list", namespace="procedures",
            order=20))
