"""Digital signatures on documents: the one place the `sign` and `issue` steps ask for one.

PAdES signing is `cityhall.core.signing` (pyHanko), built separately. Until it is in the
code base this module signs nothing and says so: `sign_document` returns the PDF as it
was with `signed=False`, and the document page and API show the file as unsigned. It never
pretends: no image of a signature or seal is drawn on an unsigned file.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from cityhall.accounts.models import User
from cityhall.documents.models import Document


@dataclass(frozen=True)
class Signed:
    """The PDF after signing, and whether it really carries a signature."""

    pdf: bytes
    signed: bool
    note: str = ""


def signing_available() -> bool:
    """Whether the PAdES signing module is part of this installation."""
    return importlib.util.find_spec("cityhall.core.signing") is not None


def sign_document(pdf: bytes, *, document: Document, signer: User | None,
                  box: tuple[int, float, float, float, float] | None, as_organisation: bool
                  ) -> Signed:
    """Sign `pdf` as the leader (`as_organisation=False`) or the organisation.

    Without `cityhall.core.signing` the file is left unsigned (see docs/documents.md).
    """
    if not signing_available():
        return Signed(pdf=pdf, signed=False,
                      note="cityhall.core.signing is not installed: the file is not signed")
    raise NotImplementedError("wire cityhall.core.signing here once it lands")  # pragma: no cover
