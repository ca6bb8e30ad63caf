"""The audit actions of `dossiers`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class DossierAudit(AuditAction):
    """Dossiers of the one-stop shop."""

    SUBMIT = "dossiers.submit"
    SUBMIT_REFUSED = "dossiers.submit_refused"
    SUPPLY = "dossiers.supply"
    TRANSFER = "dossiers.transfer"
    RESCHEDULE = "dossiers.reschedule"
    PAYMENT = "dossiers.payment"
    CHECKOUT = "dossiers.checkout"
    PAYMENT_REFUSED = "dossiers.payment_refused"
    ATTACH = "dossiers.attach"
    RESULT = "dossiers.result"
    RATE = "dossiers.rate"
