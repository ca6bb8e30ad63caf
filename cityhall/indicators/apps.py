from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "cityhall.indicators"
    label = "indicators"
    verbose_name = _("Indicators and the leaders' dashboard")

    def ready(self) -> None:
        from cityhall.core import facts, shell
        from cityhall.indicators.tallies import count_facts
        from cityhall.indicators.views import staff_panel

        # The daily roll-ups move in the same transaction as every counted change.
        facts.register(count_facts)
        shell.register_menu_item(shell.MenuItem(
            label=_("Figures"), url_name="indicators:public", namespace="indicators",
            order=40, exact=True))
        shell.register_panel("indicators", shell.Panel(
            template="indicators/_staff_panel.html", context=staff_panel, order=30))
