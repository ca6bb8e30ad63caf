from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "cityhall.portal"
    label = "portal"
    verbose_name = _("Web portal")

    def ready(self) -> None:
        """Give the admin, cityhall's back office, the site's name."""
        from django.conf import settings
        from django.contrib import admin
        from django.utils.text import format_lazy

        # Lazy, so the header follows the language of each request.
        admin.site.site_header = format_lazy(
            _("{site}: back office"), site=settings.CITYHALL_SITE_NAME
        )
        admin.site.site_title = _("cityhall back office")
        admin.site.index_title = _("Administration")

        from cityhall.core import shell
        from cityhall.portal.views import channels_card, registry_card

        # After the services the apps register (reports: 10, 20): the city's channels, the
        # registry, the open data.
        shell.register_home_panel("portal.channels", shell.Panel(
            template="portal/_home_channels.html", context=channels_card, order=30))
        shell.register_home_panel("portal.registry", shell.Panel(
            template="portal/_home_registry.html", context=registry_card, order=40))
        shell.register_home_panel("portal.open_data", shell.Panel(
            template="portal/_home_open_data.html", context=lambda user: {}, order=50))
