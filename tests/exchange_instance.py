"""A second cityhall instance's database for the two-instance edXML test, made fast: the
tables from the models (no migration history to replay), the registry, the workflows, the
document types, a clerk and a leader of one ward with API tokens, and a peer.

Run as a script with DATABASE_URL pointing at the new SQLite file; prints JSON.
Arguments: WARD_CODE PEER_CODE PEER_URL PEER_KEY.
"""

from __future__ import annotations

import json
import sys

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from cityhall.accounts import services  # noqa: E402
from cityhall.accounts.models import Role, UserKind  # noqa: E402
from cityhall.core.audit import SYSTEM  # noqa: E402
from cityhall.documents.peers import add_peer  # noqa: E402
from cityhall.documents.services import load_document_types  # noqa: E402
from cityhall.orgunits.models import Unit  # noqa: E402

ward_code, peer_code, peer_url, peer_key = sys.argv[1:5]
with connection.schema_editor() as editor:
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            editor.create_model(model)
call_command("load_units", verbosity=0)
call_command("load_workflows", verbosity=0)
load_document_types(actor=SYSTEM)
add_peer(actor=SYSTEM, code=peer_code, url=peer_url, key=peer_key)
ward = Unit.objects.active_on().get(code=ward_code)
tokens = {}
for name, role in (("b.clerk", Role.CLERK), ("b.leader", Role.LEADER)):
    user = services.create_user(actor=SYSTEM, username=name, kind=UserKind.STAFF,
                                full_name=name)
    services.grant_membership(actor=SYSTEM, user=user, unit=ward, role=role,
                              valid_from=__import__("datetime").date(2025, 7, 1))
    tokens[name] = services.issue_token(actor=SYSTEM, user=user, name="exchange test")[1]
print(json.dumps(tokens))
