"""Fees of dossiers: the VietQR payload (NAPAS EMVCo, CRC-16/CCITT) checked against known
payloads, the fee slip's QR, and the gateway's signed callbacks (a failed and a repeated
callback record one payment)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.db.models import Sum
from django.test import Client
from pypdf import PdfReader
from pytest_django import Settings

from cityhall.core.errors import Common
from cityhall.core.models import AuditEntry
from cityhall.dossiers import services, vietqr
from cityhall.dossiers.errors import DossierError
from cityhall.dossiers.models import Dossier, DossierPayment
from cityhall.dossiers.payments import DemoGateway, fee_qr, start_payment
from cityhall.indicators import services as indicators
from cityhall.indicators.models import DailyTally
from tests.dossiers_support import BIRTH, HOUSEHOLD_BUSINESS, applicant, procedures
from tests.factories import Personas, bearer

# A payload issued by a payment platform (payOS) for a 2,000 VND transfer, as published in
# a public client's code: its CRC was computed by the issuer, not by this project.
ISSUED = ("00020101021238570010A000000727012700069704220113VQRQABRLS04480208QRIBFTTA"
          "5303704540420005802VN6224082018f8746b181045f0a2ce63040FC0")
# The example of a public VietQR library (cuongnm/viet_qr_pay): 1,000 VND to account
# 257678859 at BIN 970416, purpose "Chuyen tien".
LIBRARY_EXAMPLE = ("00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
                   "5303704540410005802VN62150811Chuyen tien6304BBB8")


def test_the_crc_is_ccitt_false() -> None:
    # The catalogue check value of CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF).
    assert vietqr.crc16_ccitt(b"123456789") == 0x29B1


def test_an_issued_payload_checks_and_a_changed_one_does_not() -> None:
    assert vietqr.valid(ISSUED) and vietqr.valid(LIBRARY_EXAMPLE)
    assert not vietqr.valid(ISSUED.replace("54042000", "54042001"))
    assert not vietqr.valid(ISSUED[:-8])


def test_the_payload_is_built_field_by_field_as_the_known_example() -> None:
    built = vietqr.payload(bank_bin="970416", account="257678859", amount=1000,
                           purpose="Chuyen tien")
    assert built == LIBRARY_EXAMPLE
    static = vietqr.payload(bank_bin="970416", account="257678859")
    assert static.startswith("000201010211") and "54" not in static[50:60]
    assert vietqr.valid(static)
    assert vietqr.purpose_text("26740-261130-0001 Lệ phí Đăng ký") == \
        "26740-261130-0001 Le phi Dang ky"
    with pytest.raises(ValueError):
        vietqr.payload(bank_bin="97041", account="1")
    with pytest.raises(ValueError):
        vietqr.payload(bank_bin="970416", account="1", amount=0)


@pytest.fixture
def catalogue(db: None, settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CITYHALL_FEES_BANK_BIN = "970415"
    settings.CITYHALL_FEES_ACCOUNT = "113000006100"
    settings.CITYHALL_PAYMENTS_DEMO_SECRET = "test-secret"
    procedures()


def _dossier(people: Personas) -> Dossier:
    return services.receive_at_counter(actor=people.officer, procedure=HOUSEHOLD_BUSINESS,
                                       applicant=applicant(), account=people.resident).dossier


def test_the_fee_slip_and_the_api_carry_the_vietqr_for_the_fee(
    catalogue: None, people: Personas, settings: Settings,
) -> None:
    dossier = _dossier(people)
    assert dossier.fee_vnd > 0
    qr = fee_qr(dossier)
    assert qr is not None and vietqr.valid(qr)
    assert f"54{len(str(dossier.fee_vnd)):02d}{dossier.fee_vnd}" in qr
    assert dossier.code in qr and "970415" in qr and "113000006100" in qr
    detail = Client().get(f"/api/v1/dossiers/{dossier.code}", headers=bearer(people.resident))
    assert detail.json()["payment_qr"] == qr
    client = Client()
    client.force_login(people.resident)
    pdf = client.get(f"/dossiers/{dossier.code}/forms/01.pdf").content
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Phí, lệ phí: 100.000 đồng" in text and "Quét mã VietQR" in text
    settings.CITYHALL_FEES_ACCOUNT = ""
    assert fee_qr(dossier) is None


def _callback(dossier: Dossier, reference: str, status: str = "paid",
              amount: int | None = None, signature: str | None = None) -> tuple[int, dict]:
    body = json.dumps({"reference": reference, "dossier": dossier.code, "status": status,
                       "amount": dossier.fee_vnd if amount is None else amount,
                       "at": "2026-03-02T10:00:00+07:00"}).encode()
    response = Client().post("/api/v1/payments/demo/callback", body,
                             content_type="application/json",
                             headers={"X-Signature": signature or DemoGateway().sign(body)})
    return response.status_code, response.json()


def test_a_failed_then_a_paid_then_a_repeated_callback_record_one_payment(
    catalogue: None, people: Personas,
) -> None:
    dossier = _dossier(people)
    status, body = _callback(dossier, "T-1", status="failed")
    assert status == 200 and body["state"] == "failed"
    dossier.refresh_from_db()
    assert dossier.paid_at is None
    status, body = _callback(dossier, "T-2")
    assert status == 200 and body == {"dossier": dossier.code, "reference": "T-2",
                                      "state": "paid", "created": True}
    status, again = _callback(dossier, "T-2")
    assert status == 200 and again["created"] is False
    assert DossierPayment.objects.filter(state="paid").count() == 1
    dossier.refresh_from_db()
    assert dossier.paid_at is not None and fee_qr(dossier) is None
    assert AuditEntry.objects.filter(action="dossiers.payment").count() == 2


def test_a_callback_badly_signed_or_for_another_amount_records_nothing(
    catalogue: None, people: Personas,
) -> None:
    dossier = _dossier(people)
    status, body = _callback(dossier, "T-9", signature="0" * 64)
    assert status == 400 and body["code"] == "bad_callback"
    status, body = _callback(dossier, "T-9", amount=1)
    assert status == 400 and body["code"] == "payment_mismatch"
    unknown = Client().post("/api/v1/payments/nobody/callback", b"{}",
                            content_type="application/json", headers={"X-Signature": "x"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_gateway"
    assert not DossierPayment.objects.exists()
    assert AuditEntry.objects.filter(action="dossiers.payment_refused").count() == 2
    dossier.refresh_from_db()
    assert dossier.paid_at is None


def _pay_page(client: Client, dossier: Dossier) -> str:
    """The applicant presses "pay online": the demo gateway's page address."""
    answer = client.post(f"/ho-so-cua-toi/{dossier.code}/thanh-toan/")
    assert answer.status_code == 302 and answer["Location"].startswith("/thanh-toan/demo/")
    return answer["Location"]


def test_the_applicant_pays_from_their_page_and_a_repeated_report_pays_once(
    catalogue: None, people: Personas,
) -> None:
    dossier = _dossier(people)
    client = Client()
    client.force_login(people.resident)
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert 'data-testid="fee-slip"' in page and 'data-testid="pay"' in page
    assert 'data-testid="vietqr"' in page and "<svg" in page
    gateway_page = _pay_page(client, dossier)
    shown = Client().get(gateway_page)  # the gateway's page needs no sign-in of ours
    assert shown.status_code == 200 and "100.000 VND" in shown.content.decode()
    # Pressed twice (a double click, a reload): the same transaction, one payment.
    for _ in range(2):
        answer = client.post(gateway_page, {"outcome": "paid"})
        assert answer.status_code == 302 and answer["Location"] == f"/ho-so-cua-toi/{dossier.code}/"
    assert DossierPayment.objects.filter(dossier=dossier, state="paid").count() == 1
    dossier.refresh_from_db()
    assert dossier.paid_at is not None
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert 'data-testid="paid"' in page and 'data-testid="pay"' not in page
    assert AuditEntry.objects.filter(action="dossiers.checkout").count() == 1
    # Counted once for the index, as recompute counts it again from the dossier.
    assert DailyTally.objects.filter(metric="dossiers.paid_online").aggregate(
        n=Sum("value"))["n"] == 1
    assert indicators.verify().ok
    # Paid: the button is refused now.
    again = client.post(f"/ho-so-cua-toi/{dossier.code}/thanh-toan/")
    assert again.status_code == 409


def test_a_payment_given_up_leaves_the_fee_to_pay_and_another_try_pays_it(
    catalogue: None, people: Personas,
) -> None:
    dossier = _dossier(people)
    client = Client()
    client.force_login(people.resident)
    client.post(_pay_page(client, dossier), {"outcome": "failed"})
    dossier.refresh_from_db()
    assert dossier.paid_at is None
    assert DossierPayment.objects.get(dossier=dossier).state == "failed"
    client.post(_pay_page(client, dossier), {"outcome": "paid"})
    dossier.refresh_from_db()
    assert dossier.paid_at is not None
    assert list(DossierPayment.objects.filter(dossier=dossier).values_list(
        "state", flat=True)) == ["failed", "paid"]


def test_only_the_applicant_pays_and_a_forged_order_is_nothing(
    catalogue: None, people: Personas, settings: Settings,
) -> None:
    dossier = _dossier(people)
    for someone in (people.officer, people.outsider):
        client = Client()
        client.force_login(someone)
        assert client.post(f"/ho-so-cua-toi/{dossier.code}/thanh-toan/").status_code == 404
    with pytest.raises(DossierError) as refused:
        start_payment(actor=people.officer, dossier=dossier)
    assert refused.value.code == Common.NOT_ALLOWED
    client = Client()
    client.force_login(people.resident)
    page = _pay_page(client, dossier)
    forged = page.replace("/thanh-toan/demo/", "/thanh-toan/demo/x")
    assert client.post(forged, {"outcome": "paid"}).status_code == 404
    # The demo gateway off: no button, and the pay address refuses.
    settings.CITYHALL_PAYMENTS_DEMO_SECRET = ""
    assert 'data-testid="pay"' not in client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert client.post(f"/ho-so-cua-toi/{dossier.code}/thanh-toan/").status_code == 404
    assert client.get(page).status_code == 404
    assert not DossierPayment.objects.exists()


def test_a_callback_for_a_dossier_without_a_fee_records_nothing(
    catalogue: None, people: Personas,
) -> None:
    free = services.submit_dossier(actor=people.resident, procedure=BIRTH,
                                   competent_unit=people.ward, applicant=applicant()).dossier
    assert free.fee_vnd == 0
    status, body = _callback(free, "T-0", amount=0)
    assert status == 400 and body["code"] == "payment_mismatch"
    assert not DossierPayment.objects.exists()


def test_the_app_starts_a_checkout_through_the_api_and_lists_the_payment_reported(
    catalogue: None, people: Personas,
) -> None:
    dossier = _dossier(people)
    url = f"/api/v1/dossiers/{dossier.code}/payments"
    answer = Client().post(url, headers=bearer(people.resident))
    assert answer.status_code == 201, answer.content
    checkout = answer.json()
    assert set(checkout) == {"gateway", "reference", "amount_vnd", "qr", "pay_url"}
    assert checkout["gateway"] == "demo" and checkout["amount_vnd"] == dossier.fee_vnd == 100000
    assert checkout["reference"].startswith(f"DEMO-{dossier.code}-")
    assert checkout["qr"] == fee_qr(dossier) and vietqr.valid(checkout["qr"])
    assert checkout["pay_url"].startswith("http://testserver/thanh-toan/demo/")
    assert Client().get(checkout["pay_url"]).status_code == 200  # the gateway's page
    assert AuditEntry.objects.filter(action="dossiers.checkout").count() == 1
    assert Client().get(url, headers=bearer(people.resident)).json() == []
    # The gateway's signed callback for that try records it; the list shows it.
    status, recorded = _callback(dossier, checkout["reference"])
    assert status == 200 and recorded["created"] is True
    listed = Client().get(url, headers=bearer(people.resident))
    assert listed.status_code == 200
    [row] = listed.json()
    assert {k: row[k] for k in ("gateway", "reference", "amount_vnd", "state")} == {
        "gateway": "demo", "reference": checkout["reference"], "amount_vnd": 100000,
        "state": "paid"}
    assert row["reported_at"].startswith("2026-03-02T") and row["created_at"]
    # The units handling the dossier read the same; paid, another try is refused.
    assert Client().get(url, headers=bearer(people.officer)).json() == listed.json()
    again = Client().post(url, headers=bearer(people.resident))
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    assert AuditEntry.objects.filter(action="dossiers.checkout").count() == 1


def test_only_the_applicant_starts_a_payment_through_the_api(
    catalogue: None, people: Personas, settings: Settings,
) -> None:
    dossier = _dossier(people)
    url = f"/api/v1/dossiers/{dossier.code}/payments"
    staff = Client().post(url, headers=bearer(people.officer))
    assert staff.status_code == 403 and staff.json()["code"] == "not_allowed"
    for answer in (Client().post(url, headers=bearer(people.outsider)),
                   Client().get(url, headers=bearer(people.outsider))):
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert Client().post(url).status_code == 401
    free = services.submit_dossier(actor=people.resident, procedure=BIRTH,
                                   competent_unit=people.ward, applicant=applicant()).dossier
    nothing = Client().post(f"/api/v1/dossiers/{free.code}/payments",
                            headers=bearer(people.resident))
    assert nothing.status_code == 409 and nothing.json()["code"] == "invalid_state"
    settings.CITYHALL_PAYMENTS_DEMO_SECRET = ""
    off = Client().post(url, headers=bearer(people.resident))
    assert off.status_code == 404 and off.json()["code"] == "unknown_gateway"
    assert not AuditEntry.objects.filter(action="dossiers.checkout").exists()
    assert not DossierPayment.objects.exists()
