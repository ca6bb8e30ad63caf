"""Registry endpoints: public reads of units and place resolution."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["units"], auth=None)
