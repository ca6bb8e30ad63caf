"""Checking the signatures in a PDF: who signed, when, whether the bytes and the chain hold."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeAlias

from asn1crypto import pem, x509
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from cityhall.core.signing.errors import SigningCode, SigningRefused
from cityhall.core.signing.sign import VIETNAM, open_pdf

#: The demo certificate authority's file in the demo directory (`cityhall demo_pki`).
DEMO_CA_FILE = "demo-ca.pem"

#: A trust root as `verify_pdf` takes it: a certificate (asn1crypto or cryptography), its PEM
#: or DER bytes, or the path of a PEM file (which may hold several).
TrustRoot: TypeAlias = x509.Certificate | pyca_x509.Certificate | bytes | str | Path


class SignatureProblem(StrEnum):
    """What can be wrong with one signature; `SignatureReport.problems` holds these."""

    NOT_INTACT = "not_intact"  # the signed bytes changed, or the signature does not match them
    UNTRUSTED = "untrusted"  # no valid chain to a configured root (or expired, wrong usage)
    REVOKED = "revoked"  # the certificate was revoked
    MODIFIED = "modified_after_signing"  # later changes other than signatures and form filling
    UNREADABLE = "unreadable"  # the signature could not be read or checked at all


#: What each problem means, for people.
PROBLEM_TEXT: dict[SignatureProblem, Promise] = {
    SignatureProblem.NOT_INTACT: _("The signed content was changed: the signature does not "
                                   "match it."),
    SignatureProblem.UNTRUSTED: _("The signer's certificate does not chain to a trusted "
                                  "certificate authority."),
    SignatureProblem.REVOKED: _("The signer's certificate has been revoked."),
    SignatureProblem.MODIFIED: _("The file was changed after this signature was made."),
    SignatureProblem.UNREADABLE: _("The signature cannot be read."),
}


class Changes(StrEnum):
    """What was added to the file after a signature (`SignatureReport.changes`)."""

    NONE = "none"  # the signature covers the whole file
    SIGNATURES = "signatures"  # only later signatures, form filling or validation data
    ANNOTATIONS = "annotations"  # comments or other annotations were added
    OTHER = "other"  # content or structure changed
    UNKNOWN = "unknown"  # the later revisions could not be compared


@dataclass(frozen=True)
class SignatureReport:
    """One signature in a PDF, as `verify_pdf` found it; valid when `problems` is empty."""

    field_name: str
    signer_name: str  # the certificate's common name
    organisation: str  # the certificate's organisation (O)
    serial: str  # the certificate's serial number, in hexadecimal
    issuer: str  # the issuing authority's common name
    signing_time: dt.datetime | None  # as the signer claims it (/M), in Vietnam's time
    intact: bool  # the signed bytes are unchanged and the signature matches them
    trusted: bool  # the certificate chains to a configured trust root
    covers_whole_document: bool  # nothing was appended after this signature
    changes: Changes  # what was appended after it
    modified_after_signing: bool  # changes beyond later signatures and form filling
    problems: list[str] = field(default_factory=list)  # SignatureProblem values
    reason: str = ""
    location: str = ""

    @property
    def valid(self) -> bool:
        """Intact, trusted, not revoked and not modified after signing."""
        return not self.problems


def load_certificates(item: TrustRoot) -> list[x509.Certificate]:
    """The certificates of a trust root (a PEM file may hold several)."""
    if isinstance(item, x509.Certificate):
        return [item]
    if isinstance(item, pyca_x509.Certificate):
        return [x509.Certificate.load(item.public_bytes(Encoding.DER))]
    data = Path(item).read_bytes() if isinstance(item, str | Path) else item
    if pem.detect(data):
        return [x509.Certificate.load(der) for _type, _headers, der in pem.unarmor(data, True)]
    return [x509.Certificate.load(data)]


def demo_ca_trusted() -> bool:
    """Whether the demo CA counts as a root: DEBUG, or CITYHALL_SIGNING_TRUST_DEMO_CA."""
    return bool(getattr(settings, "CITYHALL_SIGNING_TRUST_DEMO_CA", settings.DEBUG))


def configured_trust_roots() -> list[x509.Certificate]:
    """The roots of CITYHALL_SIGNING_TRUST_ROOTS (PEM files), plus the demo CA when trusted."""
    paths = [Path(p) for p in getattr(settings, "CITYHALL_SIGNING_TRUST_ROOTS", [])]
    if demo_ca_trusted():
        demo = Path(getattr(settings, "CITYHALL_SIGNING_DEMO_DIR", "var/pki")) / DEMO_CA_FILE
        if demo.exists():
            paths.append(demo)
    roots: list[x509.Certificate] = []
    for path in paths:
        roots.extend(load_certificates(path))
    return roots


def _name(name: x509.Name, key: str) -> str:
    value: Any = name.native.get(key, "")
    return ", ".join(value) if isinstance(value, list) else str(value)


def _changes(status: PdfSignatureStatus) -> Changes:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return Changes.NONE
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return Changes.OTHER
    level = status.modification_level
    if level is None:
        return Changes.UNKNOWN
    if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
                 ModificationLevel.FORM_FILLING):
        return Changes.SIGNATURES if status.docmdp_ok else Changes.OTHER
    if level == ModificationLevel.ANNOTATIONS:
        return Changes.ANNOTATIONS
    return Changes.OTHER


def _described(embedded: Any) -> dict[str, Any]:
    """What the signature says of itself: field, signer, certificate, reason, location."""
    described: dict[str, Any] = {
        "field_name": str(embedded.field_name), "signer_name": "", "organisation": "",
        "serial": "", "issuer": "",
        "reason": str(embedded.sig_object.get("/Reason", "")),
        "location": str(embedded.sig_object.get("/Location", "")),
    }
    try:
        cert: x509.Certificate = embedded.signer_cert
        described.update(
            signer_name=_name(cert.subject, "common_name"),
            organisation=_name(cert.subject, "organization_name"),
            serial=format(cert.serial_number, "X"), issuer=_name(cert.issuer, "common_name"),
        )
    except Exception:  # noqa: S110 (a CMS without a readable certificate: reported as unreadable)
        pass
    return described


def _unreadable(described: dict[str, Any], error: Exception) -> SignatureReport:
    return SignatureReport(
        **described, signing_time=None, intact=False, trusted=False,
        covers_whole_document=False, changes=Changes.UNKNOWN, modified_after_signing=True,
        problems=[SignatureProblem.UNREADABLE, f"{type(error).__name__}: {error}"],
    )


def _report(embedded: Any, context: ValidationContext) -> SignatureReport:
    base = _described(embedded)
    try:
        status = validate_pdf_signature(embedded, signer_validation_context=context)
    except Exception as exc:  # a malformed signature must be reported, not crash the page
        return _unreadable(base, exc)
    changes = _changes(status)
    intact = bool(status.intact and status.valid)
    problems: list[str] = []
    if not intact:
        problems.append(SignatureProblem.NOT_INTACT)
    if status.revoked:
        problems.append(SignatureProblem.REVOKED)
    elif not status.trusted:
        problems.append(SignatureProblem.UNTRUSTED)
    modified = changes not in (Changes.NONE, Changes.SIGNATURES)
    if modified:
        problems.append(SignatureProblem.MODIFIED)
    claimed = status.signer_reported_dt
    return SignatureReport(
        **base, signing_time=claimed.astimezone(VIETNAM) if claimed else None, intact=intact,
        trusted=bool(status.trusted), covers_whole_document=changes == Changes.NONE,
        changes=changes, modified_after_signing=modified, problems=problems,
    )


def verify_pdf(pdf: bytes, trust_roots: Iterable[TrustRoot] | None = None
               ) -> list[SignatureReport]:
    """A report on each signature of the PDF, in signing order; an empty list when unsigned.

    `trust_roots` None takes the configured roots (`configured_trust_roots`). Chains are
    judged now, without fetching revocation data (CITYHALL_SIGNING_FETCH_REVOCATION turns it
    on). SigningRefused(not_a_pdf or encrypted_pdf) when the file cannot be read.
    """
    open_pdf(pdf)  # the same refusals as signing, for a file that is not a readable PDF
    roots = (configured_trust_roots() if trust_roots is None
             else [cert for item in trust_roots for cert in load_certificates(item)])
    context = ValidationContext(
        trust_roots=roots,
        allow_fetching=bool(getattr(settings, "CITYHALL_SIGNING_FETCH_REVOCATION", False)),
        revocation_mode="soft-fail",
    )
    try:
        # Strict parsing for verification: a damaged structure must not be papered over.
        reader = PdfFileReader(io.BytesIO(pdf), strict=True)
        found = _signatures(reader)
    except (PdfError, ValueError, KeyError, TypeError):
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            found = _signatures(reader)
        except (PdfError, ValueError, KeyError, TypeError) as exc:
            raise SigningRefused(SigningCode.NOT_A_PDF,
                                 f"The PDF's signatures cannot be read: {exc}") from exc
    readable = sorted((item for item in found if not isinstance(item[1], Exception)),
                      key=lambda item: item[1].signed_revision)
    return ([_report(embedded, context) for _name, embedded in readable]
            + [_unreadable({"field_name": name, "signer_name": "", "organisation": "",
                            "serial": "", "issuer": "", "reason": "", "location": ""}, error)
               for name, error in found if isinstance(error, Exception)])


def _signatures(reader: PdfFileReader) -> list[tuple[str, Any]]:
    """Each signed field's signature, or why it cannot be read (a damaged CMS container, a
    kind pyHanko does not know): such a signature is reported, never skipped."""
    found: list[tuple[str, Any]] = []
    for name, value, field_ref in fields.enumerate_sig_fields(reader, filled_status=True):
        if value.get_object().get("/Type") == "/DocTimeStamp":
            continue  # a document timestamp is no one's signature
        try:
            found.append((name, EmbeddedPdfSignature(reader, field_ref, name)))
        except Exception as exc:  # asn1crypto and pyHanko raise many kinds on a bad container
            found.append((name, exc))
    return found
