"""Why the signature layer refuses: codes of `core.errors.ErrorCode`, with their statuses."""

from __future__ import annotations

from typing import Any

from cityhall.core.errors import ErrorCode, Refused


class SigningCode(ErrorCode):
    """The refusals of `cityhall.core.signing` (docs/signing.md, docs/api.md)."""

    NOT_A_PDF = "not_a_pdf", 400  # the bytes are not a PDF that can be read
    ENCRYPTED_PDF = "encrypted_pdf", 400  # a PDF locked with a password: not signed or read
    SIGNATURE_FIELD_TAKEN = "signature_field_taken", 409  # that field holds a signature already
    SIGNATURE_BOX_INVALID = "signature_box_invalid", 400  # no such page, or a box off the page
    SIGNATURE_IMAGE_INVALID = "signature_image_invalid", 400  # the image is not a readable PNG
    SIGNING_KEY_UNAVAILABLE = "signing_key_unavailable", 503  # file, passphrase, token or PIN


class SigningRefused(Refused):
    """A refusal of the signature layer; `code` is a `SigningCode`."""

    def __init__(self, code: SigningCode, detail: Any) -> None:
        super().__init__(code, detail)
