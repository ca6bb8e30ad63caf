"""Verifying a document's PDF signatures: who signed, the chain's verdict against the
configured trust roots, when, and whether the file changed after signing.

One reading of `core.signing.verify_pdf` (`verify_bytes`) for the command (`cityhall
documents verify`), the document page, the API, an uploaded arrived PDF (`arrivals.check`)
and the PDFs of an edXML envelope (`verify_files`, for `exchange`). The verdict is made when
asked (a certificate that expired or a root removed since shows at once); nothing of it is
stored except in the audit entry of an arrival.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from cityhall.core.signing import (
    PROBLEM_TEXT,
    SignatureProblem,
    SignatureReport,
    SigningRefused,
    verify_pdf,
)
from cityhall.documents.models import Document, DocumentFile


class Status(StrEnum):
    """A file's verdict as a whole."""

    VALID = "valid"  # signed, and every signature valid
    INVALID = "invalid"  # at least one signature broken, untrusted, revoked or changed after
    UNSIGNED = "unsigned"  # a readable PDF without any signature
    UNREADABLE = "unreadable"  # not a PDF, a PDF locked with a password, a damaged file


class Chain(StrEnum):
    """The verdict on a signer's certificate chain."""

    TRUSTED = "trusted"  # chains to a configured root, valid now, allowed to sign
    UNTRUSTED = "untrusted"  # no such chain (unknown authority, expired, wrong key usage)
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # the signature could not be read far enough to judge


@dataclass(frozen=True)
class Verification:
    """The signatures of one PDF and the verdict on the whole (`status`)."""

    signatures: list[SignatureReport] = field(default_factory=list)
    #: Why the file could not be read (not a PDF...): then there is no signature to show.
    error: str = ""
    #: The refusal's code when it could not be read (`not_a_pdf`, `encrypted_pdf`).
    error_code: str = ""

    @property
    def status(self) -> Status:
        if self.error:
            return Status.UNREADABLE
        if not self.signatures:
            return Status.UNSIGNED
        return Status.VALID if all(s.valid for s in self.signatures) else Status.INVALID

    @property
    def valid(self) -> bool:
        return self.status == Status.VALID


def chain_of(report: SignatureReport) -> Chain:
    """The chain's verdict of one signature."""
    if SignatureProblem.UNREADABLE in report.problems:
        return Chain.UNKNOWN
    if SignatureProblem.REVOKED in report.problems:
        return Chain.REVOKED
    return Chain.TRUSTED if report.trusted else Chain.UNTRUSTED


def problem_texts(report: SignatureReport) -> list[str]:
    """The signature's problems in words (the reason of an unreadable one after it)."""
    texts: list[str] = []
    for problem in report.problems:
        try:
            texts.append(str(PROBLEM_TEXT[SignatureProblem(problem)]))
        except ValueError:
            texts.append(str(problem))  # the reason that follows `unreadable`
    return texts


def verify_bytes(pdf: bytes, trust_roots: list[Any] | None = None) -> Verification:
    """Verify a PDF's signatures; never raises for a bad file (`status` is `unreadable`)."""
    try:
        return Verification(signatures=verify_pdf(pdf, trust_roots))
    except SigningRefused as exc:
        return Verification(error=str(exc.detail), error_code=str(exc.code))


def verify_files(pdfs: list[bytes]) -> tuple[list[dict[str, Any]], bool]:
    """The PDFs of an edXML envelope, each verified by `verify_bytes`: one entry per
    signature (or per file that is unreadable or unsigned, with its `error`), as an
    `Arrival` keeps them, and whether there is a file and every one is validly signed."""
    found: list[dict[str, Any]] = []
    valid = bool(pdfs)
    for number, data in enumerate(pdfs, start=1):
        verification = verify_bytes(data)
        valid = valid and verification.valid
        if verification.status == Status.UNREADABLE:
            found.append({"file": number, "error": verification.error_code})
        elif verification.status == Status.UNSIGNED:
            found.append({"file": number, "error": "unsigned"})
        found.extend({"file": number, "signer": r.signer_name, "organisation": r.organisation,
                      "valid": r.valid, "chain": chain_of(r).value,
                      "problems": [str(p) for p in r.problems],
                      "signing_time": r.signing_time.isoformat() if r.signing_time else None}
                     for r in verification.signatures)
    return found, valid


#: The file kinds whose signatures mean something (a scan of paper carries none).
SIGNED_KINDS = (DocumentFile.Kind.ISSUED, DocumentFile.Kind.LEADER, DocumentFile.Kind.ARRIVED)


def file_to_verify(document: Document) -> DocumentFile | None:
    """The file whose signatures the document shows: the latest one issued, approved or
    arrived (the one `GET .../pdf` serves when there is no scan)."""
    return (DocumentFile.objects.filter(document=document, kind__in=SIGNED_KINDS)
            .order_by("-created_at", "-pk").first())


@dataclass(frozen=True)
class DocumentVerification:
    """A document's file and the verification of its signatures."""

    file: DocumentFile
    verification: Verification
    checked_at: dt.datetime


def verify_document(document: Document, *, now: dt.datetime) -> DocumentVerification | None:
    """Verify the signatures of the document's file; None when it keeps no such file."""
    stored = file_to_verify(document)
    if stored is None:
        return None
    with stored.file.open("rb") as handle:
        data = handle.read()
    return DocumentVerification(file=stored, verification=verify_bytes(data), checked_at=now)


def signature_out(report: SignatureReport) -> dict[str, Any]:
    """One signature as the API and the page give it."""
    return {
        "field_name": report.field_name, "signer": report.signer_name,
        "organisation": report.organisation, "issuer": report.issuer,
        "serial": report.serial, "chain": chain_of(report).value,
        "signing_time": report.signing_time, "intact": report.intact,
        "modified_after_signing": report.modified_after_signing, "valid": report.valid,
        "problems": [str(p) for p in report.problems], "problem_texts": problem_texts(report),
    }


def verification_out(found: DocumentVerification | None) -> dict[str, Any] | None:
    """The verification as `GET /api/v1/documents/{id}` gives it."""
    if found is None:
        return None
    verification = found.verification
    return {"file_kind": found.file.kind, "sha256": found.file.sha256,
            "status": verification.status.value, "valid": verification.valid,
            "error": verification.error, "checked_at": found.checked_at,
            "signatures": [signature_out(r) for r in verification.signatures]}


def summary(verification: Verification) -> dict[str, Any]:
    """A short account for an audit entry: the status and each signer with its verdict."""
    return {"status": verification.status.value, "error": verification.error[:200],
            "signatures": [{"signer": r.signer_name[:200], "chain": chain_of(r).value,
                            "intact": r.intact, "modified": r.modified_after_signing,
                            "time": r.signing_time.isoformat() if r.signing_time else None}
                           for r in verification.signatures]}


def status_text(status: Status) -> str:
    """The verdict in words, for people."""
    return {
        Status.VALID: _("Every signature is valid."),
        Status.INVALID: _("A signature is not valid."),
        Status.UNSIGNED: _("The PDF carries no digital signature."),
        Status.UNREADABLE: _("The PDF cannot be read."),
    }[status]
