"""Time PAdES signing and verification per document (cityhall.core.signing).

Usage: .venv/bin/python bench/signing.py [--documents 50] [--pages 2]

Makes a scratch DEMO PKI under var/bench/pki/ (kept between runs), a Decree 30-like A4 PDF
of `--pages` pages (reportlab, Liberation Serif), then for each of `--documents` documents:
the leader's visible signature (the blue image between title and name), the
organisation's visible seal over it (a second signature, an incremental update), and
verification of both signatures against the demo CA; then an attachment signed with the
top-right stamp. Keys are opened once (as a web process would keep them); the first
document, which loads the font and warms the caches, is timed apart. Prints the median,
the 95th percentile and the mean of each step, the sizes, and the machine (CPU model,
cores, load average). No database and no network.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityhall.settings")
django.setup()

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from bench.common import load, machine  # noqa: E402
from cityhall.core.signing import (  # noqa: E402
    attachment_stamp_box,
    demo,
    load_signer,
    page_size,
    personal_signature_box,
    seal_box,
    sign_pdf,
    verify_pdf,
)
from cityhall.core.signing.sign import FONT  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PKI = ROOT / "var" / "bench" / "pki"


def document(pages: int) -> bytes:
    """An A4 decision: a page of body text per page, the signer's block on the last."""
    pdfmetrics.registerFont(TTFont("LiberationSerif", str(FONT)))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    for number in range(pages):
        page.setFont("LiberationSerif", 13)
        page.drawCentredString(A4[0] / 2, 780, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        for line in range(30):
            page.drawString(85, 740 - 16 * line,
                            f"Điều {line + 1}. Nội dung quyết định, trang {number + 1}, "
                            "dòng văn bản mẫu để đo.")
        if number == pages - 1:
            page.drawCentredString(430, 150, "CHỦ TỊCH")
            page.drawCentredString(430, 60, "Trần Quốc Bảo")
        page.showPage()
    page.save()
    return out.getvalue()


def summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"  {name:<44} median {statistics.median(ordered) * 1000:7.1f} ms   "
            f"p95 {p95 * 1000:7.1f} ms   mean {statistics.mean(ordered) * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--pages", type=int, default=2)
    args = parser.parse_args()

    pyhanko = "pyHanko " + version("pyhanko")
    print(f"machine: {machine(pyhanko)}; load before {load()}")
    leader = demo.demo_person_key("Trần Quốc Bảo", organisation="UBND Phường Thủ Đức",
                                  out=PKI)
    ward = demo.demo_organisation_key("UBND Phường Thủ Đức", out=PKI)
    roots = [PKI / "demo-ca.pem"]
    started = time.perf_counter()
    leader_signer = load_signer(leader.key_source)
    seconds_open = time.perf_counter() - started
    ward_signer = load_signer(ward.key_source)
    pdf = document(args.pages)
    box = personal_signature_box(page=-1, centre_x=430, top=140, bottom=75,
                                 image_png=leader.image_png())
    seal = seal_box(box, image_png=ward.image_png())
    stamp = attachment_stamp_box(page_size(pdf), number_notation="07/QĐ-UBND")
    steps: dict[str, list[float]] = {"personal signature (visible)": [],
                                     "organisation seal (second signature)": [],
                                     "verify both signatures": [],
                                     "attachment stamp (signature with text)": [],
                                     "one document: sign twice and verify": []}
    first: float | None = None
    signed = b""
    for index in range(args.documents + 1):
        started = time.perf_counter()
        once = sign_pdf(pdf, leader_signer, field_name="leader", box=box, reason="Ký duyệt",
                        location="Phường Thủ Đức")
        t1 = time.perf_counter()
        twice = sign_pdf(once, ward_signer, field_name="organisation", box=seal,
                         reason="Ban hành", location="Phường Thủ Đức")
        t2 = time.perf_counter()
        reports = verify_pdf(twice, roots)
        t3 = time.perf_counter()
        sign_pdf(pdf, ward_signer, field_name="attachment", box=stamp, reason="", location="")
        t4 = time.perf_counter()
        assert len(reports) == 2 and all(report.valid for report in reports), reports
        if index == 0:
            first = t3 - started
            continue
        for name, value in zip(steps, (t1 - started, t2 - t1, t3 - t2, t4 - t3, t3 - started),
                               strict=True):
            steps[name].append(value)
        signed = twice
    print(f"documents: {args.documents} of {args.pages} A4 page(s), {len(pdf):,} bytes; "
          f"signed twice {len(signed):,} bytes")
    print(f"open a PKCS#12 key: {seconds_open * 1000:.1f} ms (once per process); first "
          f"document (font, caches) {first * 1000 if first else 0:.0f} ms")
    for name, values in steps.items():
        print(summary(name, values))
    total = sum(steps["one document: sign twice and verify"])
    print(f"documents signed twice and verified per second, one process: "
          f"{args.documents / total:.1f}; load after {load()}")


if __name__ == "__main__":
    main()
