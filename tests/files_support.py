"""Helpers for the file-layer tests: crafted images and PDFs, fake virus scanners."""

from __future__ import annotations

import io
import struct
import zlib
from typing import IO

from PIL import Image, PngImagePlugin
from pypdf import PdfWriter

#: The standard antivirus test string: harmless, and every scanner reports it.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#: The first bytes of an iPhone's HEIC photo (an ISO-BMFF `ftyp` box of brand heic).
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def eicar_scanner(file: IO[bytes], *, name: str, content_type: str) -> str | None:
    """A stand-in for ClamAV: refuses what carries the EICAR string."""
    return "Eicar-Test-Signature" if EICAR in file.read() else None


def broken_scanner(file: IO[bytes], *, name: str, content_type: str) -> str | None:
    """A scanner whose daemon is down."""
    raise ConnectionRefusedError("clamd is not running")


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` but whose data is a few bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def png_with_text(text: bytes, size: tuple[int, int] = (32, 24)) -> bytes:
    """A real PNG carrying `text` in a tEXt chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text.decode("latin-1"))
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (64, 48), *, orientation: int = 1) -> bytes:
    """A JPEG with an EXIF camera model and orientation tag."""
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((30, 30, 200), (0, 0, size[0] // 4, size[1] // 4))  # a mark in one corner
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam 9"
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def image(fmt: str, size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    """A plain image of `fmt` (PNG, WEBP, GIF, ...)."""
    out = io.BytesIO()
    Image.new(mode, size).save(out, format=fmt)
    return out.getvalue()


def pdf(pages: int) -> bytes:
    """A PDF of `pages` blank pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    """A one-page PDF that opens only with its password."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
