"""Uploading documents: stored once by the sha256 of their bytes, typed from their content, within a size
limit, with nothing kept of what is refused."""

from __future__ import annotations

import hashlib
import io

import pytest

from bootstrap import create_app
from domain.documents import DOCX, JPEG, ODT, PDF, PNG, TEXT, clean_filename
from tests.documents import samples
from tests.documents.helpers import DOCUMENTS, upload

PROBLEM = "application/problem+json"


def rows(services) -> tuple[int, int]:
    """(documents, stored pieces) in the vault's tables."""
    documents = services.db.query("SELECT COUNT(*) AS n FROM documents")[0]["n"]
    pieces = services.db.query("SELECT COUNT(*) AS n FROM document_chunks")[0]["n"]
    return documents, pieces


@pytest.mark.parametrize(("make", "media_type"), [
    (samples.pdf, PDF), (samples.docx, DOCX), (samples.odt, ODT), (samples.text, TEXT), (samples.png, PNG),
    (samples.jpeg, JPEG)])
def test_an_uploaded_document_is_named_by_its_hash_and_typed_from_its_content(client, auth, make, media_type):
    data = make()
    response = upload(client, auth("alice"), data, "whatever.bin")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["size"] == len(data)
    assert body["media_type"] == media_type
    assert body["filename"] == "whatever.bin"
    assert body["uploaded_by"] == "alice"
    assert body["uploaded_at"].endswith("Z")
    assert response.headers["Location"] == f"{DOCUMENTS}/{body['sha256']}"


def test_the_same_bytes_twice_are_stored_once_and_answered_with_the_first_record(client, auth, services):
    first = upload(client, auth("alice"), samples.pdf(), "first.pdf")
    again = upload(client, auth("bruno"), samples.pdf(), "second.pdf")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert rows(services) == (1, 1)


def test_a_document_larger_than_one_piece_is_stored_in_pieces_and_whole(client, auth, services):
    data = samples.text("Article. " * 70_000)  # 630,000 bytes: three pieces of 256 KiB
    response = upload(client, auth("bruno"), data, "long.txt")
    assert response.status_code == 201
    assert rows(services) == (1, 3)
    assert b"".join(services.vault.chunks(response.get_json()["sha256"])) == data


@pytest.mark.parametrize(("data", "filename"), [
    (samples.HTML, "treaty.pdf"), (samples.plain_zip(), "treaty.docx"), (samples.EXECUTABLE, "scan.png"),
    (samples.LATIN1_TEXT, "notes.txt"), (b"text with a \x00 NUL", "notes.txt"), (b"", "empty.txt"),
    (b"PK\x03\x04 not really a zip", "draft.odt")])
def test_anything_but_a_document_is_refused_with_415_and_nothing_kept(client, auth, services, data, filename):
    response = upload(client, auth("alice"), data, filename)
    assert response.status_code == 415
    assert response.mimetype == PROBLEM
    assert response.get_json()["type"] == "urn:accord:problem:unsupported-document"
    assert rows(services) == (0, 0)


@pytest.fixture
def small_limit_app(storage):
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False,
                      "MAX_DOCUMENT_BYTES": 300_000})
    yield app
    app.extensions["accord"].close()


def test_a_document_over_the_limit_is_refused_with_413_and_nothing_kept(small_limit_app):
    services = small_limit_app.extensions["accord"]
    from domain.values import Actor, Role
    token = services.access.issue_token(Actor("pytest@cli", Role.ADMIN), "alice", Role.IR_OFFICER)
    client = small_limit_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    just_over = upload(client, headers, samples.text("x" * 300_001), "big.txt")  # the body fits, the file not
    far_over = upload(client, headers, samples.text("x" * 400_000), "bigger.txt")  # the body does not fit
    assert (just_over.status_code, far_over.status_code) == (413, 413)
    assert just_over.mimetype == far_over.mimetype == PROBLEM
    assert rows(services) == (0, 0)
    assert upload(client, headers, samples.text("x" * 300_000), "fits.txt").status_code == 201


def test_only_the_roles_that_attach_texts_may_upload(client, auth, services):
    for name in ("eva", "farid", "gwen"):
        response = upload(client, auth(name), samples.pdf(), "draft.pdf")
        assert response.status_code == 403, name
        assert response.mimetype == PROBLEM
    assert client.post(DOCUMENTS, data={}).status_code == 401
    assert rows(services) == (0, 0)


def test_an_upload_needs_exactly_one_file_sent_as_multipart(client, auth, services):
    assert client.post(DOCUMENTS, json={"sha256": "0" * 64}, headers=auth("alice")).status_code == 415
    assert client.post(DOCUMENTS, data={"title": "no file"}, headers=auth("alice"),
                       content_type="multipart/form-data").status_code == 422
    two = {"file": (io.BytesIO(samples.pdf()), "a.pdf"), "other": (io.BytesIO(samples.png()), "b.png")}
    assert client.post(DOCUMENTS, data=two, headers=auth("alice"), content_type="multipart/form-data"
                       ).status_code == 422
    declared = {"file": (io.BytesIO(samples.pdf()), "a.pdf"), "sha256": "0" * 64, "uploaded_by": "eva"}
    refused = client.post(DOCUMENTS, data=declared, headers=auth("alice"), content_type="multipart/form-data")
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"sha256", "uploaded_by"}
    assert rows(services) == (0, 0)


@pytest.mark.parametrize(("sent", "kept"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\alice\\Draft v2.docx", "Draft v2.docx"),
    ('evil"; filename="x.exe', "evil filename=x.exe"),
    ("Abkommen\r\nSet-Cookie: a=b.pdf", "Abkommen Set-Cookie: a=b.pdf"),
    ("draft\u202egpj.exe", "draftgpj.exe"),
    ("zero\u200bwidth\u0000.pdf", "zerowidth.pdf"),
    ("..hidden", "hidden"),
    ("Accord de coope\u0301ration.pdf", "Accord de coopération.pdf"),
    ("   ", "document"),
])
def test_filenames_are_kept_for_display_only_cleaned_of_paths_and_anything_that_breaks_a_header(sent, kept):
    assert clean_filename(sent) == kept


def test_a_long_filename_is_cut_keeping_its_extension():
    name = clean_filename("a" * 500 + ".pdf")
    assert len(name) == 200 and name.endswith("aaa.pdf")


def test_the_upload_answers_with_the_cleaned_filename(client, auth):
    response = upload(client, auth("alice"), samples.pdf(), "../secret/Draft\u202e v1.pdf")
    assert response.get_json()["filename"] == "Draft v1.pdf"
