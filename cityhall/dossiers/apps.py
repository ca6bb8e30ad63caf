from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "cityhall.dossiers"
    label = "dossiers"
    verbose_name = _("Dossiers (one-stop shop)")

    def ready(self) -> None:
        from cityhall.core import shell
        from cityhall.dossiers.models import Dossier
        from cityhall.dossiers.views.staff import notice_links, staff_panel
        from cityhall.notifications.links import register_link
        from cityhall.workflow import engine

        engine.register_case_type(Dossier, "dossier")
        register_link("dossiers.dossier", notice_links)
        shell.register_panel("dossiers", shell.Panel(
            template="dossiers/_staff_panel.html", context=staff_panel, order=20))
        shell.register_menu_item(shell.MenuItem(
            label=_("Dossier look-up"), url_name="dossiers:lookup", namespace="dossiers",
            order=25))
