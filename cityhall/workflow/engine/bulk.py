"""Writing the engine's fields of many cases in one statement (`core.bulk.bulk_set`)."""

from cityhall.core.bulk import bulk_set

__all__ = ["bulk_set"]
