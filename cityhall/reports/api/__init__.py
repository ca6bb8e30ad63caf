"""The reports JSON API at /api/v1/reports: staff queue and actions, create, the reporter's
follow/rate/reopen/photos, the public list, moderation, statistics."""

# The endpoints register on one router in this order: fixed paths (/statistics, /public,
# /assign) must come before /{code}, which would otherwise take them.
from cityhall.reports.api import public, reporter, staff  # noqa: F401
from cityhall.reports.api.router import router

__all__ = ["router"]
