"""Why an upload is refused: a stable code and a message for people."""

from __future__ import annotations

from enum import StrEnum


class FileError(StrEnum):
    """The refusal codes of the file layer; a domain app may prefix them with its own word."""

    TYPE = "type"  # not one of the policy's types, judged from the bytes
    TOO_LARGE = "too_large"  # more bytes than the policy allows
    TOO_MANY_PIXELS = "too_many_pixels"  # an image whose header declares too many pixels
    TOO_MANY_PAGES = "too_many_pages"  # a PDF with more pages than the policy allows
    ENCRYPTED = "encrypted"  # a PDF that cannot be read without a password
    INFECTED = "infected"  # the virus scanner refused it
    SCAN_FAILED = "scan_failed"  # the virus scanner could not say (refused: fail closed)


class FileRejected(ValueError):
    """An upload the policy refuses; `code` is a `FileError`, `detail` is for people."""

    def __init__(self, code: FileError, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
