"""Fees of dossiers: the VietQR on the fee slip, payment gateways, and their signed callbacks.

A gateway (`PaymentGateway`) does two things: `checkout(dossier)` tells the applicant how to
pay (a reference, where to go to pay and, for a bank transfer, the VietQR text), and
`read_callback(body, signature)` checks the signature of the gateway's report and reads it
into a `PaymentReport`. Which gateways exist is the setting `CITYHALL_PAYMENT_GATEWAYS`. The demo
gateway signs with HMAC-SHA256 under `CITYHALL_PAYMENTS_DEMO_SECRET`: it stands for a
real one (VNPay, the national portal's payment platform) in development and tests: its
"payment page" (`/thanh-toan/demo/{order}/`, the order signed under the same secret) stands
for the bank's, and paying there sends the signed callback a real gateway would send.
`start_payment` is the applicant's pay button: it checks the dossier may be paid and gives
the checkout.

`record_payment` is the only writer: a paid report for the dossier's whole fee records one
`DossierPayment` and sets `Dossier.paid_at` (its only writer: a dossier with `paid_at` was
paid online, which the index counts); a failed report records the failure (the
dossier stays unpaid); the same report again (the gateway retries) records nothing more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cityhall.accounts.models import User
from cityhall.core import audit, facts
from cityhall.core.errors import Common
from cityhall.dossiers import vietqr
from cityhall.dossiers.audit_actions import DossierAudit
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.models import Dossier, DossierPayment
from cityhall.dossiers.queries import receiving_unit_id


def fee_qr(dossier: Dossier) -> str | None:
    """The VietQR text for the dossier's fee (transfer to the fees account, the dossier's
    code as the purpose); None when there is nothing to pay or no account is set."""
    if (dossier.fee_vnd <= 0 or dossier.paid_at is not None
            or not settings.CITYHALL_FEES_BANK_BIN or not settings.CITYHALL_FEES_ACCOUNT):
        return None
    return vietqr.payload(bank_bin=settings.CITYHALL_FEES_BANK_BIN,
                          account=settings.CITYHALL_FEES_ACCOUNT, amount=dossier.fee_vnd,
                          purpose=dossier.code)


def qr_svg(text: str, *, side: int = 180) -> str:
    """The QR code of `text` as an SVG element (for the applicant's page; the PDF draws its
    own): reportlab's QR widget, the one form 01 uses."""
    from reportlab.graphics import renderSVG
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing)
    return svg[svg.index("<svg"):]


@dataclass(frozen=True)
class Checkout:
    """How the applicant pays: the gateway's reference, the amount, and a VietQR if any."""

    gateway: str
    reference: str
    amount_vnd: int
    qr: str | None
    #: Where the applicant goes to pay (the gateway's page).
    pay_url: str = ""


@dataclass(frozen=True)
class PaymentReport:
    """What a gateway's callback says: which transaction, for which dossier, how much, and
    whether it was paid."""

    reference: str
    dossier_code: str
    amount_vnd: int
    paid: bool
    at: dt.datetime
    raw: dict[str, Any]


class BadCallback(Exception):
    """A callback whose signature or body cannot be trusted."""


class PaymentGateway(Protocol):
    """A payment service the city uses."""

    name: str

    def checkout(self, dossier: Dossier) -> Checkout:
        """How the applicant pays this dossier's fee."""
        ...

    def read_callback(self, body: bytes, signature: str) -> PaymentReport:
        """The report in a callback; `BadCallback` if the signature or the body is wrong."""
        ...


class DemoGateway:
    """The development gateway: a bank transfer by VietQR, reported by a JSON callback
    `{"reference", "dossier", "amount", "status": "paid"|"failed", "at"}` signed with
    HMAC-SHA256 (hex) under `CITYHALL_PAYMENTS_DEMO_SECRET`."""

    name = "demo"

    def _secret(self) -> bytes:
        secret = settings.CITYHALL_PAYMENTS_DEMO_SECRET
        if not secret:
            raise BadCallback("the demo gateway is off")
        return str(secret).encode()

    def sign(self, body: bytes) -> str:
        """The signature the gateway puts on a callback (tests and the demo use it)."""
        return hmac.new(self._secret(), body, hashlib.sha256).hexdigest()

    def checkout(self, dossier: Dossier) -> Checkout:
        # One reference per try: a failed try does not stand in the way of the next one.
        reference = f"DEMO-{dossier.code}-{secrets.token_hex(4)}"
        order = signing.dumps({"reference": reference, "dossier": dossier.code,
                               "amount": dossier.fee_vnd}, key=self._secret().decode(),
                              salt=_ORDER_SALT)
        return Checkout(gateway=self.name, reference=reference, amount_vnd=dossier.fee_vnd,
                        qr=fee_qr(dossier), pay_url=reverse("dossiers:demo_pay", args=[order]))

    def read_order(self, order: str) -> dict[str, Any]:
        """The order of a checkout (reference, dossier, amount); `BadCallback` if it was not
        made by this gateway or is older than an hour."""
        try:
            found: dict[str, Any] = signing.loads(order, key=self._secret().decode(),
                                                  salt=_ORDER_SALT, max_age=3600)
        except signing.BadSignature:
            raise BadCallback("bad order") from None
        return found

    def report(self, order: dict[str, Any], *, paid: bool, at: dt.datetime) -> bytes:
        """The callback's body this gateway sends when the order is paid or fails."""
        return json.dumps({"reference": order["reference"], "dossier": order["dossier"],
                           "amount": order["amount"], "status": "paid" if paid else "failed",
                           "at": at.isoformat()}).encode()

    def read_callback(self, body: bytes, signature: str) -> PaymentReport:
        if not hmac.compare_digest(self.sign(body), signature.strip().lower()):
            raise BadCallback("bad signature")
        try:
            data = json.loads(body)
            at = dt.datetime.fromisoformat(str(data.get("at") or timezone.now().isoformat()))
            return PaymentReport(
                reference=str(data["reference"])[:100], dossier_code=str(data["dossier"])[:48],
                amount_vnd=int(data["amount"]), paid=data["status"] == "paid",
                at=at if timezone.is_aware(at) else timezone.make_aware(at), raw=data)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadCallback(f"unreadable body: {exc}") from None


_ORDER_SALT = "cityhall.dossiers.payments.demo-order"


def gateway(name: str) -> PaymentGateway:
    """The configured gateway of this name; `DossierError(not_found)` for an unknown one."""
    path = settings.CITYHALL_PAYMENT_GATEWAYS.get(name)
    if path is None:
        raise DossierError(DossierCode.UNKNOWN_GATEWAY, _("No such payment gateway."))
    found: PaymentGateway = import_string(path)()
    return found


def online_gateway() -> str | None:
    """The gateway the applicant's pay button uses: the demo gateway while it is on (no real
    gateway is wired yet); None when none is."""
    if "demo" in settings.CITYHALL_PAYMENT_GATEWAYS and settings.CITYHALL_PAYMENTS_DEMO_SECRET:
        return "demo"
    return None


def may_pay(dossier: Dossier) -> bool:
    """Whether the dossier's fee can be paid now: a fee, not paid, not closed."""
    return dossier.fee_vnd > 0 and dossier.paid_at is None and dossier.closed_at is None


def start_payment(*, actor: audit.Actor, dossier: Dossier) -> Checkout:
    """The applicant asks to pay the dossier's fee online: the gateway's checkout (where to
    pay, the reference), audited. Refused for anyone but the applicant, a dossier with no
    fee, paid already or closed, or when no gateway is on."""
    if not isinstance(actor, User) or actor.pk != dossier.applicant_id:
        raise DossierError(Common.NOT_ALLOWED, _("Only the applicant pays the fee here."))
    if not may_pay(dossier):
        raise DossierError(Common.INVALID_STATE, _(
            "This dossier has no fee to pay now (none, paid already, or closed)."))
    name = online_gateway()
    if name is None:
        raise DossierError(DossierCode.UNKNOWN_GATEWAY, _("Online payment is not available."))
    checkout = gateway(name).checkout(dossier)
    audit.record(actor=actor, action=DossierAudit.CHECKOUT, obj=dossier, unit=dossier.unit,
                 changes={"gateway": name, "reference": checkout.reference,
                          "amount_vnd": checkout.amount_vnd})
    return checkout


def record_payment(*, gateway_name: str, body: bytes, signature: str,
                   now: dt.datetime | None = None) -> tuple[DossierPayment, bool]:
    """Record what a gateway's signed callback reports; (the payment, whether it is new).

    A bad signature or body, an unknown dossier, or an amount other than the fee is
    refused (nothing recorded, an audit entry). The same report again returns the first
    row with False. A paid report sets the dossier's `paid_at` (once).
    """
    now = now or timezone.now()
    source = gateway(gateway_name)
    actor = audit.SystemActor(f"payments:{gateway_name}")
    try:
        report = source.read_callback(body, signature)
    except BadCallback:
        audit.record(actor=actor, action=DossierAudit.PAYMENT_REFUSED,
                     changes={"gateway": gateway_name, "why": "signature"})
        raise DossierError(DossierCode.BAD_CALLBACK, _("The callback's signature or body is "
                                                       "not valid.")) from None
    known = DossierPayment.objects.filter(gateway=gateway_name,
                                          reference=report.reference).first()
    if known is not None:
        return known, False
    dossier = Dossier.objects.filter(code=report.dossier_code).first()
    if dossier is None or dossier.fee_vnd <= 0 or report.amount_vnd != dossier.fee_vnd:
        audit.record(actor=actor, action=DossierAudit.PAYMENT_REFUSED, obj=dossier,
                     changes={"gateway": gateway_name, "reference": report.reference,
                              "why": "dossier" if dossier is None else "amount"})
        raise DossierError(DossierCode.PAYMENT_MISMATCH, _(
            "The payment names no dossier, or not its fee."))
    state = DossierPayment.State.PAID if report.paid else DossierPayment.State.FAILED
    try:
        with transaction.atomic():
            row = DossierPayment.objects.create(
                dossier=dossier, gateway=gateway_name, reference=report.reference,
                amount_vnd=report.amount_vnd, state=state, reported_at=report.at,
                created_at=now, callback=report.raw)
            # Paid once: the first paid report sets `paid_at` and counts for the index
            # ("paid online", on the day paid, where the dossier was received).
            if report.paid and Dossier.objects.filter(
                    pk=dossier.pk, paid_at__isnull=True).update(paid_at=report.at):
                dossier.paid_at = report.at
                facts.tell([facts.Fact(case_type=dossier._meta.label_lower, case=dossier,
                                       kind="paid_online", at=report.at,
                                       unit_id=receiving_unit_id(dossier))])
            audit.record(actor=actor, action=DossierAudit.PAYMENT, obj=dossier,
                         unit=dossier.unit, changes={
                             "gateway": gateway_name, "reference": report.reference,
                             "amount_vnd": report.amount_vnd, "state": state})
    except IntegrityError:
        # The same report arrived twice at once: the other one recorded it.
        return DossierPayment.objects.get(gateway=gateway_name, reference=report.reference), \
            False
    return row, True
