from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "cityhall.reports"
    label = "reports"
    verbose_name = _("Residents' reports")

    def ready(self) -> None:
        from cityhall.core import origins, shell
        from cityhall.notifications.links import register_link
        from cityhall.notifications.services import register_secret
        from cityhall.orgunits.reorganisation import register_handler
        from cityhall.reports.models import Report
        from cityhall.reports.services.notices import follow_link
        from cityhall.reports.services.reorganisation import move_open_reports
        from cityhall.reports.views.links import describe_origin, notice_links
        from cityhall.reports.views.mine import home_lookup_card, home_report_card
        from cityhall.reports.views.staff import staff_panel
        from cityhall.workflow import engine

        engine.register_case_type(Report, "report")
        register_handler("reports", move_open_reports)
        register_secret("report_follow_link", follow_link)
        register_link("reports.report", notice_links)
        origins.register_origin("request", describe_origin)
        shell.register_menu_item(shell.MenuItem(
            label=_("Reports"), url_name="reports:report_list", namespace="reports", order=10))
        shell.register_panel("reports", shell.Panel(
            template="reports/_staff_panel.html", context=staff_panel, order=10))
        shell.register_menu_item(shell.MenuItem(
            label=_("My reports"), url_name="reports:my_reports", namespace="reports", order=5,
            residents_only=True, exact=True))
        shell.register_resident_home("reports:my_reports")
        # The home page leads with the services: sending a report, then looking one up.
        shell.register_home_panel("reports.send", shell.Panel(
            template="reports/_home_report.html", context=home_report_card, order=10))
        shell.register_home_panel("reports.lookup", shell.Panel(
            template="reports/_home_lookup.html", context=home_lookup_card, order=20))
