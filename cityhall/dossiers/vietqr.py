"""VietQR payloads: the NAPAS EMVCo merchant-presented QR that Vietnamese bank apps read.

A payload is a run of `ID LENGTH VALUE` fields (two digits, two digits, the value), per
EMVCo's QR Code Specification for Payment Systems as NAPAS profiles it for VietQR:
00 format (`01`), 01 initiation (`11` static, `12` with an amount), 38 the beneficiary
(00 the GUID `A000000727`, 01 the bank's BIN and the account, 02 the service
`QRIBFTTA`, transfer to an account), 53 the currency (`704`, VND), 54 the amount, 58 the
country (`VN`), 62 additional data (08 the purpose: here the dossier code), and 63 the
CRC: CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) over everything before it,
`6304` included, in four upper-case hex digits.
"""

from __future__ import annotations

import re
import unicodedata

GUID = "A000000727"
TRANSFER_TO_ACCOUNT = "QRIBFTTA"
VND = "704"
_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection or xor."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def field(tag: str, value: str) -> str:
    """One `ID LENGTH VALUE` field; a value is at most 99 characters."""
    if len(value) > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def purpose_text(text: str) -> str:
    """The purpose as bank apps show it safely: ASCII without diacritics, at most 50 chars."""
    return re.sub(r"[^0-9A-Za-z .\-]", " ", _ascii(text)).strip()[:50]


def _ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def payload(*, bank_bin: str, account: str, amount: int | None = None,
            purpose: str = "") -> str:
    """The VietQR text for a transfer to `account` at the bank `bank_bin` (its 6-digit
    NAPAS BIN), of `amount` VND (a dynamic QR) or any amount (static), with `purpose`."""
    if not _BIN.fullmatch(bank_bin) or not _ACCOUNT.fullmatch(account):
        raise ValueError("a 6-digit bank BIN and an account of at most 19 letters or digits")
    if amount is not None and amount <= 0:
        raise ValueError("the amount is positive")
    beneficiary = field("00", bank_bin) + field("01", account)
    text = (field("00", "01") + field("01", "12" if amount else "11")
            + field("38", field("00", GUID) + field("01", beneficiary)
                    + field("02", TRANSFER_TO_ACCOUNT))
            + field("53", VND) + (field("54", str(amount)) if amount else "")
            + field("58", "VN"))
    note = purpose_text(purpose)
    if note:
        text += field("62", field("08", note))
    text += "6304"
    return text + f"{crc16_ccitt(text.encode('ascii')):04X}"


def valid(text: str) -> bool:
    """Whether a payload's last field is its CRC and the CRC is right."""
    if len(text) < 8 or text[-8:-4] != "6304":
        return False
    return f"{crc16_ccitt(text[:-4].encode('ascii')):04X}" == text[-4:].upper()
