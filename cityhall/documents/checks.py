"""System checks of the documents' signing settings (`cityhall check`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks


def signing_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """DEMO keys standing in for real ones outside DEBUG; a listed PKCS#11 module missing."""
    found: list[checks.CheckMessage] = []
    if getattr(settings, "CITYHALL_DOCUMENTS_DEMO_KEYS", False) and not settings.DEBUG:
        found.append(checks.Warning(
            "CITYHALL_DOCUMENTS_DEMO_KEYS is on with DEBUG off: leaders and units without a "
            "registered key sign official documents with DEMO keys anyone can use.",
            hint="Unset it and register real keys: cityhall documents keys add "
                 "(docs/operations.md, 'Signing keys').",
            id="cityhall.documents.W001"))
    for module in getattr(settings, "CITYHALL_PKCS11_MODULES", []):
        if not Path(module).is_absolute() or not Path(module).is_file():
            found.append(checks.Error(
                f"The PKCS#11 module {module} in CITYHALL_PKCS11_MODULES is not an absolute "
                "path to a file.", hint="Install the token's driver, or remove it from the "
                                        "list.", id="cityhall.documents.E001"))
    return found
