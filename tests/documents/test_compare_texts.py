"""Comparing two texts of an agreement through the API: uploaded documents attached as successive texts, then
the redline by paragraph. Each text's extraction is kept once; what cannot be compared (a zip bomb, a scan, a
text of another agreement) is refused with the rule that says why; strangers are told nothing exists."""

from __future__ import annotations

import io
import zipfile

import pytest

from bootstrap.seed.drafts import docx, pdf
from tests.api.helpers import AGREEMENTS, assert_problem, create_agreement, take_step, version_of
from tests.documents import samples
from tests.documents.helpers import upload

DRAFT_1 = ["Article 1. Purpose. The Parties shall cooperate in high-energy physics.",
           "Article 2. Costs. Each Party bears its own costs.",
           "Article 3. Duration. This Agreement is concluded for five years.",
           "Article 4. Disputes. Disputes are settled by consultation."]
DRAFT_2 = ["Article 1. Purpose. The Parties shall cooperate in high-energy physics.",
           "Article 2. Costs. Each Party bears its own costs, unless the Parties agree otherwise in writing.",
           "Article 4. Disputes. Disputes are settled by consultation.",
           "Article 5. Entry into force. On the date of the last signature."]


def uploaded(client, auth, data: bytes, filename: str) -> str:
    response = upload(client, auth("alice"), data, filename)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["sha256"]


def attach(client, auth, agreement, sha256: str, title: str):
    response = take_step(client, auth("alice"), agreement.get_json()["id"], "attach_text", version_of(agreement),
                         document={"title": title, "sha256": sha256})
    assert response.status_code == 200, response.get_json()
    return response


def agreement_with(client, auth, *files: tuple[bytes, str]) -> tuple[str, list[str]]:
    """A new agreement with each (bytes, filename) uploaded and attached as its next text: (id, their sha256)."""
    response = create_agreement(client, auth("alice"))
    assert response.status_code == 201, response.get_json()
    hashes = []
    for number, (data, filename) in enumerate(files, start=1):
        hashes.append(uploaded(client, auth, data, filename))
        response = attach(client, auth, response, hashes[-1], f"Draft {number}")
    return response.get_json()["id"], hashes


def compare(client, auth, agreement_id: str, before: str, after: str, who: str = "bruno"):
    return client.get(f"{AGREEMENTS}/{agreement_id}/texts/compare", query_string={"from": before, "to": after},
                      headers=auth(who))


def kept_texts(services) -> int:
    return services.db.query("SELECT COUNT(*) AS n FROM document_texts")[0]["n"]


def test_a_pdf_draft_and_a_docx_draft_compare_paragraph_by_paragraph(client, auth):
    agreement_id, (first, second) = agreement_with(client, auth, (pdf(DRAFT_1), "draft-1.pdf"),
                                                   (docx(DRAFT_2), "draft-2.docx"))
    response = compare(client, auth, agreement_id, first, second)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [(p["op"], p["text"]) for p in body["paragraphs"]] == [
        ("equal", DRAFT_1[0]), ("replace", DRAFT_2[1]), ("delete", DRAFT_1[2]), ("equal", DRAFT_1[3]),
        ("insert", DRAFT_2[3])]
    changed = body["paragraphs"][1]
    assert changed["from_text"] == DRAFT_1[1]
    assert {"op": "insert", "text": "costs, unless the Parties agree otherwise in writing."} in changed["words"]
    assert body["counts"] == {"equal": 2, "replace": 1, "delete": 1, "insert": 1}
    assert (body["from"]["sha256"], body["from"]["media_type"], body["from"]["filename"]) == (
        first, "application/pdf", "draft-1.pdf")
    assert (body["to"]["sha256"], body["to"]["version"], body["to"]["attached_by"]) == (second, 3, "alice")


def test_an_agreements_texts_are_listed_oldest_first_for_a_client_to_pick_two(client, auth):
    agreement_id, hashes = agreement_with(client, auth, (pdf(DRAFT_1), "a.pdf"), (docx(DRAFT_2), "b.docx"))
    response = client.get(f"{AGREEMENTS}/{agreement_id}/texts", headers=auth("eva"))
    assert response.status_code == 200
    assert [(t["sha256"], t["title"], t["version"], t["stored"]) for t in response.get_json()] == [
        (hashes[0], "Draft 1", 2, True), (hashes[1], "Draft 2", 3, True)]


def test_plain_texts_compare_by_their_blank_line_paragraphs(client, auth):
    agreement_id, (first, second) = agreement_with(
        client, auth, ("\n\n".join(DRAFT_1).encode(), "v1.txt"), ("\n\n".join(DRAFT_2).encode(), "v2.txt"))
    body = compare(client, auth, agreement_id, first, second, who="farid").get_json()
    assert body["counts"] == {"equal": 2, "replace": 1, "delete": 1, "insert": 1}


def test_a_text_is_extracted_once_and_kept_by_its_hash(client, auth, services):
    agreement_id, (first, second) = agreement_with(client, auth, (pdf(DRAFT_1), "a.pdf"), (docx(DRAFT_2), "b.docx"))
    assert kept_texts(services) == 0
    answer = compare(client, auth, agreement_id, first, second).get_json()
    kept = services.db.query("SELECT sha256, extracted_at FROM document_texts ORDER BY sha256")
    assert sorted(row["sha256"] for row in kept) == sorted([first, second])
    assert compare(client, auth, agreement_id, second, first).status_code == 200
    assert compare(client, auth, agreement_id, first, second).get_json() == answer
    assert services.db.query("SELECT sha256, extracted_at FROM document_texts ORDER BY sha256") == kept


def test_a_text_compared_with_itself_is_all_equal(client, auth):
    agreement_id, (first,) = agreement_with(client, auth, (pdf(DRAFT_1), "a.pdf"))
    body = compare(client, auth, agreement_id, first, first).get_json()
    assert body["counts"] == {"equal": 4, "replace": 0, "delete": 0, "insert": 0}


def zip_bomb() -> bytes:
    """A DOCX of a few hundred kilobytes whose document.xml expands to 200 MiB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
                                                '.org/package/2006/content-types"/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                         b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
            for _ in range(200):
                member.write(b"a" * (1024 * 1024))
    return out.getvalue()


def test_a_zip_bomb_is_refused_as_too_large_and_nothing_is_kept(client, auth, services):
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024
    agreement_id, (first, second) = agreement_with(client, auth, (pdf(DRAFT_1), "a.pdf"), (bomb, "bomb.docx"))
    problem = assert_problem(compare(client, auth, agreement_id, first, second), 422)
    assert problem["rule"] == "extraction_too_large"
    assert "Draft 2" in problem["detail"]
    assert [row["sha256"] for row in services.db.query("SELECT sha256 FROM document_texts")] == [first]


def test_a_scan_has_no_text_to_compare(client, auth):
    png = samples.png()
    agreement_id, (first, second) = agreement_with(client, auth, (pdf(DRAFT_1), "a.pdf"), (png, "scan.png"))
    problem = assert_problem(compare(client, auth, agreement_id, first, second), 422)
    assert problem["rule"] == "no_text"
    assert "no OCR" in problem["detail"]


def test_a_text_of_another_agreement_is_refused(client, auth):
    agreement_id, (first,) = agreement_with(client, auth, (pdf(DRAFT_1), "a.pdf"))
    _, (elsewhere,) = agreement_with(client, auth, (docx(DRAFT_2), "b.docx"))
    problem = assert_problem(compare(client, auth, agreement_id, first, elsewhere), 422)
    assert problem["rule"] == "text_of_agreement"


@pytest.mark.parametrize("query", [{"from": "abc", "to": "abc"}, {"from": "A" * 64, "to": "a" * 64}, {"to": "a" * 64}])
def test_a_malformed_or_missing_hash_is_refused_by_field(client, auth, query):
    agreement_id, _ = agreement_with(client, auth)
    response = client.get(f"{AGREEMENTS}/{agreement_id}/texts/compare", query_string=query, headers=auth("bruno"))
    assert assert_problem(response, 422)["type"] == "urn:accord:problem:invalid-fields"


def test_a_stranger_and_an_unknown_agreement_get_404_and_learn_nothing(client, auth):
    agreement_id, (first, second) = agreement_with(client, auth, (pdf(DRAFT_1), "a.pdf"), (docx(DRAFT_2), "b.docx"))
    assert_problem(compare(client, auth, agreement_id, first, second, who="gwen"), 404)
    assert_problem(client.get(f"{AGREEMENTS}/{agreement_id}/texts", headers=auth("gwen")), 404)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(compare(client, auth, unknown, first, second), 404)
    response = client.get(f"{AGREEMENTS}/{agreement_id}/texts/compare", query_string={"from": first, "to": second})
    assert_problem(response, 401)


def test_comparing_records_nothing_in_the_event_store(client, auth, services):
    agreement_id, (first, second) = agreement_with(client, auth, (pdf(DRAFT_1), "a.pdf"), (docx(DRAFT_2), "b.docx"))
    before = services.app.recorder.max_notification_id()
    assert compare(client, auth, agreement_id, first, second).status_code == 200
    assert services.app.recorder.max_notification_id() == before


def test_the_demo_attaches_two_real_drafts_to_the_mongolia_agreement_that_compare(client, auth, services):
    from bootstrap.seed.demo import seed_demo
    from domain.values import Actor, Role

    said: list[str] = []
    seed_demo(services.agreements, services.access, Actor("pytest@cli", Role.ADMIN), say=said.append)
    [mongolia] = [line.split()[2] for line in said if line.endswith("Mongolia ICA (legal review pending)")]
    texts = client.get(f"{AGREEMENTS}/{mongolia}/texts", headers=auth("eva")).get_json()
    assert [(t["filename"], t["media_type"], t["stored"]) for t in texts] == [
        ("mongolia-ica-draft-1.pdf", "application/pdf", True),
        ("mongolia-ica-draft-2.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", True)]
    body = compare(client, auth, mongolia, texts[0]["sha256"], texts[1]["sha256"], who="eva").get_json()
    assert body["counts"] == {"equal": 4, "replace": 4, "insert": 1, "delete": 0}


def test_a_version_1_text_declared_by_its_hash_alone_has_no_text_to_compare(client, auth, services):
    import hashlib

    from domain.agreement import CooperationAgreement
    from domain.values import Actor, AgreementKind, Counterparty, PartyKind, Role, StepContext

    started = CooperationAgreement.start(
        by=Actor("alice", Role.IR_OFFICER), context=StepContext(), workflow_version=1, title="Old agreement",
        kind=AgreementKind.PROTOCOL, counterparties=[Counterparty("Chile", PartyKind.STATE, "CL")])
    services.app.save(started)
    declared = hashlib.sha256(b"a text Accord never saw").hexdigest()
    assert take_step(client, auth("alice"), str(started.id), "attach_text", 1,
                     document={"title": "Declared draft", "sha256": declared}).status_code == 200
    stored = uploaded(client, auth, "\n\n".join(DRAFT_2).encode(), "v2.txt")
    assert take_step(client, auth("alice"), str(started.id), "attach_text", 2,
                     document={"title": "Stored draft", "sha256": stored}).status_code == 200
    texts = client.get(f"{AGREEMENTS}/{started.id}/texts", headers=auth("bruno")).get_json()
    assert [(t["title"], t["stored"], t["media_type"]) for t in texts] == [
        ("Declared draft", False, None), ("Stored draft", True, "text/plain; charset=utf-8")]
    problem = assert_problem(compare(client, auth, str(started.id), declared, stored), 422)
    assert (problem["rule"], problem["detail"]) == (
        "no_text", "“Declared draft” was recorded without its file: Accord has no text to compare")
