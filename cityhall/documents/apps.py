from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "cityhall.documents"
    label = "documents"
    verbose_name = _("Official documents")

    def ready(self) -> None:
        from cityhall.core import shell
        from cityhall.documents.models import Document, Handling
        from cityhall.workflow import engine

        engine.register_case_type(Document, "document")
        engine.register_case_type(Handling, "document_handling")
        shell.register_menu_item(shell.MenuItem(
            label=_("Documents"), url_name="documents:registers", namespace="documents",
            order=40, signed_in_only=True))
