"""Paying a dossier's fee online: the applicant's pay button, and the demo gateway's page.

The pay button (`/ho-so-cua-toi/{code}/thanh-toan/`) asks the gateway for a checkout and
sends the applicant to its page. The demo gateway's page (`/thanh-toan/demo/{order}/`)
stands for a bank's: it shows the order and, when the applicant pays (or gives up), sends
the signed callback a real gateway sends to `POST /api/v1/payments/demo/callback`, through
the same `record_payment`, then returns the applicant to their dossier. A page sent twice
(a double click, a reload) reports the same transaction: one payment is recorded.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.accounts.web import signed_in_user
from cityhall.dossiers import payments
from cityhall.dossiers.errors import DossierError
from cityhall.dossiers.models import Dossier
from cityhall.dossiers.views.mine import _mine, _page


@require_POST
@login_required
def pay(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant's pay button: to the gateway's page for this dossier's fee."""
    dossier = _mine(request, code)
    try:
        checkout = payments.start_payment(actor=signed_in_user(request), dossier=dossier)
    except DossierError as exc:
        return _page(request, dossier, error=str(exc.detail), status=exc.code.status)
    return redirect(checkout.pay_url)


@require_http_methods(["GET", "POST"])
def demo_gateway(request: HttpRequest, order: str) -> HttpResponse:
    """The demo gateway's payment page: the order, and pay or give up."""
    if payments.online_gateway() != "demo":
        raise Http404(_("The demo payment gateway is off."))
    gateway = payments.DemoGateway()
    try:
        found = gateway.read_order(order)
    except payments.BadCallback:
        raise Http404(_("No such payment order (or it has expired).")) from None
    dossier = Dossier.objects.filter(code=str(found["dossier"])).first()
    if dossier is None:
        raise Http404(_("No such payment order (or it has expired)."))
    back = reverse("dossiers:my_dossier", args=[dossier.code])
    if request.method == "POST":
        paid = request.POST.get("outcome") == "paid"
        # What the gateway's server sends ours, signed: the API's callback does the same.
        body = gateway.report(found, paid=paid, at=timezone.now())
        try:
            payments.record_payment(gateway_name=gateway.name, body=body,
                                    signature=gateway.sign(body))
        except DossierError as exc:
            messages.error(request, str(exc.detail))
            return redirect(back)
        if paid:
            messages.success(request, _("The fee is paid. Thank you."))
        else:
            messages.warning(request, _("The payment was not made; you may try again."))
        return redirect(back)
    qr = payments.fee_qr(dossier)
    return render(request, "dossiers/demo_gateway.html", {
        "order": found, "dossier": dossier, "back": back,
        "qr": mark_safe(payments.qr_svg(qr)) if qr else None,  # noqa: S308 (our own SVG)
    })
