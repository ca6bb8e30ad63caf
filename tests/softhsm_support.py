"""A SoftHSM2 token for the PKCS#11 tests: a key and its certificate imported onto a token
of the test's own, with Debian's softhsm2-util and OpenSC's pkcs11-tool."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

SOFTHSM_MODULE = next((p for p in ("/usr/lib/softhsm/libsofthsm2.so",
                                   "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
                       if Path(p).exists()), None)
NO_SOFTHSM = (SOFTHSM_MODULE is None or shutil.which("softhsm2-util") is None
              or shutil.which("pkcs11-tool") is None)
NO_SOFTHSM_REASON = "SoftHSM2 and OpenSC are not installed (apt-get install softhsm2 opensc)"


def make_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, key: PrivateKeyTypes,
               certificate: x509.Certificate, label: str, pin: str, key_label: str,
               key_id: str) -> None:
    """A token `label` in a directory of the test's, holding the key and its certificate."""
    assert SOFTHSM_MODULE is not None
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "cert.der").write_bytes(certificate.public_bytes(serialization.Encoding.DER))

    def run(*command: str) -> None:
        subprocess.run(command, check=True, capture_output=True,  # noqa: S603
                       env={**os.environ, "SOFTHSM2_CONF": str(conf)})

    run("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin,
        "--so-pin", "12345678")
    run("softhsm2-util", "--import", str(tmp_path / "key.pem"), "--token", label,
        "--label", key_label, "--id", key_id, "--pin", pin)
    run("pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", label, "--login",
        "--pin", pin, "--write-object", str(tmp_path / "cert.der"), "--type", "cert",
        "--label", key_label, "--id", key_id)
    # python-pkcs11 keeps a module initialised for the process, and SoftHSM2 reads
    # SOFTHSM2_CONF (where its tokens are) when initialised: an earlier test's module would
    # look in that test's directory. Unloaded, the next session initialises it afresh.
    import pkcs11

    pkcs11.unload(SOFTHSM_MODULE)
