"""Sign-in codes through the outbox, and what a proven address means for the message caps.

How the caps (`caps.py`) and sign-in codes meet:

- A code goes to an address that may have no account and may never have confirmed it, so
  it cannot wait for a confirmation (it *is* the confirmation): it skips the per-address
  caps and is written pending, without the caps' confirmation footer, and it is not
  counted in the address's daily cap. What stops the city from being made to bomb an
  address with codes is the code's own rate per destination and per client address
  (CITYHALL_SIGN_IN_CODES_PER_DESTINATION, _PER_CLIENT), counted before it is written.
- An address whose owner refused the city's messages gets no code either: the refusal
  stands until its owner confirms through an earlier message's link.
- A right code proves the address is its owner's: the address is confirmed for the caps
  (audited as confirmed by the address owner) and its held messages are released.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cityhall.accounts.codes import CodeError, Destination
from cityhall.accounts.errors import AccountCode
from cityhall.accounts.models import OneTimeCode, User
from cityhall.notifications import caps
from cityhall.notifications.models import ContactPoint, OutboxMessage
from cityhall.notifications.services import render


def _point(destination: Destination) -> ContactPoint | None:
    kind = (ContactPoint.Kind.EMAIL if destination.kind == OneTimeCode.Kind.EMAIL
            else ContactPoint.Kind.PHONE)
    return ContactPoint.objects.filter(kind=kind, digest=caps.digest(kind, destination.address)
                                       ).first()


def send_code(destination: Destination, code: str, minutes: int, language: str,
              account: User | None) -> None:
    """Write the code's message to the outbox (SMS or e-mail), past the caps."""
    point = _point(destination)
    if point is not None and point.refused_at is not None:
        raise CodeError(AccountCode.DESTINATION_REFUSED, _(
            "The owner of this address asked the city to send it nothing more. Use another "
            "address, or confirm this one through the link in an earlier message."))
    subject, body = render("sign_in_code", language, {"code": code, "minutes": minutes})
    channel = (OutboxMessage.Channel.EMAIL if destination.kind == OneTimeCode.Kind.EMAIL
               else OutboxMessage.Channel.SMS)
    OutboxMessage.objects.create(channel=channel, recipient=account, address=destination.address,
                                 subject=subject, body=body, subject_ref="sign_in_code")


def on_verified(sender: Any, destination: Destination, **kwargs: Any) -> None:
    """A right code: the address is its owner's, so lift the unconfirmed cap."""
    point = _point(destination)
    if point is not None and point.confirmed_at is None:
        caps.confirm(actor=caps.ADDRESS_OWNER, point=point)
