"""The key store of signing keys: keys registered for a leader and a unit (PKCS#12, and a
PKCS#11 token on SoftHSM2) sign documents at `sign` and `issue`, and without a usable key
(none, another unit's, retired, expired, a wrong passphrase) the step is refused and
nothing changes. Production settings: no DEMO keys, the test CA the only trust root."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cityhall.accounts.models import Role, User
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.core.signing import demo
from cityhall.core.signing.demo import DemoKey
from cityhall.documents import keystore, services, verification
from cityhall.documents.errors import DocumentError
from cityhall.documents.models import Document, DocumentFile, Register, SigningKey
from tests.admin_support import admin_client
from tests.documents_support import decision
from tests.factories import Personas, bearer, make_staff
from tests.softhsm_support import NO_SOFTHSM, NO_SOFTHSM_REASON, SOFTHSM_MODULE, make_token

pytestmark = [pytest.mark.django_db]

PASSPHRASE = demo.DEMO_PASSPHRASE


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA of its own (made by the demo PKI's code, in a directory of the tests)."""
    return tmp_path_factory.mktemp("keystore-pki")


@pytest.fixture(scope="module")
def leader_key(pki: Path) -> DemoKey:
    return demo.demo_person_key("Lê Văn Ký", organisation="UBND Phường Thử",
                                title="Chủ tịch", out=pki)


@pytest.fixture(scope="module")
def unit_key(pki: Path) -> DemoKey:
    return demo.demo_organisation_key("UBND Phường Thử", out=pki)


@pytest.fixture(scope="module")
def expired_p12(pki: Path) -> Path:
    """A PKCS#12 key whose certificate, from the test CA, ended yesterday."""
    authority = demo.ensure_demo_ca(pki)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hết Hạn")]))
        .issuer_name(authority.certificate.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now - dt.timedelta(days=1))
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(authority.key, hashes.SHA256()))
    path = pki / "expired.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        name=b"expired", key=key, cert=certificate, cas=[authority.certificate],
        encryption_algorithm=serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    return path


@pytest.fixture
def production(settings: Any, pki: Path, leader_key: DemoKey, monkeypatch: pytest.MonkeyPatch
               ) -> Path:
    """DEBUG's DEMO keys and DEMO CA off; the test CA the one trust root; the passphrase in
    the service's environment and in a file."""
    settings.CITYHALL_DOCUMENTS_DEMO_KEYS = False
    settings.CITYHALL_SIGNING_TRUST_DEMO_CA = False
    settings.CITYHALL_SIGNING_TRUST_ROOTS = [str(pki / "demo-ca.pem")]
    settings.CITYHALL_PKCS11_MODULES = [SOFTHSM_MODULE] if SOFTHSM_MODULE else []
    monkeypatch.setenv("CITYHALL_KEY_TEST", PASSPHRASE)
    secret = pki / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    return secret


@pytest.fixture
def clerk(people: Personas) -> User:
    return make_staff("k.clerk", people.ward, Role.CLERK)


def p12(key: DemoKey, **kw: Any) -> keystore.KeyIn:
    assert key.key_source.pkcs12_path is not None
    values: dict[str, Any] = {"storage": "pkcs12", "pkcs12_path": str(key.key_source.pkcs12_path),
                              "secret_env": "CITYHALL_KEY_TEST"}
    values.update(kw)
    return keystore.KeyIn(**values)


def register_both(people: Personas, leader_key: DemoKey, unit_key: DemoKey,
                  secret_file: Path) -> tuple[SigningKey, SigningKey]:
    personal = keystore.register_key(actor=SYSTEM, user=people.leader, key_in=p12(leader_key))
    organisation = keystore.register_key(
        actor=SYSTEM, unit=people.ward, key_in=p12(unit_key, secret_env="",
                                                   secret_file=str(secret_file),
                                                   image_png=unit_key.image_png()))
    return personal, organisation


def reviewed(people: Personas) -> Document:
    document = services.draft_document(actor=people.officer, unit=people.ward,
                                       draft=decision(signer=people.leader))
    services.act_on_document(actor=people.officer, document=document, action="review")
    return document


def refused(actor: User, document: Document, action: str, **kw: Any) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        services.act_on_document(actor=actor, document=document, action=action, **kw)
    return caught.value


def test_registered_pkcs12_keys_sign_and_issue_a_document_that_verifies(
        people: Personas, clerk: User, production: Path, leader_key: DemoKey,
        unit_key: DemoKey) -> None:
    personal, organisation = register_both(people, leader_key, unit_key, production)
    assert (personal.common_name, organisation.common_name) == (
        leader_key.common_name, unit_key.common_name)
    assert personal.not_after > personal.not_before and len(personal.fingerprint) == 64
    assert "BEGIN CERTIFICATE" in personal.certificate
    document = reviewed(people)
    services.act_on_document(actor=people.leader, document=document, action="sign")
    services.act_on_document(actor=clerk, document=document, action="issue")
    document.refresh_from_db()
    assert document.state == "issued" and document.notation == "01/QĐ-UBND"
    files = {f.kind: f for f in DocumentFile.objects.filter(document=document)}
    approved = verification.verify_bytes(files["leader"].file.read())
    assert approved.valid and [s.signer_name for s in approved.signatures] == [
        leader_key.common_name]
    final = verification.verify_bytes(files["issued"].file.read())
    assert final.valid, [s.problems for s in final.signatures]
    assert [s.signer_name for s in final.signatures] == [leader_key.common_name,
                                                         unit_key.common_name]
    assert files["issued"].signed
    number = AuditEntry.objects.get(action="documents.number", object_id=str(document.pk))
    assert number.changes["keys"][1] == [f"#{personal.pk} {personal.common_name} (serial "
                                         f"{personal.serial})",
                                         f"#{organisation.pk} {organisation.common_name} "
                                         f"(serial {organisation.serial})"]
    assert AuditEntry.objects.filter(action="documents.sign", object_id=str(document.pk)
                                     ).count() == 1
    assert AuditEntry.objects.filter(action="documents.signing_key_add").count() == 2


def test_without_a_key_sign_is_refused_by_the_api_and_the_page_and_nothing_changes(
        people: Personas, production: Path) -> None:
    document = reviewed(people)
    error = refused(people.leader, document, "sign")
    assert error.code == "no_signing_key" and people.leader.display_name in str(error.detail)
    document.refresh_from_db()
    assert document.state == "reviewed" and not DocumentFile.objects.filter(
        document=document).exists()
    answer = Client().post(f"/api/v1/documents/{document.pk}/actions/sign", data="{}",
                           content_type="application/json", headers=bearer(people.leader))
    assert answer.status_code == 409 and answer.json()["code"] == "no_signing_key"
    client = Client()
    client.force_login(people.leader)
    page = client.post(reverse("documents:act", args=[document.pk, "sign"]), follow=True)
    assert page.status_code == 200
    assert "chưa có khóa ký số đã đăng ký" in page.content.decode()
    document.refresh_from_db()
    assert document.state == "reviewed"


def test_issue_needs_the_units_own_key_and_takes_no_number_without_it(
        people: Personas, clerk: User, production: Path, leader_key: DemoKey,
        unit_key: DemoKey) -> None:
    keystore.register_key(actor=SYSTEM, user=people.leader, key_in=p12(leader_key))
    # Another ward's key is no key of this ward.
    keystore.register_key(actor=SYSTEM, unit=people.other_ward,
                          key_in=p12(unit_key, image_png=unit_key.image_png()))
    document = reviewed(people)
    services.act_on_document(actor=people.leader, document=document, action="sign")
    error = refused(clerk, document, "issue")
    assert error.code == "no_signing_key" and people.ward.name in str(error.detail)
    document.refresh_from_db()
    assert (document.state, document.number) == ("signed", None)
    assert not Register.objects.filter(unit=people.ward, last_number__gt=0).exists()
    assert not DocumentFile.objects.filter(document=document, kind="issued").exists()


def test_a_retired_key_an_expired_certificate_or_a_wrong_passphrase_is_refused(
        people: Personas, production: Path, leader_key: DemoKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    key = keystore.register_key(actor=SYSTEM, user=people.leader, key_in=p12(leader_key))
    document = reviewed(people)
    # A certificate past its end: the step's moment is after it.
    late = key.not_after + dt.timedelta(days=1)
    assert refused(people.leader, document, "sign", now=late).code == "signing_key_unusable"
    # The passphrase the service holds is no longer the key's.
    monkeypatch.setenv("CITYHALL_KEY_TEST", "not-it-4242")
    error = refused(people.leader, document, "sign")
    assert error.code == "signing_key_unusable" and "not-it-4242" not in str(error.detail)
    monkeypatch.setenv("CITYHALL_KEY_TEST", PASSPHRASE)
    keystore.retire_key(actor=SYSTEM, key=key, reason="the leader left", revoked=True)
    with translation.override("en"):
        error = refused(people.leader, document, "sign")
        assert error.code == "no_signing_key" and "(the last one was revoked on" in str(
            error.detail)
    document.refresh_from_db()
    assert document.state == "reviewed" and not document.files.exists()
    retired = AuditEntry.objects.get(action="documents.signing_key_retire")
    assert retired.changes["status"] == ["active", "revoked"]


def test_registration_refuses_what_would_not_sign_valid_documents(
        people: Personas, production: Path, leader_key: DemoKey, unit_key: DemoKey,
        expired_p12: Path, settings: Any) -> None:
    def code_of(**kw: Any) -> tuple[str, list[str]]:
        holder = {"user": people.leader} if "unit" not in kw else {}
        with pytest.raises(DocumentError) as caught:
            keystore.register_key(**{"actor": SYSTEM, **holder, **kw})
        detail = caught.value.detail
        return str(caught.value.code), sorted(detail) if isinstance(detail, dict) else []

    assert code_of(key_in=p12(leader_key, secret_env="SECRET_KEY")) == (
        "signing_key_refused", ["secret_env"])
    assert code_of(key_in=p12(leader_key, pkcs12_path="relative.p12")) == (
        "signing_key_refused", ["pkcs12_path"])
    assert code_of(key_in=keystore.KeyIn(storage="pkcs11", module="/tmp/evil.so",  # noqa: S108
                                         token_label="t", key_label="k",
                                         secret_env="CITYHALL_KEY_TEST")) == (
        "signing_key_refused", ["module"])
    assert code_of(key_in=p12(leader_key, secret_env="CITYHALL_KEY_UNSET")) == (
        "signing_key_refused", ["key"])
    assert code_of(key_in=keystore.KeyIn(storage="pkcs12", pkcs12_path=str(expired_p12),
                                         secret_env="CITYHALL_KEY_TEST")) == (
        "signing_key_refused", ["key"])
    assert code_of(unit=people.ward, key_in=p12(unit_key)) == ("signing_key_refused",
                                                                ["image"])
    assert code_of(actor=people.leader, key_in=p12(leader_key))[0] == "not_allowed"
    settings.CITYHALL_SIGNING_TRUST_ROOTS = []  # a chain to no configured root
    assert code_of(key_in=p12(leader_key)) == ("signing_key_refused", ["key"])
    settings.CITYHALL_SIGNING_TRUST_ROOTS = [str(leader_key.certificate.parent / "demo-ca.pem")]
    keystore.register_key(actor=SYSTEM, user=people.leader, key_in=p12(leader_key))
    # One key in use per holder unless replaced; one holder per certificate in use.
    assert code_of(key_in=p12(leader_key)) == ("signing_key_refused", ["holder"])
    assert code_of(unit=people.ward, key_in=p12(leader_key, image_png=unit_key.image_png())
                   ) == ("signing_key_refused", ["key"])
    replaced = keystore.register_key(actor=SYSTEM, user=people.leader,
                                     key_in=p12(leader_key), replace=True)
    assert list(SigningKey.objects.of_person(people.leader).values_list("status", flat=True)
                ) == ["active", "retired"]
    assert replaced.status == "active"
    assert not AuditEntry.objects.filter(changes__icontains=PASSPHRASE).exists()


def test_demo_mode_prefers_a_registered_key_and_falls_back_to_the_demo_ones(
        people: Personas, clerk: User, production: Path, leader_key: DemoKey,
        settings: Any) -> None:
    settings.CITYHALL_DOCUMENTS_DEMO_KEYS = True
    settings.CITYHALL_SIGNING_TRUST_DEMO_CA = True
    keystore.register_key(actor=SYSTEM, user=people.leader, key_in=p12(leader_key))
    document = reviewed(people)
    services.act_on_document(actor=people.leader, document=document, action="sign")
    services.act_on_document(actor=clerk, document=document, action="issue")
    stored = DocumentFile.objects.get(document=document, kind="issued")
    found = verification.verify_bytes(stored.file.read())
    assert [s.signer_name for s in found.signatures] == [leader_key.common_name,
                                                         "UBND Phường Sài Gòn (DEMO)"]


def test_the_command_adds_lists_checks_and_retires_keys(
        people: Personas, production: Path, leader_key: DemoKey, unit_key: DemoKey,
        tmp_path: Path) -> None:
    def run(*args: str) -> str:
        out = io.StringIO()
        call_command("documents", "keys", *args, stdout=out)
        return out.getvalue()

    assert leader_key.key_source.pkcs12_path is not None
    image = tmp_path / "seal.png"
    image.write_bytes(unit_key.image_png())
    added = run("add", "--user", people.leader.username, "--pkcs12",
                str(leader_key.key_source.pkcs12_path), "--secret-env", "CITYHALL_KEY_TEST")
    assert added.startswith("added #") and leader_key.common_name in added
    assert unit_key.key_source.pkcs12_path is not None
    run("add", "--unit", people.ward.code, "--pkcs12", str(unit_key.key_source.pkcs12_path),
        "--secret-file", str(production), "--image", str(image))
    listed = run("list")
    assert len(listed.splitlines()) == 2 and "CITYHALL_KEY_TEST" in listed
    assert PASSPHRASE not in listed
    checked = run("check")
    assert checked.count(": OK") == 2 and "chain to the trust roots: trusted" in checked
    key = SigningKey.objects.get(user=people.leader)
    with pytest.raises(CommandError, match="signing_key_refused"):
        run("add", "--user", people.leader.username, "--pkcs12",
            str(leader_key.key_source.pkcs12_path), "--secret-env", "CITYHALL_KEY_TEST")
    os.environ["CITYHALL_KEY_TEST"] = "wrong"  # restored by the fixture's monkeypatch
    with pytest.raises(SystemExit) as exit_status:
        run("check", str(key.pk))
    assert exit_status.value.code == 1
    assert "retired" in run("retire", str(key.pk), "--reason", "replaced")
    assert len(run("list").splitlines()) == 1 and len(run("list", "--all").splitlines()) == 2


def test_an_admin_registers_and_retires_a_key_on_the_admin_pages(
        people: Personas, production: Path, leader_key: DemoKey) -> None:
    client = admin_client()
    assert client.get("/admin/documents/signingkey/add/").status_code == 200
    assert leader_key.key_source.pkcs12_path is not None
    form = {"user": people.leader.pk, "storage": "pkcs12",
            "pkcs12_path": str(leader_key.key_source.pkcs12_path),
            "secret_env": "CITYHALL_KEY_WRONG_NAME"}
    page = client.post("/admin/documents/signingkey/add/", form)
    assert page.status_code == 200 and "environment variable" in page.content.decode()
    assert not SigningKey.objects.exists()
    page = client.post("/admin/documents/signingkey/add/",
                       {**form, "secret_env": "CITYHALL_KEY_TEST"})
    assert page.status_code == 302, page.content.decode()[:2000]
    key = SigningKey.objects.get()
    assert key.created_by is not None and key.created_by.is_superuser
    assert client.get(f"/admin/documents/signingkey/{key.pk}/change/").status_code == 200
    page = client.post(f"/admin/documents/signingkey/{key.pk}/change/",
                       {"reason": "token lost", "revoked": "on"})
    assert page.status_code == 302, page.content.decode()[:2000]
    key.refresh_from_db()
    assert (key.status, key.retire_reason) == ("revoked", "token lost")
    entry = AuditEntry.objects.get(action="documents.signing_key_retire")
    assert json.dumps(entry.changes).count("token lost") == 1


@pytest.mark.skipif(NO_SOFTHSM, reason=NO_SOFTHSM_REASON)
def test_a_key_on_a_softhsm_token_signs_and_issues_a_document(
        people: Personas, clerk: User, production: Path, leader_key: DemoKey,
        unit_key: DemoKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SOFTHSM_MODULE is not None and leader_key.key_source.pkcs12_path is not None
    key, cert, _cas = pkcs12.load_key_and_certificates(
        leader_key.key_source.pkcs12_path.read_bytes(), PASSPHRASE.encode())
    assert key is not None and cert is not None
    make_token(tmp_path, monkeypatch, key=key, certificate=cert, label="cityhall-keys",
               pin="4321", key_label="leader", key_id="0a")
    pin = tmp_path / "pin"
    pin.write_text("4321\n")
    on_token = keystore.KeyIn(storage="pkcs11", module=SOFTHSM_MODULE,
                              token_label="cityhall-keys", key_id="0A", secret_file=str(pin))
    registered = keystore.register_key(actor=SYSTEM, user=people.leader, key_in=on_token)
    assert (registered.storage, registered.key_id) == ("pkcs11", "0a")
    keystore.register_key(actor=SYSTEM, unit=people.ward,
                          key_in=p12(unit_key, image_png=unit_key.image_png()))
    assert keystore.check_key(registered).ok
    document = reviewed(people)
    services.act_on_document(actor=people.leader, document=document, action="sign")
    services.act_on_document(actor=clerk, document=document, action="issue")
    stored = DocumentFile.objects.get(document=document, kind="issued")
    found = verification.verify_bytes(stored.file.read())
    assert found.valid and [s.signer_name for s in found.signatures] == [
        leader_key.common_name, unit_key.common_name]
    # A wrong PIN: refused, nothing changes.
    pin.write_text("0000\n")
    second = reviewed(people)
    assert refused(people.leader, second, "sign").code == "signing_key_unusable"
    second.refresh_from_db()
    assert second.state == "reviewed"


def test_on_paper_is_the_one_unsigned_way_said_and_audited(
        people: Personas, clerk: User, production: Path) -> None:
    document = reviewed(people)
    assert refused(people.leader, document, "review", paper_reason="x").code == "invalid"
    answer = Client().post(
        f"/api/v1/documents/{document.pk}/actions/sign", content_type="application/json",
        data=json.dumps({"paper_reason": "Văn bản mật: ký tay, đóng dấu."}),
        headers=bearer(people.leader))
    assert answer.status_code == 200, answer.content
    services.act_on_document(actor=clerk, document=document, action="issue",
                             paper_reason="Văn bản mật: ban hành bản giấy.")
    document.refresh_from_db()
    assert document.state == "issued" and document.number == 1
    assert not DocumentFile.objects.get(document=document, kind="issued").signed
    said = AuditEntry.objects.filter(action="documents.on_paper", object_id=str(document.pk))
    assert [e.changes["step"][1] for e in said.order_by("pk")] == ["sign", "issue"]
    number = AuditEntry.objects.get(action="documents.number", object_id=str(document.pk))
    assert number.changes["signed"] == [None, False]
    with pytest.raises(DocumentError) as caught:
        services.act_on_document(actor=clerk, document=document, action="send",
                                 paper_reason="x")
    assert caught.value.code == "invalid"


def test_the_checks_warn_of_demo_keys_in_production_and_a_missing_module(
        settings: Any, tmp_path: Path) -> None:
    from cityhall.documents.checks import signing_keys

    settings.DEBUG = False
    settings.CITYHALL_DOCUMENTS_DEMO_KEYS = True
    settings.CITYHALL_PKCS11_MODULES = [str(tmp_path / "missing.so")]
    assert [m.id for m in signing_keys()] == ["cityhall.documents.W001",
                                              "cityhall.documents.E001"]
    settings.CITYHALL_DOCUMENTS_DEMO_KEYS = False
    settings.CITYHALL_PKCS11_MODULES = []
    assert signing_keys() == []
