from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "cityhall.documents"
    label = "documents"
    verbose_name = _("Official documents")

    def ready(self) -> None:
        from django.core import checks

        from cityhall.core import origins, shell
        from cityhall.documents.checks import signing_keys
        from cityhall.documents.exchange import CHANNEL, deliver
        from cityhall.documents.models import Document, Handling
        from cityhall.documents.origins import describe_origin
        from cityhall.documents.views import staff_panel
        from cityhall.notifications.services import register_channel
        from cityhall.workflow import engine

        engine.register_case_type(Document, "document")
        engine.register_case_type(Handling, "document_handling")
        # Staff only: a card on the staff home rather than a menu entry residents would see.
        shell.register_panel("documents", shell.Panel(
            template="documents/_staff_panel.html", context=staff_panel, order=30))
        # edXML messages to peers and between our own units go through the outbox.
        register_channel(CHANNEL, deliver)
        checks.register(signing_keys, checks.Tags.security)
        # A document (a directive) gives tasks through plans, which asks here what it is.
        origins.register_origin("document", describe_origin)
