"""Helpers for the reports tests: categories, a fixed clock, reports made through the service."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from PIL import Image

from cityhall.core.audit import SYSTEM
from cityhall.reports import services
from cityhall.reports.services.catalogue import load_categories
from tests.factories import THUDUC, at, unit_named

# Friday 13 February 2026, 10:00, the last working day before Tết.
FRI = at(2026, 2, 13, 10)
# Monday 2 March 2026, 9:00: an ordinary working day.
MON = at(2026, 3, 2, 9)


def categories() -> None:
    load_categories(actor=SYSTEM)


def thu_duc_point() -> tuple[float, float]:
    unit = unit_named(THUDUC)
    return float(unit.latitude or 0), float(unit.longitude or 0)


def flood(actor: Any = services.ANONYMOUS, *, now: dt.datetime | None = MON, **extra: Any
          ) -> services.Submission:
    """A flooding report at the centre of Phường Thủ Đức; `now=None` files it at the real time."""
    lat, lon = thu_duc_point()
    fields: dict[str, Any] = {
        "category": "ngap-ha-tang", "description": "Nước ngập 40cm trước số 12.",
        "channel": "web", "latitude": lat, "longitude": lon,
        "attributes": {"kind": "flooding", "water_depth_cm": "40"},
    }
    fields.update(extra)
    return services.submit_report(actor=actor, now=now, **fields)


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG whose EXIF holds a GPS position and a camera model."""
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam 9"  # Model
    gps = {1: "N", 2: (10.0, 46.0, 30.0), 3: "E", 4: (106.0, 42.0, 10.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()
