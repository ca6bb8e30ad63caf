"""Digital signatures on documents: the one place the `sign` and `issue` steps ask for one.

PAdES signing is `cityhall.core.signing` (pyHanko). Which key signs is decided here:

- with `CITYHALL_DOCUMENTS_DEMO_KEYS` (on under DEBUG), the DEMO keys of
  `cityhall.core.signing.demo` (made on first use, marked DEMO in their certificates): the
  signer's personal key, and the organisation's key with its seal image;
- otherwise no key is configured for documents yet (a key store per leader and per unit,
  PKCS#12 or PKCS#11, is still to build): the PDF is kept unsigned and says so
  (`signed=False`). Nothing ever draws a signature or a seal on a file it did not sign.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from cityhall.accounts.models import User
from cityhall.core.signing import (
    SignatureBox,
    open_signer,
    personal_signature_box,
    seal_box,
    sign_pdf,
)
from cityhall.documents.models import Document
from cityhall.orgunits.models import UnitKind

#: The signature fields of a document, in the order they are made.
PERSONAL_FIELD = "Signature-signer"
ORGANISATION_FIELD = "Signature-organisation"


@dataclass(frozen=True)
class Signed:
    """The PDF after signing, and whether it really carries the signatures asked for."""

    pdf: bytes
    signed: bool
    note: str = ""


def demo_keys() -> bool:
    """Whether documents are signed with the DEMO keys (development and tests)."""
    return bool(getattr(settings, "CITYHALL_DOCUMENTS_DEMO_KEYS", False))


def organisation_of(document: Document) -> str:
    """The organisation as its key names it: 'UBND Phường Sài Gòn', 'Sở Xây dựng'."""
    unit = document.unit
    if unit.kind == UnitKind.DEPARTMENT:
        return unit.name
    return f"UBND {unit.name}"


def sign_document(pdf: bytes, *, document: Document, signer: User | None,
                  box: tuple[int, float, float, float, float] | None, as_organisation: bool
                  ) -> Signed:
    """Sign `pdf` as the signer (the leader's approval), and with `as_organisation` then as
    the organisation too (issue: the seal over the left third of the signature).

    The personal signature's image sits in `box`, the room the page left between the
    signer's title and name; each signature is its own incremental update, so the first
    stays valid under the second.
    """
    if not demo_keys():
        return Signed(pdf=pdf, signed=False,
                      note="no signing key is configured for documents: the file is unsigned")
    if signer is None or box is None:
        return Signed(pdf=pdf, signed=False, note="no signer, or no room for the signature")
    from cityhall.core.signing.demo import demo_organisation_key, demo_person_key

    organisation = organisation_of(document)
    person = demo_person_key(signer.display_name, organisation=organisation,
                             title=document.signer_title)
    page, x1, y1, x2, y2 = box
    personal: SignatureBox = personal_signature_box(
        page=page, centre_x=(x1 + x2) / 2, top=y2, bottom=y1, image_png=person.image_png())
    reason = f"Ký ban hành {document.notation}" if document.notation else "Ký duyệt dự thảo"
    moment = timezone.localtime().isoformat(timespec="seconds")
    with open_signer(person.key_source) as key:
        pdf = sign_pdf(pdf, key, field_name=PERSONAL_FIELD, box=personal, reason=reason,
                       location=document.place)
    if as_organisation:
        org = demo_organisation_key(organisation)
        with open_signer(org.key_source) as key:
            pdf = sign_pdf(pdf, key, field_name=ORGANISATION_FIELD,
                           box=seal_box(personal, image_png=org.image_png()),
                           reason=f"{organisation}: {reason}", location=document.place)
    return Signed(pdf=pdf, signed=True, note=f"DEMO keys, {moment}")
