"""The REST API at /api/v1/: each domain app contributes a router."""

from __future__ import annotations

from cityhall.core.api import Api, install_error_handlers
from cityhall.core.limits import install_api_handler

api = Api(
    title="cityhall API",
    version="1",
    description=(
        "The REST API of cityhall, the digital city hall. Registry reads are public; "
        "other endpoints need a session or `Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
)
install_error_handlers(api)
install_api_handler(api)

from cityhall.accounts.api import router as accounts_router  # noqa: E402
from cityhall.documents.api import edxml_router  # noqa: E402
from cityhall.documents.api import router as documents_router  # noqa: E402
from cityhall.documents.api import units_router as registers_router  # noqa: E402
from cityhall.dossiers.api import payments_router as dossiers_payments_router  # noqa: E402
from cityhall.dossiers.api import register_router as dossiers_register_router  # noqa: E402
from cityhall.dossiers.api import router as dossiers_router  # noqa: E402
from cityhall.indicators.api import index_router  # noqa: E402
from cityhall.indicators.api import router as indicators_router  # noqa: E402
from cityhall.notifications.api import router as notifications_router  # noqa: E402
from cityhall.orgunits.api import router as orgunits_router  # noqa: E402
from cityhall.plans.api import router as plans_router  # noqa: E402
from cityhall.plans.api_followup import router as plans_followup_router  # noqa: E402
from cityhall.procedures.api import router as procedures_router  # noqa: E402
from cityhall.reports.api import router as reports_router  # noqa: E402

api.add_router("/units", orgunits_router)
api.add_router("/", accounts_router)
api.add_router("/notifications", notifications_router)
api.add_router("/reports", reports_router)
api.add_router("/procedures", procedures_router)
api.add_router("/dossiers", dossiers_router)
api.add_router("/", plans_router)
# A task's evidence and extension requests (plans).
api.add_router("/", plans_followup_router)
api.add_router("/units", dossiers_register_router)
api.add_router("/payments", dossiers_payments_router)
api.add_router("/indicators", indicators_router)
api.add_router("/index766", index_router)
api.add_router("/documents", documents_router)
# A unit's registers of documents, beside the registry's own /units routes.
api.add_router("/units", registers_router)
# The edXML exchange endpoint peers post to (documents).
api.add_router("/edxml", edxml_router)
