from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "cityhall.procedures"
    label = "procedures"
    verbose_name = _("Administrative procedures")

    def ready(self) -> None:
        from cityhall.core import shell

        shell.register_menu_item(shell.MenuItem(
            label=_("Procedures"), url_name="procedures:list", namespace="procedures",
            order=20))
