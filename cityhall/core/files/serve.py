"""Serving a stored file from a view that has already checked who may see it."""

from __future__ import annotations

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponseBase,
    HttpResponseNotModified,
)

from cityhall.core.files.models import StoredFile


def serve_file(
    stored: StoredFile, *, request: HttpRequest | None = None, filename: str = "",
    attachment: bool = False, cache_control: str = "private, max-age=3600",
) -> HttpResponseBase:
    """The file's bytes, streamed from storage through the app, with safe headers.

    The caller has checked permission. The Content-Type is the one sniffed at upload
    (never the client's); `nosniff` stops browsers from guessing another; the disposition
    is `inline` (or `attachment`) with `filename`. The ETag is the SHA-256, so a browser's
    repeated request with `If-None-Match` costs no read from storage.
    """
    etag = f'"{stored.sha256}"'
    if request is not None and stored.sha256 and etag in [
            tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        response = FileResponse(stored.file.open("rb"), content_type=stored.content_type,
                                as_attachment=attachment, filename=filename)
        if not filename:
            response["Content-Disposition"] = "attachment" if attachment else "inline"
    if stored.sha256:
        response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache_control
    return response
