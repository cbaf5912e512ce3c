"""Documents in the evidence: an export writes every document its events reference; the offline verifier and
``accord audit verify`` name each missing or altered one; an import carries them across SQLite and PostgreSQL
byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import main
from domain.agreement import CooperationAgreement
from domain.values import Actor, AgreementKind, Counterparty, PartyKind, Role, StepContext
from storage.documents import drop_guards
from tests.api.helpers import create_agreement, take_step, version_of
from tests.audit.test_export_import import DIRECTIONS, offline_verify, stores  # noqa: F401 - the fixture
from tests.documents import samples
from tests.documents.helpers import download, upload
from tests.storage.stores import use_store


def evidence_story(client, auth, services) -> dict[str, bytes]:
    """A version 2 agreement with a PDF and then a DOCX attached, a version 1 agreement whose declared hash
    names a stored text, and one whose declared hash names nothing stored; sha256 -> bytes of what is stored."""
    pdf, docx, text = samples.pdf("Article 1"), samples.docx("Article 1 and 2"), samples.text("Version 1 text\n")
    hashes = {}
    for data, name in ((pdf, "Draft 1.pdf"), (docx, "Draft 2.docx"), (text, "old.txt")):
        response = upload(client, auth("alice"), data, name)
        assert response.status_code == 201
        hashes[response.get_json()["sha256"]] = data
    created = create_agreement(client, auth("alice"))
    agreement_id, version = created.get_json()["id"], version_of(created)
    for sha256, title in ((hashlib.sha256(pdf).hexdigest(), "Draft 1"), (hashlib.sha256(docx).hexdigest(), "Draft 2")):
        response = take_step(client, auth("alice"), agreement_id, "attach_text", version,
                             document={"title": title, "sha256": sha256})
        assert response.status_code == 200, response.get_json()
        version = version_of(response)
    old = CooperationAgreement.start(by=Actor("alice", Role.IR_OFFICER), context=StepContext(), workflow_version=1,
                                     title="Old agreement", kind=AgreementKind.PROTOCOL,
                                     counterparties=[Counterparty("Chile", PartyKind.STATE, "CL")])
    services.app.save(old)
    for n, sha256 in enumerate((hashlib.sha256(text).hexdigest(), hashlib.sha256(b"never stored").hexdigest())):
        response = take_step(client, auth("alice"), str(old.id), "attach_text", n + 1,
                             document={"title": f"Old {n}", "sha256": sha256, "media_type": "text/plain"})
        assert response.status_code == 200, response.get_json()
    return hashes


def export(monkeypatch, storage, path: Path, folder: Path):
    use_store(monkeypatch, storage)
    return CliRunner().invoke(main, ["audit", "export", str(path), "--with-documents", str(folder)],
                              catch_exceptions=False)


def test_an_export_holds_every_referenced_document_and_the_offline_verifier_names_altered_and_missing_ones(
        client, auth, services, storage, monkeypatch, tmp_path):
    stored = evidence_story(client, auth, services)
    path, folder = tmp_path / "accord-export.jsonl", tmp_path / "documents"
    exported = export(monkeypatch, storage, path, folder)
    assert exported.exit_code == 0, exported.output
    assert "wrote 3 documents" in exported.output
    assert {p.name for p in folder.iterdir()} == {*stored, "documents.jsonl"}
    for sha256, data in stored.items():
        assert (folder / sha256).read_bytes() == data
    index = [json.loads(line) for line in (folder / "documents.jsonl").read_text().splitlines()]
    assert [row["sha256"] for row in index] == sorted(stored)
    assert {row["filename"] for row in index} == {"Draft 1.pdf", "Draft 2.docx", "old.txt"}

    status, summary, problems = offline_verify(path)
    assert (status, summary["ok"], summary["documents_checked"], problems) == (0, True, 3, [])

    pdf, docx = (hashlib.sha256(samples.pdf("Article 1")).hexdigest(),
                 hashlib.sha256(samples.docx("Article 1 and 2")).hexdigest())
    altered = bytearray((folder / pdf).read_bytes())
    altered[20] ^= 1
    (folder / pdf).write_bytes(bytes(altered))
    (folder / docx).unlink()
    status, summary, problems = offline_verify(path)
    assert status == 1 and summary["ok"] is False
    assert [p for p in problems if pdf in p and "altered" in p] and [p for p in problems if docx in p and "missing"
                                                                     in p]
    assert len(problems) == 2, problems


def test_a_stored_document_is_never_updated_and_one_altered_behind_the_guard_is_named_by_audit_verify(
        client, auth, services, storage, monkeypatch):
    stored = evidence_story(client, auth, services)
    pdf = hashlib.sha256(samples.pdf("Article 1")).hexdigest()
    use_store(monkeypatch, storage)
    clean = CliRunner().invoke(main, ["audit", "verify"], catch_exceptions=False)
    assert clean.exit_code == 0, clean.output

    with pytest.raises(Exception, match="never updated or deleted"):
        with services.db.transaction() as cursor:
            cursor.execute("UPDATE document_chunks SET bytes = ? WHERE seq = 0", (b"forged",))
    with pytest.raises(Exception, match="never updated or deleted"):
        with services.db.transaction() as cursor:
            cursor.execute("DELETE FROM documents")
    assert len(services.vault.hashes()) == len(stored)

    with services.db.transaction() as cursor:  # an intruder who drops the guard first
        for statement in drop_guards(services.db.dialect):
            cursor.execute(statement)
        cursor.execute("UPDATE document_chunks SET bytes = ? WHERE upload_id = (SELECT upload_id FROM documents "
                       "WHERE sha256 = ?)", (b"%PDF-1.4 forged", pdf))
    tampered = CliRunner().invoke(main, ["audit", "verify"], catch_exceptions=False)
    assert tampered.exit_code == 1
    named = [line for line in tampered.output.splitlines() if line.startswith("problem")]
    assert len(named) == 1 and pdf in named[0], tampered.output


@pytest.mark.parametrize(("origin", "target"), DIRECTIONS)
def test_an_import_carries_the_documents_across_backends_byte_for_byte(stores, origin, target,  # noqa: F811
                                                                       monkeypatch, tmp_path):
    source, copy = stores[origin], stores[target]
    from tests.conftest import USERS
    tokens = {name: source.services.access.issue_token(Actor("pytest@cli", Role.ADMIN), name, role)
              for name, role in USERS.items()}
    with source.app.test_client() as client:
        stored = evidence_story(client, lambda name: {"Authorization": f"Bearer {tokens[name]}"}, source.services)
    first, first_folder = tmp_path / "first.jsonl", tmp_path / "first"
    assert export(monkeypatch, source.storage, first, first_folder).exit_code == 0

    use_store(monkeypatch, copy.storage)
    imported = CliRunner().invoke(main, ["audit", "import", str(first), "--with-documents", str(first_folder)],
                                  catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    assert "loaded 3 documents" in imported.output
    second, second_folder = tmp_path / "second.jsonl", tmp_path / "second"
    assert export(monkeypatch, copy.storage, second, second_folder).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    assert sorted(p.name for p in second_folder.iterdir()) == sorted(p.name for p in first_folder.iterdir())
    for name in (p.name for p in first_folder.iterdir()):
        assert (second_folder / name).read_bytes() == (first_folder / name).read_bytes(), name

    with copy.app.test_client() as client:  # the tokens came across with the events that issued them
        for sha256, data in stored.items():
            response = download(client, {"Authorization": f"Bearer {tokens['eva']}"}, sha256)
            assert (response.status_code, response.get_data() == data) == (200, True)
