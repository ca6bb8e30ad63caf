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
