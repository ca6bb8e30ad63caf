"""Digital signatures on documents: the one place the `sign` and `issue` steps ask for one.

PAdES signing is `cityhall.core.signing` (pyHanko). Which key signs is decided here:

- the holder's key registered in the key store (`keystore.py`): the signer's personal key
  at `sign` and `issue`, and the unit's key with its seal image at `issue`;
- a holder without a registered key signs with its DEMO key of `cityhall.core.signing.demo`
  (made on first use, marked DEMO in its certificate) only when `CITYHALL_DOCUMENTS_DEMO_KEYS`
  is on (DEBUG); otherwise the step is refused (`no_signing_key`), as it is when the
  registered key cannot be used (`signing_key_unusable`: retired, expired, a wrong PIN).

Nothing is ever issued unsigned, and nothing draws a signature or a seal it did not sign.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from cityhall.accounts.models import User
from cityhall.core.signing import (
    SIGNING_TIME,
    KeySource,
    SignatureBox,
    load_signer,
    personal_signature_box,
    seal_box,
    sign_pdf,
)
from cityhall.documents import keystore
from cityhall.documents.errors import DocumentCode, DocumentError
from cityhall.documents.models import Document, SigningKey
from cityhall.orgunits.models import Unit, UnitKind

if TYPE_CHECKING:
    from cityhall.core.signing.demo import DemoKey

#: The signature fields of a document, in the order they are made.
PERSONAL_FIELD = "Signature-signer"
ORGANISATION_FIELD = "Signature-organisation"


@dataclass(frozen=True)
class Signed:
    """The PDF after signing, and the keys that signed it (as the audit trail names them)."""

    pdf: bytes
    signed: bool
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Key:
    """A key opened to sign: the pyHanko signer, its image, and its name in the audit."""

    signer: Any
    image_png: bytes | None
    label: str
    name: str  # the certificate's holder


@dataclass(frozen=True)
class Keys:
    """The keys of one step: the signer's, and at `issue` the unit's."""

    personal: Key
    organisation: Key | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(k.label for k in (self.personal, self.organisation) if k is not None)


# Opened DEMO keys, kept for the process: opening a PKCS#12 file derives its passphrase's
# key (~50 ms, 250 ms on a loaded machine), and finding a demo key opens its file once more
# to check its issuer. Done for every document, that was two thirds of the `issue` step,
# with the register's row locked (docs/performance.md, "Numbering and signing"). Registered
# keys are kept the same way by `keystore.opened`.
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
    """The opened signer of a demo PKCS#12 key source, kept while its file is unchanged."""
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
    """Whether a holder without a registered key signs with its DEMO key (development)."""
    return bool(getattr(settings, "CITYHALL_DOCUMENTS_DEMO_KEYS", False))


def organisation_of(document: Document) -> str:
    """The organisation as its key names it: 'UBND Phường Sài Gòn', 'Sở Xây dựng'."""
    unit = document.unit
    if unit.kind == UnitKind.DEPARTMENT:
        return unit.name
    return f"UBND {unit.name}"


def _demo(document: Document, *, user: User | None) -> Key:
    from cityhall.core.signing.demo import demo_organisation_key, demo_person_key

    organisation = organisation_of(document)
    if user is not None:
        found = _demo_key(demo_person_key, user.display_name, organisation=organisation,
                          title=document.signer_title)
    else:
        found = _demo_key(demo_organisation_key, organisation)
    return Key(signer=_signer(found.key_source), image_png=found.image_png(),
               label=f"DEMO: {found.common_name}", name=found.common_name)


def _label(key: SigningKey) -> str:
    return f"#{key.pk} {key.common_name} (serial {key.serial})"


@contextlib.contextmanager
def _key(document: Document, *, user: User | None = None, unit: Unit | None = None,
         now: dt.datetime) -> Iterator[Key]:
    """The holder's key opened: its registered one, or its DEMO key when those are on;
    DocumentError(no_signing_key or signing_key_unusable) otherwise."""
    registered = keystore.usable_key(user=user, unit=unit, now=now)
    if registered is None:
        if demo_keys():
            yield _demo(document, user=user)
            return
        raise DocumentError(DocumentCode.NO_SIGNING_KEY,
                            keystore.no_key_detail(user=user, unit=unit))
    with contextlib.ExitStack() as stack:
        try:
            signer = stack.enter_context(keystore.opened(registered))
        except ValueError as exc:
            raise DocumentError(DocumentCode.SIGNING_KEY_UNUSABLE, _(
                "The signing key of %(holder)s cannot be used: %(why)s. An administrator "
                "checks it: cityhall documents keys check %(pk)s.") % {
                    "holder": registered.holder, "why": exc, "pk": registered.pk}) from None
        image = bytes(registered.image) if registered.image else None  # PostgreSQL: a memoryview
        yield Key(signer=signer, image_png=image, label=_label(registered),
                  name=registered.common_name)


@contextlib.contextmanager
def keys_for(document: Document, *, signer: User | None, as_organisation: bool,
             now: dt.datetime) -> Iterator[Keys]:
    """The keys of a step, opened (a token's session closed after the block): the signer's
    personal key, and with `as_organisation` the unit's key (its own, never a parent's).
    Ask before numbering: a refusal must come before the register's row is locked."""
    if signer is None:
        raise DocumentError(DocumentCode.NO_SIGNING_KEY, _("The document has no signer."))
    with contextlib.ExitStack() as stack:
        personal = stack.enter_context(_key(document, user=signer, now=now))
        organisation = (stack.enter_context(_key(document, unit=document.unit, now=now))
                        if as_organisation else None)
        yield Keys(personal=personal, organisation=organisation)


def _text_if_no_image(box: SignatureBox, key: Key) -> SignatureBox:
    """A personal key registered without a signature image shows who signed and when."""
    if key.image_png is not None:
        return box
    return dataclasses.replace(box, text=f"Ký bởi: {key.name}\nNgày ký: {SIGNING_TIME}")


def sign_document(pdf: bytes, *, document: Document, keys: Keys,
                  box: tuple[int, float, float, float, float] | None) -> Signed:
    """Sign `pdf` with the signer's personal key (the leader's approval), and with the
    unit's key too when `keys` has it (issue: the seal over the left third of the
    signature).

    The personal signature's image sits in `box`, the room the page left between the
    signer's title and name (no room: signed invisibly); each signature is its own
    incremental update, so the first stays valid under the second.
    """
    reason = f"Ký ban hành {document.notation}" if document.notation else "Ký duyệt dự thảo"
    personal: SignatureBox | None = None
    if box is not None:
        page, x1, y1, x2, y2 = box
        personal = _text_if_no_image(personal_signature_box(
            page=page, centre_x=(x1 + x2) / 2, top=y2, bottom=y1,
            image_png=keys.personal.image_png), keys.personal)
    pdf = sign_pdf(pdf, keys.personal.signer, field_name=PERSONAL_FIELD, box=personal,
                   reason=reason, location=document.place)
    if keys.organisation is not None:
        seal = (seal_box(personal, image_png=keys.organisation.image_png)
                if personal is not None and keys.organisation.image_png else None)
        pdf = sign_pdf(pdf, keys.organisation.signer, field_name=ORGANISATION_FIELD,
                       box=seal, reason=f"{organisation_of(document)}: {reason}",
                       location=document.place)
    return Signed(pdf=pdf, signed=True, keys=keys.labels)
