"""Where a signing key lives (a PKCS#12 file or a PKCS#11 token) and opening it as a Signer."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from cityhall.core.signing.errors import SigningCode, SigningRefused


@dataclass(frozen=True)
class KeySource:
    """A signing key: a PKCS#12 file with its passphrase, or a key on a PKCS#11 token.

    Build one with `KeySource.pkcs12(...)` or `KeySource.pkcs11(...)`. The passphrase and
    the PIN are left out of `repr`, so that a logged source does not show them.
    """

    pkcs12_path: Path | None = None
    passphrase: str | None = field(default=None, repr=False)
    pkcs11_module: str | None = None
    token_label: str | None = None
    key_label: str | None = None
    pin: str | None = field(default=None, repr=False)
    #: The certificate's label on the token, when it differs from the key's.
    cert_label: str | None = None
    #: The key's CKA_ID on the token (hexadecimal), to find it by id as well as or instead
    #: of its label; the certificate is then looked for by the same id.
    key_id: str | None = None

    @classmethod
    def pkcs12(cls, path: str | Path, passphrase: str | None) -> KeySource:
        """A key and its certificate chain in a PKCS#12 (.p12, .pfx) file."""
        return cls(pkcs12_path=Path(path), passphrase=passphrase)

    @classmethod
    def pkcs11(cls, *, module: str, token_label: str, key_label: str | None, pin: str | None,
               cert_label: str | None = None, key_id: str | None = None) -> KeySource:
        """A key on a PKCS#11 token (a USB token, an HSM, SoftHSM2), found by its label, its
        id (hexadecimal CKA_ID), or both."""
        return cls(pkcs11_module=module, token_label=token_label, key_label=key_label or None,
                   pin=pin, cert_label=cert_label, key_id=key_id or None)

    @property
    def kind(self) -> str:
        """"pkcs12" or "pkcs11"."""
        return "pkcs12" if self.pkcs12_path is not None else "pkcs11"


def _unavailable(source: KeySource, why: str) -> SigningRefused:
    where = (str(source.pkcs12_path) if source.kind == "pkcs12"
             else f"{source.pkcs11_module} token {source.token_label!r} key "
                  f"{source.key_label or source.key_id!r}")
    return SigningRefused(SigningCode.SIGNING_KEY_UNAVAILABLE,
                          f"The signing key cannot be opened ({where}): {why}")


class KeptKeySigner(SimpleSigner):
    """pyHanko's SimpleSigner holding its private key parsed, once.

    SimpleSigner parses the key again for every raw signature, twice a document (the size
    estimate, then the signature), and OpenSSL 3 checks an RSA key each time it parses it:
    tens of milliseconds that are most of a signature's cost (docs/performance.md).
    """

    def __init__(self, *, key: PrivateKeyTypes, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign with the kept key (RSA PKCS#1 v1.5 or ECDSA); pyHanko's own way otherwise."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(self._key, EllipticCurvePrivateKey):
            return self._key.sign(data, ECDSA(hash_algorithm))
        result: bytes = super().sign_raw(data, digest_algorithm)
        return result


def _load_pkcs12(source: KeySource) -> Signer:
    assert source.pkcs12_path is not None  # noqa: S101 (narrowing: kind is pkcs12)
    try:
        data = source.pkcs12_path.read_bytes()
    except OSError as exc:
        raise _unavailable(source, exc.strerror or str(exc)) from exc
    passphrase = source.passphrase.encode() if source.passphrase is not None else None
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError as exc:
        raise _unavailable(source, "not a PKCS#12 file, or the wrong passphrase") from exc
    if key is None or cert is None:
        raise _unavailable(source, "the PKCS#12 file holds no key and certificate")
    store = SimpleCertificateStore()
    store.register_multiple([translate_pyca_cryptography_cert_to_asn1(c) for c in chain])
    return KeptKeySigner(key=key, signing_key=translate_pyca_cryptography_key_to_asn1(key),
                         signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
                         cert_registry=store)


def _load_pkcs11(source: KeySource) -> Signer:
    # Imported here: python-pkcs11 is only needed by deployments that use a token.
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    if not (source.pkcs11_module and source.token_label
            and (source.key_label or source.key_id)):
        raise _unavailable(source, "a PKCS#11 source needs a module, a token label and a key "
                                   "label or id")
    try:
        key_id = bytes.fromhex(source.key_id) if source.key_id else None
    except ValueError as exc:
        raise _unavailable(source, "the key id is not hexadecimal") from exc
    try:
        session = open_pkcs11_session(
            source.pkcs11_module, token_criteria=TokenCriteria(label=source.token_label),
            user_pin=source.pin,
        )
    except Exception as exc:  # python-pkcs11 raises its own zoo (no token, wrong PIN, no module)
        raise _unavailable(source, f"{type(exc).__name__}: {exc}") from exc
    # pyHanko looks for the certificate by the key's label and id unless told otherwise.
    signer = PKCS11Signer(session, key_label=source.key_label, key_id=key_id,
                          cert_label=source.cert_label, other_certs_to_pull=None)
    try:
        # Find the key and certificate now, so that a wrong label fails here, not mid-signing.
        if signer.signing_cert is None:
            raise ValueError("no certificate on the token")
    except Exception as exc:
        session.close()
        raise _unavailable(source, f"{type(exc).__name__}: {exc}") from exc
    return signer


def load_signer(source: KeySource) -> Signer:
    """Open the key as a pyHanko Signer; SigningRefused(signing_key_unavailable) if it cannot.

    A PKCS#11 signer keeps its token session open: `close_signer` (or `open_signer`) ends it.
    """
    if source.kind == "pkcs12":
        return _load_pkcs12(source)
    return _load_pkcs11(source)


def close_signer(signer: Signer) -> None:
    """End a PKCS#11 signer's token session; nothing to do for a PKCS#12 signer."""
    session = getattr(signer, "pkcs11_session", None)
    if session is not None:
        session.close()


@contextlib.contextmanager
def open_signer(source: KeySource) -> Iterator[Signer]:
    """`load_signer` for the length of a `with` block, closing a token session after it."""
    signer = load_signer(source)
    try:
        yield signer
    finally:
        close_signer(signer)
