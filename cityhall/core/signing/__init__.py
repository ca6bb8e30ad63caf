"""Digital signatures of official documents: PAdES signing and verification with pyHanko.

A floor module (it imports no other part of cityhall); the documents app calls it.
docs/signing.md says the same at length. The interface:

- `KeySource.pkcs12(path, passphrase)` or `KeySource.pkcs11(module=, token_label=,
  key_label=, pin=, cert_label=None)`: where a key lives; `load_signer(source) -> Signer`
  opens it (a pyHanko Signer; `close_signer(signer)` ends a token session, and
  `open_signer(source)` is the same as a context manager).
- `SignatureBox(page, x, y, width, height, image_png=None, text=None)`: a visible
  signature, in PDF points from the page's bottom-left, page 0 first (-1 the last);
  `{signing_time}` in `text` becomes the signing time (ISO 8601, Vietnam time).
- Decree 30's placements: `personal_signature_box(page=, centre_x=, top=, bottom=,
  image_png=)` (the leader's image between title and name), `seal_box(personal,
  image_png=)` (the organisation's seal over the left third of it), and
  `attachment_stamp_box(first_page=(w, h), number_notation=)` (an attachment: top right of
  the first page, the number and notation and the signing time). `page_size(pdf, page)`
  gives a page's (width, height).
- `sign_pdf(pdf, signer, *, field_name, box, reason, location) -> bytes`: PAdES baseline
  B-B (ETSI.CAdES.detached, SHA-256) in a new field, as an incremental update, so that the
  signatures already there stay valid.
- `verify_pdf(pdf, trust_roots=None) -> list[SignatureReport]`: per signature the signer's
  common name and organisation, the certificate's serial, the signing time, `intact`,
  `trusted`, `covers_whole_document`, `changes`, `modified_after_signing` and `problems`
  (`SignatureProblem` values; `PROBLEM_TEXT` words them); `valid` when there is none.
  Roots by default: CITYHALL_SIGNING_TRUST_ROOTS (PEM files), plus the demo CA when DEBUG
  or CITYHALL_SIGNING_TRUST_DEMO_CA.
- Refusals: `SigningRefused` with a `SigningCode` (`not_a_pdf`, `encrypted_pdf`,
  `signature_field_taken`, `signature_box_invalid`, `signature_image_invalid`,
  `signing_key_unavailable`).
- The DEMO keys (`cityhall demo_pki`): `cityhall.core.signing.demo`.
"""

from __future__ import annotations

from cityhall.core.signing.errors import SigningCode, SigningRefused
from cityhall.core.signing.keys import KeySource, close_signer, load_signer, open_signer
from cityhall.core.signing.placement import (
    A4,
    MM,
    SEAL_DIAMETER,
    SIGNING_TIME,
    SignatureBox,
    attachment_stamp_box,
    personal_signature_box,
    seal_box,
)
from cityhall.core.signing.sign import page_size, sign_pdf, vietnam_time
from cityhall.core.signing.verify import (
    PROBLEM_TEXT,
    Changes,
    SignatureProblem,
    SignatureReport,
    configured_trust_roots,
    verify_pdf,
)

__all__ = [
    "A4",
    "MM",
    "PROBLEM_TEXT",
    "SEAL_DIAMETER",
    "SIGNING_TIME",
    "Changes",
    "KeySource",
    "SignatureBox",
    "SignatureProblem",
    "SignatureReport",
    "SigningCode",
    "SigningRefused",
    "attachment_stamp_box",
    "close_signer",
    "configured_trust_roots",
    "load_signer",
    "open_signer",
    "page_size",
    "personal_signature_box",
    "seal_box",
    "sign_pdf",
    "verify_pdf",
    "vietnam_time",
]
