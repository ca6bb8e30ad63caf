"""`cityhall documents verify FILE.pdf [FILE ...]`: each signature's signer, the chain's
verdict against the trust roots, the signing time and whether the file changed after it.

Exit status: 0 when every file is signed and every signature valid; 1 when a signature is
not valid or a file carries none; 2 when a file cannot be read (missing, not a PDF,
locked with a password). `--json` prints the same as one JSON document.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.conf import settings

from cityhall.core.signing import SignatureReport, configured_trust_roots
from cityhall.core.signing.verify import demo_ca_trusted, load_certificates
from cityhall.documents.verification import (
    Status,
    Verification,
    chain_of,
    problem_texts,
    signature_out,
    verify_bytes,
)

HELP = ("verify the signatures of PDF files: signer, chain against the trust roots, "
        "signing time, changed after signing (exit 0 only when all are valid)")

#: The exit status of each verdict (the worst file decides).
EXIT = {Status.VALID: 0, Status.INVALID: 1, Status.UNSIGNED: 1, Status.UNREADABLE: 2}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE.pdf", help="the PDF files to verify")
    parser.add_argument(
        "--trust-root", action="append", default=[], metavar="PEM",
        help="trust these certificate authorities (PEM files; repeatable) instead of the "
             "configured ones (CITYHALL_SIGNING_TRUST_ROOTS, and the DEMO CA when trusted)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def _roots(paths: list[str]) -> tuple[list[Any], str]:
    """The roots to verify against, and where they come from, in words."""
    if paths:
        return [cert for path in paths for cert in load_certificates(Path(path))], (
            "--trust-root " + ", ".join(paths))
    sources = [str(p) for p in getattr(settings, "CITYHALL_SIGNING_TRUST_ROOTS", [])]
    if demo_ca_trusted():
        sources.append("the DEMO CA (CITYHALL_SIGNING_TRUST_DEMO_CA)")
    return configured_trust_roots(), ", ".join(sources) or "none configured"


def _lines(report: SignatureReport, index: int) -> list[str]:
    chain = chain_of(report)
    when = report.signing_time.isoformat() if report.signing_time else "unknown"
    changed = ("no" if not report.modified_after_signing
               else f"YES ({report.changes})")
    lines = [
        f"  signature {index}: {report.field_name}",
        f"    signer:   {report.signer_name or 'unknown'}"
        + (f" ({report.organisation})" if report.organisation else ""),
        f"    chain:    {chain.value}" + (f" (issued by {report.issuer})" if report.issuer else ""),
        f"    signed:   {when} (the time the signer claims)",
        f"    intact:   {'yes' if report.intact else 'NO'}",
        f"    changed after signing: {changed}",
        f"    verdict:  {'VALID' if report.valid else 'NOT VALID'}",
    ]
    lines.extend(f"    problem:  {text}" for text in problem_texts(report))
    return lines


def _read(path: Path) -> tuple[bytes | None, str]:
    try:
        return path.read_bytes(), ""
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror or exc}"


def handle(options: dict[str, Any]) -> int:
    out, err = options["stdout"], options["stderr"]
    try:
        roots, source = _roots(options["trust_root"])
    except (OSError, ValueError) as exc:
        err.write(f"documents verify: a trust root cannot be read: {exc}")
        return 2
    worst = 0
    results: list[dict[str, Any]] = []
    if not options["json"]:
        out.write(f"trust roots: {len(roots)} certificate(s) from {source}")
    for name in options["files"]:
        data, problem = _read(Path(name))
        verification = (Verification(error=problem) if data is None
                        else verify_bytes(data, roots))
        status = verification.status
        worst = max(worst, EXIT[status])
        if options["json"]:
            results.append({"file": name, "status": status.value, "error": verification.error,
                            "signatures": [signature_out(r) | {"changes": str(r.changes)}
                                           for r in verification.signatures]})
            continue
        out.write(f"{name}:")
        for index, report in enumerate(verification.signatures, start=1):
            for line in _lines(report, index):
                out.write(line)
        verdict = {Status.VALID: "VALID: every signature is valid",
                   Status.INVALID: "NOT VALID: a signature is broken, untrusted or the file "
                                   "changed after signing",
                   Status.UNSIGNED: "NOT VALID: the file carries no digital signature",
                   Status.UNREADABLE: f"NOT VALID: {verification.error}"}[status]
        (out if status == Status.VALID else err).write(f"  {verdict}")
    if options["json"]:
        out.write(json.dumps({"trust_roots": source, "files": results}, default=str,
                             ensure_ascii=False, indent=2))
    return worst
