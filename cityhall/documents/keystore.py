"""The key store: the keys that sign documents, registered per holder (a leader's personal
key, a unit's organisation key), and opening them at `sign` and `issue`.

A key lives in a PKCS#12 file or on a PKCS#11 token (`core.signing.KeySource`); the row
(`SigningKey`) says where, names where its passphrase or PIN is (an environment variable
`CITYHALL_KEY_*` of the service, or a file the service can read: never the secret itself),
and keeps what its certificate says. `register_key` and `retire_key` are the writes
(audited, admins only); `usable_key` is what signing asks; `check_key` opens a key, signs
a test digest and judges its chain (`cityhall documents keys check`).
docs/operations.md ("Signing keys") tells an operator how to install one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.core.signing import KeySource, SigningRefused, close_signer, load_signer
from cityhall.core.signing.placement import png_size
from cityhall.core.signing.verify import configured_trust_roots
from cityhall.documents.audit_actions import DocumentAudit
from cityhall.documents.errors import DocumentCode, DocumentError
from cityhall.documents.models import SigningKey
from cityhall.orgunits.models import Unit

#: The environment variables a key's secret may be read from: only these, so that a key
#: registration cannot point at another secret of the service (SECRET_KEY, DATABASE_URL).
SECRET_ENV = re.compile(r"^CITYHALL_KEY_[A-Z0-9_]{1,80}$")
#: What `check_key` signs: any bytes do; these say what they are.
TEST_DATA = b"cityhall signing key check"
#: The certificate usage a document signature needs (what verification asks of it).
KEY_USAGE = {"non_repudiation"}
#: The largest signature or seal image kept.
IMAGE_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class KeyIn:
    """Where a key to register lives and where its secret is (one of env or file)."""

    storage: str  # SigningKey.Storage
    pkcs12_path: str = ""
    module: str = ""
    token_label: str = ""
    key_label: str = ""
    key_id: str = ""
    secret_env: str = ""
    secret_file: str = ""
    image_png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class KeyCheck:
    """What `check_key` found: the key opened, signed, and its certificate's chain."""

    opened: bool
    signed: bool = False
    fingerprint_matches: bool = False
    trusted: bool = False
    within_validity: bool = False
    not_after: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Usable to sign documents that verify as valid."""
        return not self.problems


# --- where the key and its secret are ---------------------------------------------------------


def _secret(*, env: str, path: str) -> str | None:
    """The passphrase or PIN, from the environment or a file; None when neither is named.
    ValueError saying which variable or file is missing, never the secret."""
    if env:
        value = os.environ.get(env)
        if value is None:
            raise ValueError(f"the environment variable {env} is not set for the service")
        return value
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"the secret file {path} cannot be read: "
                             f"{getattr(exc, 'strerror', None) or type(exc).__name__}") from exc
    return None


def source_of(key: SigningKey | KeyIn) -> KeySource:
    """The key's source with its secret read now; ValueError (in words) when it cannot be."""
    secret = _secret(env=key.secret_env, path=key.secret_file)
    if key.storage == SigningKey.Storage.PKCS12:
        path = key.pkcs12_path
        return KeySource.pkcs12(path, secret)
    module = key.pkcs11_module if isinstance(key, SigningKey) else key.module
    return KeySource.pkcs11(module=module, token_label=key.token_label,
                            key_label=key.key_label or None, pin=secret,
                            key_id=key.key_id or None)


def _checked_in(key_in: KeyIn) -> KeyIn:
    """The registration's fields, checked; DocumentError(signing_key_refused) naming each."""
    problems: dict[str, str] = {}
    if key_in.storage not in SigningKey.Storage.values:
        problems["storage"] = _("A PKCS#12 file or a PKCS#11 token.")
    if key_in.storage == SigningKey.Storage.PKCS12:
        if not key_in.pkcs12_path or not Path(key_in.pkcs12_path).is_absolute():
            problems["pkcs12_path"] = _("The absolute path of the PKCS#12 file.")
    elif key_in.storage == SigningKey.Storage.PKCS11:
        allowed = [str(p) for p in getattr(settings, "CITYHALL_PKCS11_MODULES", [])]
        if key_in.module not in allowed:
            # Loading a module runs its code in the service: only those the operator listed.
            problems["module"] = _("Not a PKCS#11 module listed in CITYHALL_PKCS11_MODULES "
                                   "(%(allowed)s).") % {"allowed": ", ".join(allowed) or "-"}
        if not key_in.token_label:
            problems["token_label"] = _("The token's label.")
        if not (key_in.key_label or key_in.key_id):
            problems["key_label"] = _("The key's label or id.")
        if key_in.key_id and not re.fullmatch(r"(?:[0-9a-fA-F]{2}){1,64}", key_in.key_id):
            problems["key_id"] = _("The key id in hexadecimal (e.g. 01).")
    if key_in.secret_env and key_in.secret_file:
        problems["secret_env"] = _("Name an environment variable or a file, not both.")
    elif key_in.secret_env and not SECRET_ENV.match(key_in.secret_env):
        problems["secret_env"] = _("An environment variable named CITYHALL_KEY_..., in "
                                   "capitals.")
    elif key_in.secret_file and not Path(key_in.secret_file).is_absolute():
        problems["secret_file"] = _("The absolute path of the file holding the secret.")
    elif key_in.storage == SigningKey.Storage.PKCS11 and not key_in.secret_env \
            and not key_in.secret_file:
        problems["secret_env"] = _("A token's PIN: name its environment variable or file.")
    if key_in.image_png is not None:
        try:
            png_size(key_in.image_png)
            if len(key_in.image_png) > IMAGE_MAX_BYTES:
                raise ValueError
        except (SigningRefused, ValueError):
            problems["image"] = _("A PNG image of at most 2 MB.")
    if problems:
        raise DocumentError(DocumentCode.SIGNING_KEY_REFUSED, problems)
    return key_in


# --- opening ---------------------------------------------------------------------------------

# Opened PKCS#12 keys, kept for the process while their file and secret file are unchanged:
# opening one derives its passphrase's key (~50 ms, more on a loaded machine), with the
# register's row locked at `issue` otherwise (docs/performance.md).
_LOCK = threading.Lock()
_OPENED: dict[tuple[Any, ...], Signer] = {}


def _stamp(path: str) -> int:
    try:
        return Path(path).stat().st_mtime_ns if path else 0
    except OSError:
        return -1


def fingerprint_of(certificate: asn1_x509.Certificate) -> str:
    """The SHA-256 of the certificate's DER, in hexadecimal."""
    return hashlib.sha256(certificate.dump()).hexdigest()


def _open_source(source: KeySource) -> Signer:
    try:
        return load_signer(source)
    except SigningRefused as exc:
        raise ValueError(str(exc.detail)) from exc


@contextlib.contextmanager
def opened(key: SigningKey) -> Iterator[Signer]:
    """The registered key opened as a pyHanko Signer; a token's session closed after.

    ValueError (in words) when it cannot be opened or its certificate is not the one
    registered (a file or token changed under the row).
    """
    if key.storage == SigningKey.Storage.PKCS12:
        # The environment's secret by its digest: a changed one opens the file again.
        env = os.environ.get(key.secret_env, "") if key.secret_env else ""
        cache = (key.pk, key.fingerprint, key.pkcs12_path, _stamp(key.pkcs12_path),
                 hashlib.sha256(env.encode()).hexdigest(), key.secret_file,
                 _stamp(key.secret_file))
        with _LOCK:
            signer = _OPENED.get(cache)
        if signer is None:
            signer = _open_source(source_of(key))
            _require_same(key, signer)
            with _LOCK:
                _OPENED[cache] = signer
        yield signer
        return
    signer = _open_source(source_of(key))
    try:
        _require_same(key, signer)
        yield signer
    finally:
        close_signer(signer)


def _require_same(key: SigningKey, signer: Signer) -> None:
    certificate = signer.signing_cert
    if certificate is None or fingerprint_of(certificate) != key.fingerprint:
        raise ValueError("the key opened carries another certificate than the one registered")


def _forget(key: SigningKey) -> None:
    with _LOCK:
        for cached in [c for c in _OPENED if c[0] == key.pk]:
            del _OPENED[cached]


# --- checking --------------------------------------------------------------------------------


def _name(name: asn1_x509.Name) -> str:
    return str(name.human_friendly)


def _intermediates(signer: Signer) -> list[asn1_x509.Certificate]:
    registry = signer.cert_registry
    return list(registry) if registry is not None else []


def chain_problem(certificate: asn1_x509.Certificate, intermediates: list[Any], *,
                  now: dt.datetime) -> str:
    """Why the certificate does not chain to the configured trust roots for signing at
    `now` ('' when it does): the same judgement as verifying a signature it makes."""
    context = ValidationContext(
        trust_roots=configured_trust_roots(), other_certs=intermediates, moment=now,
        allow_fetching=bool(getattr(settings, "CITYHALL_SIGNING_FETCH_REVOCATION", False)),
        revocation_mode="soft-fail")
    validator = CertificateValidator(certificate, intermediate_certs=intermediates,
                                     validation_context=context)
    try:
        asyncio.run(validator.async_validate_usage(KEY_USAGE))
    except Exception as exc:  # certvalidator's path building and validation errors
        return f"{type(exc).__name__}: {exc}"
    return ""


def _signature_problem(signer: Signer, certificate: asn1_x509.Certificate) -> str:
    """'' when the key signs and the certificate's public key checks the signature."""
    try:
        signature = asyncio.run(signer.async_sign_raw(TEST_DATA, "sha256"))
        public = x509.load_der_x509_certificate(certificate.dump()).public_key()
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, TEST_DATA, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, TEST_DATA, ec.ECDSA(hashes.SHA256()))
        else:
            return f"a {type(public).__name__} key is not one documents are signed with"
    except Exception as exc:  # a token's or the library's own errors, or InvalidSignature
        return f"the key does not sign: {type(exc).__name__}: {exc}"
    return ""


def _check_signer(signer: Signer, *, now: dt.datetime, fingerprint: str = "") -> KeyCheck:
    certificate = signer.signing_cert
    if certificate is None:
        return KeyCheck(opened=True, problems=["the key has no certificate"])
    problems: list[str] = []
    matches = not fingerprint or fingerprint_of(certificate) == fingerprint
    if not matches:
        problems.append("the key opened carries another certificate than the one registered")
    validity = certificate["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    within = not_before <= now <= not_after
    if not within:
        problems.append(f"the certificate is valid from {not_before:%Y-%m-%d} to "
                        f"{not_after:%Y-%m-%d}")
    signed = _signature_problem(signer, certificate)
    if signed:
        problems.append(signed)
    chain = chain_problem(certificate, _intermediates(signer), now=now)
    if chain:
        problems.append(f"no trusted chain to the configured roots ({chain})")
    return KeyCheck(opened=True, signed=not signed, fingerprint_matches=matches,
                    trusted=not chain, within_validity=within, not_after=not_after,
                    problems=problems)


def check_key(key: SigningKey, *, now: dt.datetime | None = None) -> KeyCheck:
    """Open a registered key, sign a test digest, judge its certificate and chain."""
    now = now or timezone.now()
    problems = [] if key.status == SigningKey.Status.ACTIVE else [f"the key is {key.status}"]
    try:
        signer = _open_source(source_of(key))
    except ValueError as exc:
        return KeyCheck(opened=False, problems=[*problems, str(exc)])
    try:
        found = _check_signer(signer, now=now, fingerprint=key.fingerprint)
    finally:
        close_signer(signer)
    return KeyCheck(**{**found.__dict__, "problems": [*problems, *found.problems]})


# --- the writes ------------------------------------------------------------------------------


def _require_key_admin(actor: audit.Actor) -> User | None:
    """The user who may register and retire keys (a superuser), or None for the system."""
    if actor is audit.SYSTEM:
        return None
    if isinstance(actor, User) and actor.is_active and actor.is_superuser:
        return actor
    raise DocumentError(Common.NOT_ALLOWED, _("Only an administrator registers signing keys."))


def _facts(certificate: asn1_x509.Certificate) -> dict[str, Any]:
    """What the certificate says, as the row keeps it."""
    validity = certificate["tbs_certificate"]["validity"]
    subject = certificate.subject.native
    common = subject.get("common_name", "")
    return {
        "subject": _name(certificate.subject)[:1000], "issuer": _name(certificate.issuer)[:1000],
        "common_name": (", ".join(common) if isinstance(common, list) else str(common))[:300],
        "serial": format(certificate.serial_number, "X")[:80],
        "not_before": validity["not_before"].native, "not_after": validity["not_after"].native,
        "fingerprint": fingerprint_of(certificate),
        "certificate": x509.load_der_x509_certificate(certificate.dump()).public_bytes(
            serialization.Encoding.PEM).decode(),
    }


def register_key(*, actor: audit.Actor, key_in: KeyIn, user: User | None = None,
                 unit: Unit | None = None, replace: bool = False,
                 now: dt.datetime | None = None) -> SigningKey:
    """Register a key for a leader (`user`) or a unit: opened, made to sign a test digest,
    its certificate valid now and chaining to the trust roots; `replace` retires the
    holder's key in use, else one in use refuses. Audited (`documents.signing_key_add`)."""
    now = now or timezone.now()
    admin = _require_key_admin(actor)
    if (user is None) == (unit is None):
        raise DocumentError(DocumentCode.SIGNING_KEY_REFUSED, {
            "holder": _("A key belongs to one leader or one unit.")})
    key_in = _checked_in(key_in)
    if unit is not None and key_in.image_png is None:
        raise DocumentError(DocumentCode.SIGNING_KEY_REFUSED, {
            "image": _("A unit's key needs the image of its seal (PNG).")})
    # Opened outside the transaction: a token may take its time.
    try:
        signer = _open_source(source_of(key_in))
    except ValueError as exc:
        raise DocumentError(DocumentCode.SIGNING_KEY_REFUSED, {"key": str(exc)}) from None
    try:
        found = _check_signer(signer, now=now)
        certificate = signer.signing_cert
    finally:
        close_signer(signer)
    if not found.ok or certificate is None:
        raise DocumentError(DocumentCode.SIGNING_KEY_REFUSED, {"key": "; ".join(found.problems)})
    facts = _facts(certificate)
    holder: dict[str, Any] = {"user": user} if user is not None else {"unit": unit}
    try:
        with transaction.atomic():
            current = list(SigningKey.objects.active().filter(**holder).select_for_update())
            if current and not replace:
                raise DocumentError(DocumentCode.SIGNING_KEY_REFUSED, {"holder": _(
                    "This holder has a key in use: retire it first, or replace it.")})
            for old in current:
                _retire(old, actor=actor, user=admin, now=now, revoked=False,
                        reason="replaced by a new key")
            key = SigningKey.objects.create(
                **holder, storage=key_in.storage, pkcs12_path=key_in.pkcs12_path,
                pkcs11_module=key_in.module, token_label=key_in.token_label,
                key_label=key_in.key_label, key_id=key_in.key_id.lower(),
                secret_env=key_in.secret_env, secret_file=key_in.secret_file,
                image=key_in.image_png, created_at=now, created_by=admin, **facts)
            audit.record(actor=actor, action=DocumentAudit.KEY_ADD, obj=key, unit=unit,
                         changes={"holder": [None, key.holder], "storage": [None, key.storage],
                                  "subject": [None, key.subject[:200]],
                                  "serial": [None, key.serial],
                                  "fingerprint": [None, key.fingerprint],
                                  "not_after": [None, key.not_after.isoformat()],
                                  "replaced": [None, [old.pk for old in current]]})
    except IntegrityError:
        # The certificate is in use by another holder (or a registration raced this one).
        raise DocumentError(DocumentCode.SIGNING_KEY_REFUSED, {"key": _(
            "This certificate is registered to another holder already.")}) from None
    return key


def _retire(key: SigningKey, *, actor: audit.Actor, user: User | None, now: dt.datetime,
            revoked: bool, reason: str) -> None:
    status = SigningKey.Status.REVOKED if revoked else SigningKey.Status.RETIRED
    SigningKey.objects.filter(pk=key.pk).update(status=status, retired_at=now, retired_by=user,
                                                retire_reason=reason)
    audit.record(actor=actor, action=DocumentAudit.KEY_RETIRE, obj=key, unit=key.unit,
                 changes={"status": [key.status, status], "reason": [None, reason[:200]],
                          "serial": [None, key.serial]})
    key.status, key.retired_at, key.retired_by, key.retire_reason = status, now, user, reason
    _forget(key)


def retire_key(*, actor: audit.Actor, key: SigningKey, reason: str, revoked: bool = False,
               now: dt.datetime | None = None) -> SigningKey:
    """Stop using a key (replaced, the leader left), or mark it revoked (compromised, the
    CA revoked it); documents signed before keep their signatures. Audited."""
    now = now or timezone.now()
    admin = _require_key_admin(actor)
    reason = " ".join((reason or "").split())[:1000]
    if not reason:
        raise DocumentError(Common.REASON_REQUIRED, {"reason": _("Say why the key is retired.")})
    with transaction.atomic():
        locked = SigningKey.objects.select_for_update().get(pk=key.pk)
        if locked.status != SigningKey.Status.ACTIVE:
            raise DocumentError(Common.INVALID_STATE, _("The key is %(status)s already.") % {
                "status": locked.get_status_display()})
        _retire(locked, actor=actor, user=admin, now=now, revoked=revoked, reason=reason)
    return locked


# --- what signing asks -----------------------------------------------------------------------


def _holder(user: User | None, unit: Unit | None) -> dict[str, Any]:
    """The filter of one holder's keys (never none: that would match everyone's)."""
    if user is not None:
        return {"user": user}
    if unit is not None:
        return {"unit": unit}
    raise ValueError("a key's holder is a user or a unit")


def usable_key(*, user: User | None = None, unit: Unit | None = None,
               now: dt.datetime) -> SigningKey | None:
    """The holder's key in use, if its certificate is valid at `now`; None when there is
    none; DocumentError(signing_key_unusable) when there is one whose certificate is not
    valid. Opening it (a wrong PIN, a missing file) is the caller's, with `opened`."""
    key = SigningKey.objects.active().filter(**_holder(user, unit)).first()
    if key is None:
        return None
    if not key.not_before <= now <= key.not_after:
        raise DocumentError(DocumentCode.SIGNING_KEY_UNUSABLE, _(
            "The signing key of %(holder)s cannot be used: its certificate is valid from "
            "%(start)s to %(end)s. An administrator registers a new one.") % {
                "holder": key.holder, "start": timezone.localdate(key.not_before),
                "end": timezone.localdate(key.not_after)})
    return key


def no_key_detail(*, user: User | None = None, unit: Unit | None = None) -> str:
    """Why there is no key, for people: none registered, or the last one retired."""
    last = SigningKey.objects.filter(**_holder(user, unit)).order_by("-created_at", "-pk").first()
    who = user.display_name if user is not None else str(unit)
    if last is not None and last.status != SigningKey.Status.ACTIVE:
        return _("%(holder)s has no signing key in use (the last one was %(status)s on "
                 "%(date)s). An administrator registers one: cityhall documents keys add.") % {
            "holder": who, "status": last.get_status_display(),
            "date": timezone.localdate(last.retired_at) if last.retired_at else "-"}
    return _("%(holder)s has no registered signing key. An administrator registers one: "
             "cityhall documents keys add.") % {"holder": who}
