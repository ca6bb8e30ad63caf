"""The edXML exchange in one instance: the envelope of an issued document, sending it to one
of our units by code through the outbox, the clerk's accept or reject, each status back at
the sender, recalls, the exchange endpoint's authentication and its idempotency."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from cityhall.accounts.models import Role, User
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.documents import edxml, exchange, receiving, services, verification
from cityhall.documents.models import Arrival, Dispatch, DocumentFile, Peer
from cityhall.documents.peers import add_peer
from cityhall.notifications.models import OutboxMessage
from cityhall.notifications.services import deliver_outbox
from tests.documents_support import issued
from tests.factories import Personas, bearer, make_staff

pytestmark = [pytest.mark.django_db]


def call(user: User | None, method: str, path: str, body: Any = None) -> Any:
    headers = bearer(user) if user else {}
    client = Client()
    if method == "get":
        return client.get(path, headers=headers)
    return client.post(path, data=json.dumps(body or {}), content_type="application/json",
                       headers=headers)


@pytest.fixture
def sent(people: Personas) -> dict[str, Any]:
    """A decision of Phường Sài Gòn issued, and the other ward's clerk and leader."""
    clerk = make_staff("a.clerk", people.ward, Role.CLERK)
    document = issued(people.ward, people.officer, people.leader, clerk)
    return {"document": document, "clerk": clerk,
            "their_clerk": make_staff("b.clerk", people.other_ward, Role.CLERK),
            "their_leader": make_staff("b.leader", people.other_ward, Role.LEADER)}


def statuses(dispatch: Dispatch) -> list[str]:
    return [s.code for s in dispatch.statuses.all()]  # in the order they were made


def test_the_envelope_of_an_issued_document_carries_its_signed_pdf(
        people: Personas, sent: dict[str, Any]) -> None:
    document = sent["document"]
    answer = call(people.officer, "get", f"/api/v1/documents/{document.pk}/edxml")
    assert answer.status_code == 200, answer.content
    envelope = edxml.read_envelope(answer.content)
    assert envelope.sender.organ_id == people.ward.electronic_id or people.ward.code
    assert f"{envelope.code_number}/{envelope.code_notation}" == document.notation
    stored = DocumentFile.objects.get(document=document, kind="issued")
    assert [a.data for a in envelope.attachments] == [stored.file.open("rb").read()]
    assert verification.verify_files([envelope.attachments[0].data])[1] is True
    for user in (people.outsider, people.resident):
        assert call(user, "get", f"/api/v1/documents/{document.pk}/edxml").status_code == 404
    draft = services.draft_document(actor=people.officer, unit=people.ward,
                                    draft=services.DraftIn(doc_type="quyet_dinh", summary="x"))
    refused = call(people.officer, "get", f"/api/v1/documents/{draft.pk}/edxml")
    assert refused.status_code == 409 and refused.json()["code"] == "not_issued"


def test_sent_to_our_other_ward_it_is_registered_handled_and_each_status_comes_back(
        people: Personas, sent: dict[str, Any]) -> None:
    document, clerk = sent["document"], sent["clerk"]
    code = exchange.org_code(people.other_ward)
    unknown = call(clerk, "post", f"/api/v1/documents/{document.pk}/actions/send",
                   {"to": ["000.00.99.H99"]})
    assert unknown.status_code == 400 and "to" in unknown.json()["detail"]
    answer = call(clerk, "post", f"/api/v1/documents/{document.pk}/actions/send", {"to": [code]})
    assert answer.status_code == 200 and answer.json()["state"] == "sent", answer.content
    dispatch = Dispatch.objects.get(document=document)
    assert OutboxMessage.objects.filter(channel="edxml", subject_ref=dispatch.message_id).exists()
    assert deliver_outbox().sent == 1  # the envelope, to our unit in-process
    arrival = Arrival.objects.get(unit=people.other_ward)
    assert arrival.state == "waiting" and arrival.signatures_valid
    assert deliver_outbox().sent == 1  # 01 back
    dispatch.refresh_from_db()
    assert dispatch.status == "01"
    # The other ward's clerk sees it; our ward's does not.
    assert call(sent["their_clerk"], "get", "/api/v1/documents/arrivals").json()[0]["id"] == (
        arrival.pk)
    assert call(clerk, "get", f"/api/v1/documents/arrivals/{arrival.pk}").status_code == 404
    accepted = call(sent["their_clerk"], "post",
                    f"/api/v1/documents/arrivals/{arrival.pk}/actions/accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    incoming = accepted.json()["document"]
    entry = call(sent["their_clerk"], "get", f"/api/v1/documents/{incoming}").json()
    assert entry["notation"] == document.notation and entry["register_entry"]["number"] == 1
    assert [f["kind"] for f in entry["files"]] == ["arrived"]
    handling = call(sent["their_leader"], "post", f"/api/v1/documents/{incoming}/handlings",
                    {"assignee": sent["their_clerk"].username, "working_days": 5}).json()
    done = call(sent["their_clerk"], "post",
                f"/api/v1/documents/handlings/{handling['id']}/actions/complete",
                {"comment": "Đã triển khai."})
    assert done.status_code == 200
    deliver_outbox()
    seen = call(people.officer, "get", f"/api/v1/documents/{document.pk}").json()["dispatches"]
    assert [(d["to"], d["status"]) for d in seen] == [(code, "06")]
    assert [h["code"] for h in seen[0]["history"]] == ["01", "03", "04", "06"]
    # Delivered again (a lost answer, a retry): acknowledged, nothing changes.
    body = OutboxMessage.objects.get(subject_ref=dispatch.message_id).body.encode()
    again = exchange.receive(body, message_id=dispatch.message_id,
                             sender=exchange.org_code(people.ward), recipient=code)
    assert again.duplicate and Arrival.objects.count() == 1


def test_a_broken_signature_is_registered_only_with_a_reason_and_a_rejection_goes_back(
        people: Personas, sent: dict[str, Any]) -> None:
    document = sent["document"]
    code = exchange.org_code(people.other_ward)
    services.act_on_document(actor=sent["clerk"], document=document, action="send", to=[code])
    deliver_outbox()
    arrival = Arrival.objects.get()
    Arrival.objects.filter(pk=arrival.pk).update(signatures_valid=False)
    arrival.refresh_from_db()
    path = f"/api/v1/documents/arrivals/{arrival.pk}/actions/accept"
    refused = call(sent["their_clerk"], "post", path)
    assert refused.status_code == 422 and refused.json()["code"] == "signature_broken"
    ok = call(sent["their_clerk"], "post", path, {"override_reason": "Đã đối chiếu bản giấy."})
    assert ok.status_code == 200 and ok.json()["override_reason"]
    assert AuditEntry.objects.filter(action="documents.accept_edxml").count() == 1
    # The second one is rejected, with its reason, and nothing is registered.
    other = issued(people.ward, people.officer, people.leader, sent["clerk"])
    services.act_on_document(actor=sent["clerk"], document=other, action="send", to=[code])
    deliver_outbox()
    second = Arrival.objects.get(state="waiting")
    assert call(sent["their_clerk"], "post",
                f"/api/v1/documents/arrivals/{second.pk}/actions/reject").status_code == 422
    receiving.reject(actor=sent["their_clerk"], arrival=second, reason="Sai nơi nhận")
    deliver_outbox()
    dispatch = Dispatch.objects.get(document=other)
    assert dispatch.status == "02" and statuses(dispatch) == ["01", "02"]


def test_a_recall_is_agreed_or_refused_and_the_register_keeps_its_entry(
        people: Personas, sent: dict[str, Any]) -> None:
    document = sent["document"]
    code = exchange.org_code(people.other_ward)
    services.act_on_document(actor=sent["clerk"], document=document, action="send", to=[code])
    deliver_outbox()
    arrival = Arrival.objects.get()
    incoming = receiving.accept(actor=sent["their_clerk"], arrival=arrival)
    # Refused first: with a reason, 16.
    exchange.request_recall(actor=sent["clerk"], document=document, reason="Lần đầu")
    deliver_outbox()
    arrival.refresh_from_db()
    receiving.answer_recall(actor=sent["their_clerk"], arrival=arrival, agree=False,
                           reason="Đã xử lý xong")
    deliver_outbox()
    dispatch = Dispatch.objects.get()
    assert dispatch.status == "16"
    # Asked again, agreed: 15, and the register keeps the entry with a note.
    answer = call(sent["clerk"], "post", f"/api/v1/documents/{document.pk}/recall",
                  {"reason": "Sai sót nội dung"})
    assert answer.status_code == 200, answer.content
    deliver_outbox()
    arrival.refresh_from_db()
    assert arrival.recall_requested and arrival.recall_reason == "Sai sót nội dung"
    agreed = call(sent["their_clerk"], "post",
                  f"/api/v1/documents/arrivals/{arrival.pk}/actions/agree_recall")
    assert agreed.status_code == 200 and agreed.json()["state"] == "recalled"
    deliver_outbox()
    dispatch.refresh_from_db()
    assert dispatch.status == "15" and sorted(statuses(dispatch)) == [
        "01", "03", "13", "13", "15", "16"]
    incoming.refresh_from_db()
    assert incoming.number == 1 and "Sai sót nội dung" in incoming.notes  # kept, noted
    # Nothing more to recall once agreed.
    assert exchange.request_recall(actor=sent["clerk"], document=document, reason="x") == []


def _post(body: bytes, headers: dict[str, str]) -> Any:
    return Client().post("/api/v1/edxml/messages", data=body, content_type="application/xml",
                         headers=headers)


def test_the_exchange_endpoint_refuses_bad_signatures_stale_and_unknown_senders(
        people: Personas, sent: dict[str, Any]) -> None:
    document = sent["document"]
    code = exchange.org_code(people.other_ward)
    ours = exchange.org_code(people.ward)
    body = edxml.write_envelope(exchange.envelope_of(document, [(code, "B")]))
    add_peer(actor=SYSTEM, code=ours, url="http://127.0.0.1:9/api/v1/edxml/messages",
             key="k" * 32)

    def headers(*, key: str = "k" * 32, stamp: int | None = None, sender: str = ours,
                message_id: str = "m-1") -> dict[str, str]:
        stamp = int(time.time()) if stamp is None else stamp
        return {exchange.MESSAGE_ID: message_id, exchange.FROM: sender, exchange.TO: code,
                exchange.TIMESTAMP: str(stamp),
                exchange.SIGNATURE: exchange.signature(key, timestamp=str(stamp),
                                                       message_id=message_id, sender=sender,
                                                       recipient=code, body=body)}

    for bad, status, error in ((headers(key="wrong"), 401, "bad_signature"),
                               (headers(stamp=int(time.time()) - 3600), 401, "stale_message"),
                               (headers(sender="000.00.98.H98"), 403, "unknown_peer")):
        answer = _post(body, bad)
        assert (answer.status_code, answer.json()["code"]) == (status, error)
    tampered = _post(body.replace(b"Quy", b"QUY", 1), headers())
    assert tampered.json()["code"] == "bad_signature"
    assert not Arrival.objects.exists()
    first = _post(body, headers())
    assert first.status_code == 200 and first.json() == {
        "message_id": "m-1", "kind": "envelope", "duplicate": False}
    again = _post(body, headers())
    assert again.json()["duplicate"] is True and Arrival.objects.count() == 1
    other = body.replace(b"</edXML:Subject>", b" (2)</edXML:Subject>")
    reused = _post(other, {**headers(), exchange.SIGNATURE: exchange.signature(
        "k" * 32, timestamp=headers()[exchange.TIMESTAMP], message_id="m-1", sender=ours,
        recipient=code, body=other)})
    assert reused.status_code == 409 and reused.json()["code"] == "message_id_reused"


def test_peers_are_listed_and_added_by_the_command() -> None:
    out = io.StringIO()
    call_command("documents", "peers", "add", "000.00.00.G22", "https://axis.example/edxml",
                 "--key", "secret", "--name", "Trục liên thông", stdout=out)
    assert "added 000.00.00.G22" in out.getvalue()
    call_command("documents", "peers", "list", stdout=out)
    assert "https://axis.example/edxml" in out.getvalue() and "secret" not in out.getvalue()
    assert Peer.objects.get().key == "secret"


def test_the_clerks_pages_show_arrivals_and_take_the_decision(
        people: Personas, sent: dict[str, Any]) -> None:
    document = sent["document"]
    code = exchange.org_code(people.other_ward)
    page = Client()
    page.force_login(sent["clerk"])
    answer = page.post(f"/van-ban/{document.pk}/buoc/send/", {"to": code})
    assert answer.status_code == 302
    deliver_outbox()
    deliver_outbox()
    arrival = Arrival.objects.get()
    theirs = Client()
    theirs.force_login(sent["their_clerk"])
    listing = theirs.get("/van-ban/lien-thong/")
    assert listing.status_code == 200 and document.notation in listing.content.decode()
    assert theirs.get(f"/van-ban/lien-thong/{arrival.pk}/").status_code == 200
    assert page.get(f"/van-ban/lien-thong/{arrival.pk}/").status_code == 404  # not theirs
    accepted = theirs.post(f"/van-ban/lien-thong/{arrival.pk}/accept/")
    assert accepted.status_code == 302
    arrival.refresh_from_db()
    assert arrival.state == "accepted" and accepted["Location"] == (
        f"/van-ban/{arrival.document_id}/")
    deliver_outbox()
    shown = page.get(f"/van-ban/{document.pk}/").content.decode()
    assert "03 · " in shown and code in shown


def test_the_admin_adds_a_peer_and_never_shows_its_key() -> None:
    from tests.admin_support import admin_client

    client = admin_client()
    answer = client.post("/admin/documents/peer/add/", {
        "code": "000.00.00.G22", "name": "Trục", "url": "https://axis.example/edxml",
        "key": "very-secret", "active": "on"})
    assert answer.status_code == 302, answer.content[:2000]
    peer = Peer.objects.get()
    assert peer.key == "very-secret"
    page = client.get(f"/admin/documents/peer/{peer.pk}/change/").content.decode()
    assert "very-secret" not in page
    assert AuditEntry.objects.filter(action="documents.peer").exists()
