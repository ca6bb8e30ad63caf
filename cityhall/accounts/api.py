"""Endpoints about the signed-in person: who they are, their units, who read their data."""

from __future__ import annotations

from ninja import Router, Schema

from cityhall.core.api import AUTH

router = Router(tags=["accounts"], auth=AUTH)


class MeOut(Schema):
    username: str
    kind: str
    display_name: str


@router.get("/me", response=MeOut)
def me(request):  # type: ignore[no-untyped-def]
    """The signed-in user."""
    user = request.auth
    return {"username": user.get_username(), "kind": user.kind, "display_name": user.display_name}
