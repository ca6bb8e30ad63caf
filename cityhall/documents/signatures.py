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

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from cityhall.accounts.models import User
from cityhall.core.signing import (
    KeySource,
    SignatureBox,
    load_signer,
    personal_signature_box,
    seal_box,
    sign_pdf,
)

if TYPE_CHECKING:
    from cityhall.core.signing.demo import DemoKey
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


# Opened keys, kept for the process: opening a PKCS#12 file derives its passphrase's key
# (~50 ms, 250 ms on a loaded machine), and finding a demo key opens its file once more to
# check its issuer. Done for every document, that was two thirds of the `issue` step, with
# the register's row locked (docs/performance.md, "Numbering and signing").
_KEYS_LOCK = threading.Lock()
_DEMO_KEYS: dict[tuple[Any, ...], DemoKey] = {}
_SIGNERS: dict[tuple[str, int], Any] = {}


def _stamp(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _demo_key(make: Callable[..., DemoKey], *args: str, **kwargs: str) -> DemoKey:
    """A demo key, looked up once per process while its file and the CA's stay the same
    (a CA made again reissues every key: the next look-up sees the new file)."""
    from cityhall.core.signing.demo import demo_dir
    from cityhall.core.signing.verify import DEMO_CA_FILE

    out = demo_dir()
    key = (make.__name__, args, tuple(sorted(kwargs.items())), str(out),
           _stamp(out / DEMO_CA_FILE))
    with _KEYS_LOCK:
        found = _DEMO_KEYS.get(key)
    source = found.key_source.pkcs12_path if found is not None else None
    if found is None or source is None or not source.exists():
        found = make(*args, **kwargs)
        with _KEYS_LOCK:
            _DEMO_KEYS[key] = found
    return found


def _signer(source: KeySource) -> Any:
    """The opened signer of a PKCS#12 key source, kept while its file is unchanged."""
    path = source.pkcs12_path
    assert path is not None  # noqa: S101 - the demo keys are PKCS#12 files
    key = (str(path), _stamp(path))
    with _KEYS_LOCK:
        found = _SIGNERS.get(key)
    if found is None:
        found = load_signer(source)
        with _KEYS_LOCK:
            _SIGNERS[key] = found
    return found


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
    person = _demo_key(demo_person_key, signer.display_name, organisation=organisation,
                       title=document.signer_title)
    page, x1, y1, x2, y2 = box
    personal: SignatureBox = personal_signature_box(
        page=page, centre_x=(x1 + x2) / 2, top=y2, bottom=y1, image_png=person.image_png())
    reason = f"Ký ban hành {document.notation}" if document.notation else "Ký duyệt dự thảo"
    moment = timezone.localtime().isoformat(timespec="seconds")
    pdf = sign_pdf(pdf, _signer(person.key_source), field_name=PERSONAL_FIELD, box=personal,
                   reason=reason, location=document.place)
    if as_organisation:
        org = _demo_key(demo_organisation_key, organisation)
        pdf = sign_pdf(pdf, _signer(org.key_source), field_name=ORGANISATION_FIELD,
                       box=seal_box(personal, image_png=org.image_png()),
                       reason=f"{organisation}: {reason}", location=document.place)
    return Signed(pdf=pdf, signed=True, note=f"DEMO keys, {moment}")
