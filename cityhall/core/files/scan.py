"""The virus-scanner hook: `CITYHALL_FILE_SCANNER` names a callable that judges each upload."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

#: The scanner's form: given the upload (at its start), its name and sniffed content type,
#: return None when it is clean, or a short reason (a signature name) to refuse it.
Scanner = Callable[..., str | None]


class Infected(Exception):
    """The scanner refused the upload; `reason` is what it said."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ScanFailed(Exception):
    """The scanner could not give an answer (it raised, or is misconfigured)."""


def scanner() -> Scanner | None:
    """The configured scanner, or None when `CITYHALL_FILE_SCANNER` is empty."""
    path = getattr(settings, "CITYHALL_FILE_SCANNER", "")
    return import_string(path) if path else None


def scan(file: IO[bytes], *, name: str, content_type: str) -> None:
    """Run the configured scanner on `file`; raise `Infected` or `ScanFailed`, else return."""
    try:
        judge = scanner()
        if judge is None:
            return
        file.seek(0)
        reason = judge(file, name=name, content_type=content_type)
    except Exception:
        # Fail closed: an upload nobody could scan is not accepted.
        logger.exception("the file scanner failed on %s", content_type)
        raise ScanFailed from None
    finally:
        file.seek(0)
    if reason:
        raise Infected(str(reason)[:200])
