"""The abstract row a domain app gives each stored file (a photo, a component, a scan)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.files.base import ContentFile, File
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def upload_path(instance: StoredFile, filename: str) -> str:
    """`<app's folder>/YYYY/MM/<filename>`: the folder is the model's `storage_folder`."""
    return f"{instance.storage_folder}/{timezone.now():%Y/%m}/{filename}"


class StoredFile(models.Model):
    """A file kept in `STORAGES["default"]` with what was learnt of it when it was checked.

    Subclasses set `storage_folder` and add their own links (the report, the dossier).
    Files are written only through `put`, read only through `core.files.serve_file`
    after the view's own permission check: no storage URL is ever handed out.
    """

    #: The first folder of the stored names (e.g. "reports"); subclasses set it.
    storage_folder = "files"

    file = models.FileField(_("file"), upload_to=upload_path, max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        abstract = True

    def put(self, content: bytes | File[Any], *, content_type: str, extension: str,
            sha256: str = "", stem: str = "") -> None:
        """Write `content` to storage under a name of our own and fill in the columns.

        The row is not saved (the caller saves it in its transaction). `sha256` may be
        given when the caller already computed it; the name never comes from the client.
        """
        if isinstance(content, bytes):
            content = ContentFile(content)
        if not sha256:
            digest = hashlib.sha256()
            content.seek(0)
            for chunk in content.chunks():
                digest.update(chunk)
            sha256 = digest.hexdigest()
        content.seek(0)
        # A random part keeps names unguessable should a bucket ever be listed or exposed.
        name = f"{stem or sha256[:16]}-{secrets.token_hex(4)}.{extension}"
        self.file.save(name, content, save=False)
        self.content_type = content_type
        self.size = content.size
        self.sha256 = sha256
