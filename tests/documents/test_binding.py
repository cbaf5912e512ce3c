"""Steps bind to bytes: under workflow version 2, attach_text (and an enlargement's task force report) takes the
sha256 of an uploaded document and records its size, media type and filename as the vault has them; a hash the
vault does not hold is refused (rule document_stored) and changes nothing. Version 1 keeps its declared hashes."""

from __future__ import annotations

import hashlib

from domain.agreement import CooperationAgreement
from domain.values import Actor, AgreementKind, Counterparty, PartyKind, Role, StepContext
from tests.api.helpers import create_agreement, history, take_step, version_of
from tests.documents import samples
from tests.documents.helpers import download, upload
from workflows.definitions import AGREEMENT_V1, AGREEMENT_V2, ENLARGEMENT_V1, ENLARGEMENT_V2

ENLARGEMENTS = "/api/v1/enlargements"


def test_version_2_steps_that_take_a_document_take_an_uploaded_one_and_version_1_is_unchanged():
    assert AGREEMENT_V2.step("attach_text").fields[0].type == "stored_document"
    assert "document_stored" in AGREEMENT_V2.step("attach_text").rules
    for name in ("attach_text", "submit_task_force_report"):
        assert "document_stored" in ENLARGEMENT_V2.step(name).rules
        assert "document" not in {f.type for f in ENLARGEMENT_V2.step(name).fields}
    assert AGREEMENT_V1.step("attach_text").fields[0].type == "document"
    assert ENLARGEMENT_V1.step("submit_task_force_report").rules == ("needs_task_force", "report_once",
                                                                      "dates_in_order")


def test_attaching_an_uploaded_document_records_what_the_vault_has_of_it(client, auth):
    data = samples.docx("Article 1")
    uploaded = upload(client, auth("bruno"), data, "Draft 2.docx").get_json()
    created = create_agreement(client, auth("alice"))
    agreement_id = created.get_json()["id"]
    response = take_step(client, auth("alice"), agreement_id, "attach_text", version_of(created),
                         document={"title": "Second draft", "sha256": uploaded["sha256"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["current_text"] == {
        "title": "Second draft", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
        "media_type": uploaded["media_type"], "filename": "Draft 2.docx", "uri": None}
    attached = history(client, auth("alice"), agreement_id)[-1]
    assert attached["type"] == "attach_text"
    assert attached["data"]["document"]["size"] == len(data)
    assert attached["data"]["document"]["filename"] == "Draft 2.docx"


def test_the_client_cannot_declare_the_type_or_size_of_a_version_2_text(client, auth):
    sha256 = upload(client, auth("alice"), samples.pdf(), "a.pdf").get_json()["sha256"]
    created = create_agreement(client, auth("alice"))
    response = take_step(client, auth("alice"), created.get_json()["id"], "attach_text", version_of(created),
                         document={"title": "Draft", "sha256": sha256, "media_type": "text/html", "size": 1})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["document"]) == {"media_type", "size"}


def test_an_unknown_hash_is_refused_naming_the_rule_and_changes_nothing(client, auth, services):
    created = create_agreement(client, auth("alice"))
    agreement_id = created.get_json()["id"]
    head = services.app.recorder.max_notification_id()
    response = take_step(client, auth("alice"), agreement_id, "attach_text", version_of(created),
                         document={"title": "Draft", "sha256": hashlib.sha256(b"never uploaded").hexdigest()})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["rule"] == "document_stored"
    assert "document.sha256" in body["errors"]
    assert services.app.recorder.max_notification_id() == head
    assert client.get(f"/api/v1/agreements/{agreement_id}", headers=auth("alice")).get_json()["version"] == 1


def test_an_enlargements_task_force_report_is_bound_to_stored_bytes(client, auth):
    created = client.post(ENLARGEMENTS, headers=auth("alice"), json={
        "state": {"name": "Republic of Slovenia", "country": "SI"}, "target": "associate_member",
        "applied_on": "2024-01-10"})
    assert created.status_code == 201, created.get_json()
    process = created.get_json()["id"]
    steps = f"{ENLARGEMENTS}/{process}/steps"
    response = client.post(f"{steps}/establish_task_force", json={"decided_on": "2024-03-01"},
                           headers={**auth("alice"), "If-Match": created.headers["ETag"]})
    assert response.status_code == 200, response.get_json()
    report = {"submitted_on": "2024-06-01",
              "document": {"title": "Task force report", "sha256": hashlib.sha256(b"no such report").hexdigest()}}
    refused = client.post(f"{steps}/submit_task_force_report", json=report,
                          headers={**auth("alice"), "If-Match": response.headers["ETag"]})
    assert (refused.status_code, refused.get_json()["rule"]) == (422, "document_stored")
    data = samples.pdf("Report")
    report["document"]["sha256"] = upload(client, auth("alice"), data, "report.pdf").get_json()["sha256"]
    accepted = client.post(f"{steps}/submit_task_force_report", json=report,
                           headers={**auth("alice"), "If-Match": response.headers["ETag"]})
    assert accepted.status_code == 200, accepted.get_json()
    assert download(client, auth("farid"), report["document"]["sha256"]).get_data() == data


def test_a_version_1_agreement_keeps_the_hash_and_type_its_client_declared(client, auth, services):
    started = CooperationAgreement.start(
        by=Actor("alice", Role.IR_OFFICER), context=StepContext(), workflow_version=1, title="Old agreement",
        kind=AgreementKind.PROTOCOL, counterparties=[Counterparty("Chile", PartyKind.STATE, "CL")])
    services.app.save(started)
    declared = {"title": "Draft", "sha256": hashlib.sha256(b"a text Accord never saw").hexdigest(),
                "media_type": "application/pdf"}
    response = take_step(client, auth("alice"), str(started.id), "attach_text", 1, document=declared)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["current_text"] == {**declared, "uri": None}
    # a version 1 hash that names a stored document is a reference all the same: readers may download it
    data = samples.text("Version 1 text\n")
    stored = upload(client, auth("alice"), data, "v1.txt").get_json()
    response = take_step(client, auth("alice"), str(started.id), "attach_text", 2,
                         document={"title": "Draft 2", "sha256": stored["sha256"], "media_type": "text/plain"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["current_text"] == {"title": "Draft 2", "sha256": stored["sha256"],
                                                   "media_type": "text/plain", "uri": None}
    assert download(client, auth("eva"), stored["sha256"]).get_data() == data
