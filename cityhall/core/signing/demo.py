"""The DEMO public-key infrastructure of a development install: NOT FOR PRODUCTION.

`cityhall demo_pki` (run by `make run`) makes, under CITYHALL_SIGNING_DEMO_DIR (var/pki):
a root certificate authority "cityhall DEMO CA — NOT FOR PRODUCTION" (`demo-ca.pem`, its
key `demo-ca.key.pem`), and for each demo leader and demo organisation a PKCS#12 key
(`person-*.p12`, `org-*.p12`, passphrase `DEMO_PASSPHRASE`) with its signature image
(`*.png`: a blue handwriting-like stroke for a person, a red seal for an organisation),
all drawn here, none downloaded. Every name says DEMO. Files that exist are kept, so the
command can run again; a key issued by another CA than the one on disk is made again.
The demo CA is trusted only when DEBUG is on or CITYHALL_SIGNING_TRUST_DEMO_CA says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from cityhall.core.signing.keys import KeySource
from cityhall.core.signing.sign import FONT
from cityhall.core.signing.verify import DEMO_CA_FILE
from cityhall.core.text import search_key

#: The passphrase of every demo PKCS#12 file (public by design, like the demo password).
DEMO_PASSPHRASE = "cityhall-demo"  # noqa: S105
DEMO_CA_NAME = "cityhall DEMO CA — NOT FOR PRODUCTION"
DEMO_CA_KEY_FILE = "demo-ca.key.pem"
DEMO_MARK = "DEMO — NOT FOR PRODUCTION"
_RSA_BITS = 2048


@dataclass(frozen=True)
class DemoPerson:
    """A demo leader who signs: login (accounts' demo), full name, title, organisation."""

    username: str
    full_name: str
    title: str
    organisation: str


#: The organisations of the demo units (accounts.demo: the city, three wards, three departments).
DEMO_ORGANISATIONS = (
    "UBND Thành phố Hồ Chí Minh",
    "UBND Phường Sài Gòn", "UBND Phường Thủ Đức", "UBND Phường An Khánh",
    "Sở Xây dựng", "Sở Nông nghiệp và Môi trường", "Sở Nội vụ",
)

#: The demo leaders (accounts.demo.demo_staff's leaders; tests/test_signing.py holds them equal).
DEMO_PEOPLE = (
    DemoPerson("city.leader", "Nguyễn Văn Thành", "Phó Chủ tịch UBND Thành phố",
               "UBND Thành phố Hồ Chí Minh"),
    DemoPerson("leader.saigon", "Lê Minh Tâm", "Chủ tịch UBND phường", "UBND Phường Sài Gòn"),
    DemoPerson("leader.thuduc", "Trần Quốc Bảo", "Chủ tịch UBND phường", "UBND Phường Thủ Đức"),
    DemoPerson("leader.ankhanh", "Hoàng Đức Anh", "Chủ tịch UBND phường",
               "UBND Phường An Khánh"),
    DemoPerson("leader.sxd", "Nguyễn Hữu Nghĩa", "Giám đốc Sở", "Sở Xây dựng"),
    DemoPerson("leader.snnmt", "Mai Văn Sơn", "Giám đốc Sở", "Sở Nông nghiệp và Môi trường"),
    DemoPerson("leader.snv", "Tôn Thất Vinh", "Giám đốc Sở", "Sở Nội vụ"),
)


@dataclass(frozen=True)
class DemoKey:
    """A demo signing key on disk: how to open it, its certificate and its signature image."""

    kind: str  # "person" or "organisation"
    common_name: str
    organisation: str
    key_source: KeySource
    certificate: Path
    image: Path

    def image_png(self) -> bytes:
        """The signature image (a person's stroke, or the organisation's seal)."""
        return self.image.read_bytes()


def demo_dir() -> Path:
    """Where the demo PKI lives: CITYHALL_SIGNING_DEMO_DIR (var/pki)."""
    return Path(getattr(settings, "CITYHALL_SIGNING_DEMO_DIR", "var/pki"))


def slug(text: str) -> str:
    """An ASCII file name part: 'UBND Phường Thủ Đức' -> 'ubnd-phuong-thu-duc'."""
    return re.sub(r"[^a-z0-9]+", "-", search_key(text)).strip("-") or "x"


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    # Written aside and renamed, so that a reader never sees half a key; keys for the owner.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    Path(temporary).chmod(0o600 if secret else 0o644)
    Path(temporary).replace(path)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str, organisation: str, *, title: str = "",
          unit: str = DEMO_MARK) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                  x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit)]
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


@dataclass(frozen=True)
class DemoCA:
    """The demo certificate authority: its certificate and key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    path: Path


def ensure_demo_ca(out: Path | None = None) -> DemoCA:
    """The demo CA under `out` (the demo directory), made when it is not there."""
    out = out or demo_dir()
    cert_path, key_path = out / DEMO_CA_FILE, out / DEMO_CA_KEY_FILE
    if cert_path.exists() and key_path.exists():
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)  # noqa: S101 (we wrote it)
        return DemoCA(certificate, key, cert_path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    name = _name(DEMO_CA_NAME, "cityhall (DEMO)")
    now = _now()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), secret=True)
    _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return DemoCA(certificate, key, cert_path)


def _issue(ca: DemoCA, subject: x509.Name) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    now = _now()
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca.certificate.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return key, certificate


def _issued_by(p12_path: Path, ca: DemoCA) -> bool:
    """Whether the PKCS#12 file opens and its certificate comes from this CA."""
    try:
        _key, cert, _others = pkcs12.load_key_and_certificates(
            p12_path.read_bytes(), DEMO_PASSPHRASE.encode())
    except (OSError, ValueError):
        return False
    if cert is None:
        return False
    try:
        cert.verify_directly_issued_by(ca.certificate)
    except (ValueError, TypeError, Exception):  # InvalidSignature is no ValueError
        return False
    return True


def _key(kind: str, stem: str, subject: x509.Name, common_name: str, organisation: str,
         draw: bytes | None, out: Path) -> DemoKey:
    ca = ensure_demo_ca(out)
    p12_path, cert_path, image_path = (out / f"{stem}.p12", out / f"{stem}.pem",
                                       out / f"{stem}.png")
    if not _issued_by(p12_path, ca):
        key, certificate = _issue(ca, subject)
        _write(p12_path, pkcs12.serialize_key_and_certificates(
            name=stem.encode(), key=key, cert=certificate, cas=[ca.certificate],
            encryption_algorithm=serialization.BestAvailableEncryption(
                DEMO_PASSPHRASE.encode()),
        ), secret=True)
        _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    if not image_path.exists() and draw is not None:
        _write(image_path, draw)
    return DemoKey(kind=kind, common_name=common_name, organisation=organisation,
                   key_source=KeySource.pkcs12(p12_path, DEMO_PASSPHRASE),
                   certificate=cert_path, image=image_path)


def demo_person_key(full_name: str, *, organisation: str, title: str = "",
                    out: Path | None = None) -> DemoKey:
    """A demo leader's personal key ("Name (DEMO)", in the organisation), made if missing."""
    out = out or demo_dir()
    stem = f"person-{slug(full_name)}-{slug(organisation)}"
    common_name = f"{full_name} (DEMO)"
    image = None if (out / f"{stem}.png").exists() else signature_png(full_name)
    return _key("person", stem, _name(common_name, organisation, title=title), common_name,
                organisation, image, out)


def demo_organisation_key(organisation: str, *, out: Path | None = None) -> DemoKey:
    """A demo organisation's key ("UBND ... (DEMO)") and seal image, made if missing."""
    out = out or demo_dir()
    stem = f"org-{slug(organisation)}"
    common_name = f"{organisation} (DEMO)"
    image = None if (out / f"{stem}.png").exists() else seal_png(organisation)
    return _key("organisation", stem, _name(common_name, organisation), common_name,
                organisation, image, out)


def ensure_demo_pki(out: Path | None = None) -> list[DemoKey]:
    """The demo CA and a key for every demo leader and organisation; what exists is kept."""
    out = out or demo_dir()
    ensure_demo_ca(out)
    keys = [demo_person_key(p.full_name, organisation=p.organisation, title=p.title, out=out)
            for p in DEMO_PEOPLE]
    keys += [demo_organisation_key(name, out=out) for name in DEMO_ORGANISATIONS]
    return keys


# --- the demo images: drawn here, at print resolution, on a transparent background --------

#: Pixels per millimetre of the images (300 dpi).
_PX_PER_MM = 300 / 25.4
_BLUE = (22, 45, 160, 255)
_RED = (206, 24, 30, 255)


def _seed(text: str) -> int:
    # The same name always draws the same stroke, so regenerating changes nothing.
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def signature_png(name: str, *, width_mm: float = 50, height_mm: float = 20) -> bytes:
    """A blue handwriting-like stroke for the name (a demo: no one's real signature)."""
    scale = 2  # drawn twice as large and shrunk, for smooth edges
    width, height = int(width_mm * _PX_PER_MM), int(height_mm * _PX_PER_MM)
    big = Image.new("RGBA", (width * scale, height * scale), (0, 0, 0, 0))
    pen = ImageDraw.Draw(big)
    seed = _seed(name)
    loops = 4 + seed % 3
    phase = (seed >> 8) % 628 / 100
    lean = 0.25 + (seed >> 16) % 20 / 100
    points: list[tuple[float, float]] = []
    steps = 600
    w, h = width * scale, height * scale
    for step in range(steps + 1):
        t = step / steps
        angle = 2 * math.pi * loops * t + phase
        envelope = math.sin(math.pi * min(1.0, t * 1.15)) ** 0.6
        radius = 0.22 * h * envelope
        x = w * (0.06 + 0.78 * t) + radius * math.cos(angle) * 0.9 + lean * radius
        y = h * (0.52 - 0.12 * t) - radius * math.sin(angle)
        points.append((x, y))
    for index in range(len(points) - 1):
        t = index / steps
        thickness = int(scale * (2.2 + 1.6 * math.sin(math.pi * t) + (index % 7) / 10))
        pen.line([points[index], points[index + 1]], fill=_BLUE, width=max(2, thickness))
    # The closing flourish: a long stroke back under the name.
    start = points[-1]
    flourish = [(start[0] + (0.1 * w) * s - (0.75 * w) * s * s,
                 start[1] + 0.3 * h * s) for s in (i / 60 for i in range(61))]
    pen.line(flourish, fill=_BLUE, width=3 * scale, joint="curve")
    image = big.resize((width, height), Image.Resampling.LANCZOS)
    # Cut to the stroke (and a small margin), so that the box drawn is the signature itself
    # and the seal covers a third of the stroke, not of blank space.
    bounds = image.getbbox()
    if bounds is not None:
        margin = int(_PX_PER_MM)
        image = image.crop((max(0, bounds[0] - margin), max(0, bounds[1] - margin),
                            min(width, bounds[2] + margin), min(height, bounds[3] + margin)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _star(centre: tuple[float, float], outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382
    cx, cy = centre
    return [
        (cx + (outer if i % 2 == 0 else inner) * math.sin(math.pi * i / 5),
         cy - (outer if i % 2 == 0 else inner) * math.cos(math.pi * i / 5))
        for i in range(10)
    ]


def seal_png(organisation: str, *, diameter_mm: float = 35) -> bytes:
    """A red round seal with the organisation's name around it and DEMO across it."""
    size = int(diameter_mm * _PX_PER_MM)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    centre = size / 2
    outer = size / 2 - 2
    ring = max(4, size // 60)
    pen.ellipse([centre - outer, centre - outer, centre + outer, centre + outer],
                outline=_RED, width=ring)
    inner = outer * 0.70
    pen.ellipse([centre - inner, centre - inner, centre + inner, centre + inner],
                outline=_RED, width=max(2, ring // 2))
    pen.polygon(_star((centre, centre - inner * 0.22), inner * 0.42), fill=_RED)
    label = ImageFont.truetype(str(FONT), int(size * 0.085))
    pen.text((centre, centre + inner * 0.48), "DEMO", font=label, fill=_RED, anchor="mm")
    # The name around the ring, letter by letter, upright to the circle.
    text = f"{organisation.upper()} • DEMO • "
    font = ImageFont.truetype(str(FONT), int(size * 0.075))
    radius = (outer + inner) / 2
    for index, letter in enumerate(text):
        angle = 2 * math.pi * index / len(text) - math.pi * 0.75
        tile = Image.new("RGBA", (int(size * 0.14),) * 2, (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((tile.width / 2, tile.height / 2), letter, font=font,
                                  fill=_RED, anchor="mm")
        tile = tile.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.cos(angle) - tile.width / 2
        y = centre + radius * math.sin(angle) - tile.height / 2
        image.alpha_composite(tile, (int(x), int(y)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()

