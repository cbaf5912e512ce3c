"""Downloading documents: streamed with their type, hash and cleaned filename, in ranges, revalidated by ETag,
and only for those who may read what references them (or who uploaded them): 404 for everyone else."""

from __future__ import annotations

import hashlib

import pytest

from tests.api.helpers import create_agreement, take_step, version_of
from tests.documents import samples
from tests.documents.helpers import download, upload

PROBLEM = "application/problem+json"


@pytest.fixture
def stored(client, auth):
    """A PDF of about 600 KiB (three stored pieces) uploaded by alice under a name that needs encoding."""
    data = samples.pdf("Article 1 " * 60_000)
    response = upload(client, auth("alice"), data, "Accord de coopération – v2.pdf")
    assert response.status_code == 201
    return data, response.get_json()["sha256"]


def attach(client, auth, sha256: str, user: str = "alice") -> str:
    """A new (version 2) agreement with the document attached as its text; returns its id."""
    created = create_agreement(client, auth(user))
    agreement_id = created.get_json()["id"]
    response = take_step(client, auth(user), agreement_id, "attach_text", version_of(created),
                         document={"title": "Draft v2", "sha256": sha256})
    assert response.status_code == 200, response.get_json()
    return agreement_id


def test_a_download_is_the_stored_bytes_with_headers_that_keep_the_browser_from_running_them(client, auth, stored):
    data, sha256 = stored
    response = download(client, auth("alice"), sha256)
    assert response.status_code == 200
    assert response.get_data() == data
    assert hashlib.sha256(response.get_data()).hexdigest() == sha256
    assert response.mimetype == "application/pdf"
    assert response.headers["ETag"] == f'"{sha256}"'
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Accord de cooperation v2.pdf\"; "
        "filename*=UTF-8''Accord%20de%20coop%C3%A9ration%20%E2%80%93%20v2.pdf")


def test_a_range_across_stored_pieces_is_answered_206_with_exactly_those_bytes(client, auth, stored):
    data, sha256 = stored
    for first, last in ((0, 9), (262_140, 262_150), (len(data) - 5, len(data) - 1), (524_288, 524_288)):
        response = download(client, auth("alice"), sha256, Range=f"bytes={first}-{last}")
        assert response.status_code == 206
        assert response.get_data() == data[first:last + 1]
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
    suffix = download(client, auth("alice"), sha256, Range="bytes=-7")
    assert (suffix.status_code, suffix.get_data()) == (206, data[-7:])


def test_a_range_outside_the_document_is_416_and_a_multipart_range_gets_the_whole(client, auth, stored):
    data, sha256 = stored
    outside = download(client, auth("alice"), sha256, Range=f"bytes={len(data)}-")
    assert outside.status_code == 416
    assert outside.mimetype == PROBLEM
    assert outside.headers["Content-Range"] == f"bytes */{len(data)}"
    several = download(client, auth("alice"), sha256, Range="bytes=0-1,5-6")
    assert (several.status_code, several.get_data()) == (200, data)
    stale = download(client, auth("alice"), sha256, Range="bytes=0-1", **{"If-Range": '"' + "0" * 64 + '"'})
    assert (stale.status_code, stale.get_data()) == (200, data)


def test_a_client_holding_the_current_bytes_gets_304(client, auth, stored):
    _, sha256 = stored
    response = download(client, auth("alice"), sha256, **{"If-None-Match": f'"{sha256}"'})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == f'"{sha256}"'
    assert download(client, auth("alice"), sha256, **{"If-None-Match": '"other"'}).status_code == 200


def test_before_it_is_referenced_only_its_uploaders_may_download_a_document(client, auth, stored):
    _, sha256 = stored
    assert download(client, auth("alice"), sha256).status_code == 200
    for name in ("bruno", "eva", "farid", "gwen"):
        response = download(client, auth(name), sha256)
        assert response.status_code == 404, name
        assert response.mimetype == PROBLEM
    assert upload(client, auth("bruno"), samples.pdf("Article 1 " * 60_000), "mine.pdf").status_code == 200
    assert download(client, auth("bruno"), sha256).status_code == 200  # uploaded the same bytes too


def test_once_an_agreement_references_it_every_reader_may_download_it_and_an_administrator_not(client, auth,
                                                                                               stored):
    data, sha256 = stored
    attach(client, auth, sha256)
    for name in ("bruno", "carla", "dmitri", "eva", "farid"):
        response = download(client, auth(name), sha256)
        assert (response.status_code, response.get_data() == data) == (200, True), name
    assert download(client, auth("gwen"), sha256).status_code == 404


def test_a_document_nobody_stored_is_404_like_one_you_may_not_read(client, auth):
    unknown = download(client, auth("alice"), hashlib.sha256(b"never uploaded").hexdigest())
    assert unknown.status_code == 404
    assert unknown.mimetype == PROBLEM
    assert download(client, auth("alice"), "not-a-hash").status_code == 404
    assert download(client, {}, "0" * 64).status_code == 401
