from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cityhall.accounts"
    label = "accounts"
    verbose_name = _("People and access")

    def ready(self) -> None:
        # Core's scoping and audit know nothing of memberships: this app tells them.
        from cityhall.accounts import scope
        from cityhall.core import audit, scoping

        scoping.register_scope_lookup(scope.scope_of)
        audit.register_capacity_lookup(scope.capacity_of)

        from cityhall.accounts import signin

        signin.connect()
