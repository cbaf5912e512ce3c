"""/documents/<sha256>: a document's bytes for a signed-in person who may read it (the rules of
``workflows.documents``: its uploaders, and the readers of what references it), with the API's download headers;
anyone else gets the not-found page."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, request

from web.current import person, services, signed_in
from workflows.documents import DOWNLOAD_HEADERS, content_disposition
from workflows.errors import NotFoundError

blp = Blueprint("documents", __name__, url_prefix="/documents")
SHA256 = re.compile(r"[0-9a-f]{64}")


@blp.get("/<sha256>")
@signed_in()
def download(sha256: str) -> Any:
    if not SHA256.fullmatch(sha256):
        abort(404, description="There is no such document.")
    documents = services().documents
    try:
        record = documents.readable(person(), sha256)
    except NotFoundError:
        abort(404, description="There is no such document that you may read.")
    headers = {**DOWNLOAD_HEADERS, "ETag": f'"{sha256}"', "Content-Disposition": content_disposition(record.filename)}
    if request.if_none_match.contains(sha256):
        return Response(status=304, headers=headers)
    headers["Content-Length"] = str(record.size)
    return Response(documents.chunks(sha256), headers=headers, mimetype=record.media_type, direct_passthrough=True)
