"""The Gantt chart drawn on the server, for meetings and reports: PDF (reportlab) and PNG
(Pillow), from the same layout, with no browser.

`layout` turns the chart's data (gantt.gantt_data) into pages of shapes in points, top-down:
one row per task, phase by phase as on the page, each phase closed by its deadline as a
diamond; bars coloured by derived status with the progress filled in, the critical path
outlined in black, dependencies as elbow arrows (between rows of the same page), today as a
red line, and a task's target against its actual written after its bar. The two renderers
only paint shapes.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _

#: Bar and progress colours by derived status (as plans.css).
COLOURS: dict[str, tuple[str, str]] = {
    "not_started": ("#d5dbe1", "#9aa5b1"),
    "in_progress": ("#bcd3ee", "#2f6fb3"),
    "done_on_time": ("#2e8540", "#2e8540"),
    "done_late": ("#c77c02", "#c77c02"),
    "overdue": ("#f4b4b4", "#c62828"),
    "cancelled": ("#eeeeee", "#eeeeee"),
}
MILESTONE = "#6a1b9a"
TODAY = "#d32f2f"

# A3 landscape, in points.
PAGE_W, PAGE_H = 1190.0, 842.0
MARGIN = 28.0
LABEL_W = 330.0
HEADER_H = 74.0
ROW_H = 15.0
ROWS_PER_PAGE = int((PAGE_H - 2 * MARGIN - HEADER_H - 18) // ROW_H)


@dataclass(frozen=True)
class Shape:
    """One thing to paint: kind is rect, line, text or diamond; coordinates top-down."""

    kind: str
    x: float
    y: float
    w: float = 0.0
    h: float = 0.0
    fill: str | None = None
    stroke: str | None = None
    width: float = 0.5
    text: str = ""
    size: float = 8.0
    bold: bool = False
    dash: bool = False


@dataclass
class Page:
    shapes: list[Shape] = field(default_factory=list)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> str:
    amount = Decimal(str(value))
    return formats.number_format(amount, decimal_pos=0 if amount == amount.to_integral() else 2,
                                 use_l10n=True, force_grouping=True)


def target_label(target: dict[str, Any] | None) -> str:
    """"actual / target measure (met)" for a bar; empty when the task has no target."""
    if not target:
        return ""
    actual = _number(target["actual"]) if target["actual"] is not None else "-"
    mark = " ✓" if target["met"] else ""
    return f"{actual} / {_number(target['value'])} {target['measure']}{mark}"


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's rows as the page orders them: phase by phase, its deadline closing it."""
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for phase in data["phases"]:
        for task in data["tasks"]:
            if task["phase"] == phase["id"]:
                rows.append(task)
                seen.add(task["id"])
        rows.append({"milestone": True, "title": phase["name"], "start": phase["deadline"],
                     "end": phase["deadline"]})
    rows += [t for t in data["tasks"] if t["id"] not in seen]
    return rows


def layout(data: dict[str, Any], *, subtitle: str = "",
           max_pages: int | None = None) -> list[Page]:
    """The chart as pages of shapes (A3 landscape, ROWS_PER_PAGE rows a page), the first
    `max_pages` of them when given."""
    rows = _rows(data)
    today: dt.date = data["today"]
    days = [r["start"] for r in rows] + [r["end"] for r in rows] + [today]
    first = min(days).replace(day=1)
    last = max(days)
    span = max((last - first).days + 1, 1)
    left = MARGIN + LABEL_W
    right = PAGE_W - MARGIN - 150  # room for the target labels after the last bars
    scale = (right - left) / span

    def x_of(day: dt.date) -> float:
        return left + (day - first).days * scale

    pages: list[Page] = []
    chunks = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    for number, chunk in enumerate(chunks[:max_pages], start=1):
        page = Page()
        add = page.shapes.append
        add(Shape("text", MARGIN, MARGIN + 14, text=_short(data["title"], 150), size=13,
                  bold=True))
        add(Shape("text", MARGIN, MARGIN + 30, size=9, text=(
            f"{subtitle}  ·  " if subtitle else "") + _("As of %(day)s · page %(n)d of %(of)d")
            % {"day": formats.date_format(today, "SHORT_DATE_FORMAT"), "n": number,
               "of": len(chunks)}))
        legend_x = MARGIN
        for status, (_bar, colour) in COLOURS.items():
            add(Shape("rect", legend_x, MARGIN + 38, 10, 8, fill=colour, stroke="#777777"))
            label = str(dict(_status_labels()).get(status, status))
            add(Shape("text", legend_x + 13, MARGIN + 45, text=label, size=8))
            legend_x += 20 + len(label) * 4.2
        add(Shape("rect", legend_x, MARGIN + 38, 10, 8, fill="#ffffff", stroke="#111111",
                  width=1.5))
        add(Shape("text", legend_x + 13, MARGIN + 45, text=_("critical path"), size=8))
        legend_x += 20 + len(_("critical path")) * 4.2
        add(Shape("diamond", legend_x + 5, MARGIN + 42, 8, 8, fill=MILESTONE))
        add(Shape("text", legend_x + 13, MARGIN + 45, text=_("phase deadline"), size=8))
        top = MARGIN + HEADER_H
        bottom = top + 14 + len(chunk) * ROW_H
        # Month ticks along the top of the grid.
        month = first
        while month <= last:
            add(Shape("line", x_of(month), top, 0, bottom - top, stroke="#dddddd"))
            add(Shape("text", x_of(month) + 2, top + 10, text=f"{month.month:02d}/{month.year}",
                      size=7))
            month = (month + dt.timedelta(days=32)).replace(day=1)
        add(Shape("line", MARGIN, top + 14, right - MARGIN, 0, stroke="#999999"))
        where: dict[int, tuple[float, float, float]] = {}  # id -> (x start, x end, y mid)
        for index, row in enumerate(chunk):
            y = top + 14 + index * ROW_H
            mid = y + ROW_H / 2
            if index % 2:
                add(Shape("rect", MARGIN, y, right - MARGIN, ROW_H, fill="#f7f7f7"))
            if row.get("milestone"):
                add(Shape("text", MARGIN + 2, mid + 3, text="◆ " + _short(row["title"], 70),
                          size=8, bold=True))
                add(Shape("diamond", x_of(row["start"]), mid, 9, 9, fill=MILESTONE))
                continue
            unit = row.get("lead_unit") or ""
            add(Shape("text", MARGIN + 2, mid + 3, size=7.5,
                      text=_short(row["title"], 62) + (f" — {_short(unit, 26)}" if unit else "")))
            bar, fill = COLOURS.get(row["status"], COLOURS["not_started"])
            x0, x1 = x_of(row["start"]), x_of(row["end"]) + scale
            height = ROW_H - 5
            add(Shape("rect", x0, y + 2.5, max(x1 - x0, 1.5), height, fill=bar,
                      stroke="#111111" if row["critical"] else None,
                      width=1.6 if row["critical"] else 0.5, dash=row["status"] == "cancelled"))
            done = (x1 - x0) * float(row["progress"]) / 100
            if done > 0 and row["status"] != "cancelled":
                add(Shape("rect", x0, y + 2.5, done, height, fill=fill))
            label = target_label(row.get("target"))
            if label:
                add(Shape("text", x1 + 3, mid + 3, text=label, size=7,
                          bold=bool(row["target"]["met"])))
            where[row["id"]] = (x0, x1, mid)
        # Dependencies: predecessor's end to successor's start, as an elbow with an arrow.
        for row in chunk:
            if row.get("milestone") or row["id"] not in where:
                continue
            for link in row["dependencies"]:
                if link["id"] not in where:
                    continue
                _x0, end, y0 = where[link["id"]]
                begin, _x1, y1 = where[row["id"]]
                elbow = max(end + 3, begin - 4)
                add(Shape("line", end, y0, elbow - end, 0, stroke="#555555"))
                add(Shape("line", elbow, y0, 0, y1 - y0, stroke="#555555"))
                add(Shape("line", elbow, y1, begin - elbow, 0, stroke="#555555"))
                add(Shape("diamond", begin - 1, y1, 3, 3, fill="#555555"))
        if first <= today <= last:
            add(Shape("line", x_of(today), top, 0, bottom - top, stroke=TODAY, width=1.2))
            add(Shape("text", x_of(today) + 2, bottom + 10, text=_("today"), size=7))
        pages.append(page)
    return pages


def _status_labels() -> list[tuple[str, str]]:
    from cityhall.plans.status import Status

    return [(s.value, str(s.label)) for s in Status]


def chart_pdf(data: dict[str, Any], *, subtitle: str = "") -> bytes:
    """The chart as a PDF (A3 landscape), its text in the house serif and extractable."""
    from reportlab.lib.colors import HexColor
    from reportlab.pdfgen.canvas import Canvas

    from cityhall.core.pdf import SERIF, SERIF_BOLD, register_fonts

    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    canvas.setTitle(data["title"])
    for page in layout(data, subtitle=subtitle):
        for s in page.shapes:
            canvas.setLineWidth(s.width)
            canvas.setDash(3, 2) if s.dash else canvas.setDash()
            if s.stroke:
                canvas.setStrokeColor(HexColor(s.stroke))
            if s.fill:
                canvas.setFillColor(HexColor(s.fill))
            if s.kind == "rect":
                canvas.rect(s.x, PAGE_H - s.y - s.h, s.w, s.h, fill=bool(s.fill),
                            stroke=bool(s.stroke))
            elif s.kind == "line":
                canvas.line(s.x, PAGE_H - s.y, s.x + s.w, PAGE_H - s.y - s.h)
            elif s.kind == "diamond":
                path = canvas.beginPath()
                path.moveTo(s.x, PAGE_H - s.y + s.h / 2)
                path.lineTo(s.x + s.w / 2, PAGE_H - s.y)
                path.lineTo(s.x, PAGE_H - s.y - s.h / 2)
                path.lineTo(s.x - s.w / 2, PAGE_H - s.y)
                path.close()
                canvas.drawPath(path, fill=1, stroke=0)
            elif s.kind == "text":
                canvas.setFillColor(HexColor("#111111"))
                canvas.setFont(SERIF_BOLD if s.bold else SERIF, s.size)
                canvas.drawString(s.x, PAGE_H - s.y, s.text)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def chart_png(data: dict[str, Any], *, subtitle: str = "", scale: float = 1.5) -> bytes:
    """The chart's first page as a PNG (Pillow, `scale` pixels a point), for a slide."""
    from PIL import Image, ImageDraw, ImageFont

    from cityhall.core.pdf import SHIPPED_FONTS

    folder = Path(settings.CITYHALL_PDF_FONT_DIR or SHIPPED_FONTS)
    page = layout(data, subtitle=subtitle, max_pages=1)[0]
    image = Image.new("RGB", (int(PAGE_W * scale), int(PAGE_H * scale)), "white")
    draw = ImageDraw.Draw(image)
    fonts: dict[tuple[float, bool], Any] = {}

    def font(size: float, bold: bool) -> Any:
        if (size, bold) not in fonts:
            name = "LiberationSerif-Bold.ttf" if bold else "LiberationSerif-Regular.ttf"
            fonts[size, bold] = ImageFont.truetype(str(folder / name), int(size * scale))
        return fonts[size, bold]

    for s in page.shapes:
        x, y, w, h = s.x * scale, s.y * scale, s.w * scale, s.h * scale
        width = max(1, round(s.width * scale))
        if s.kind == "rect":
            draw.rectangle([x, y, x + max(w, 1), y + h], fill=s.fill, outline=s.stroke,
                           width=width if s.stroke else 0)
        elif s.kind == "line":
            draw.line([x, y, x + w, y + h], fill=s.stroke or "#000000", width=width)
        elif s.kind == "diamond":
            draw.polygon([(x, y - h / 2), (x + w / 2, y), (x, y + h / 2), (x - w / 2, y)],
                         fill=s.fill)
        elif s.kind == "text":
            draw.text((x, y), s.text, fill="#111111", font=font(s.size, s.bold), anchor="ls")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()
