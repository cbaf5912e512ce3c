"""/api/v1/documents: the document vault. Upload a document (multipart/form-data, one file), download one by its
sha256 (streamed, with Range and conditional GET); the rules are ``workflows.documents``'."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import current_actor
from api.current import services
from api.errors import Problem, problems

blp = Blueprint("documents", __name__, url_prefix="/api/v1/documents", description="Documents")

PREFIX = "/api/v1/documents"
FORM_OVERHEAD = 64 * 1024
"""Room in a request's body for the multipart framing around the file (boundaries, part headers)."""
SHA256_PATH = re.compile(r"[0-9a-f]{64}")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-cache",
    "Accept-Ranges": "bytes",
}
"""What every download carries: the browser must not guess a type, run anything, or share a cached copy."""


class DocumentRecordSchema(Schema):
    """A stored document: named by the sha256 of its bytes, its type read from them, its filename cleaned."""

    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()
    filename = fields.String()
    uploaded_by = fields.String()
    uploaded_at = fields.String(metadata={"description": "RFC 3339, UTC (Z)"})


def record_body(record: Any) -> dict[str, Any]:
    return {"sha256": record.sha256, "size": record.size, "media_type": record.media_type,
            "filename": record.filename, "uploaded_by": record.uploaded_by,
            "uploaded_at": record.uploaded_at.isoformat().replace("+00:00", "Z")}


@blp.route("")
class Documents(MethodView):
    @blp.response(201, DocumentRecordSchema)
    @blp.alt_response(200, schema=DocumentRecordSchema, description="the same bytes were stored already")
    @problems(blp, 403, 413, 415, 422)
    def post(self) -> Any:
        """Upload one document (multipart/form-data, one file part with a filename). Its sha256 is computed as
        it is stored; its type is read from its content (PDF, DOCX, ODT, UTF-8 text, PNG, JPEG). The same bytes
        uploaded again are stored once: 200 with the stored record."""
        documents = services().documents
        actor = current_actor()
        documents.require_uploader(actor)  # before a byte of the body is read
        request.max_content_length = documents.max_bytes + FORM_OVERHEAD
        if request.mimetype != "multipart/form-data":
            raise Problem(415, "Unsupported Media Type", "send the document as multipart/form-data", "not-multipart")
        uploads = [upload for _, upload in request.files.items(multi=True)]
        if request.form:  # the record is the server's: a client names nothing but the file
            raise Problem(422, "Unprocessable Content", "send the file alone: its hash, type and uploader are the "
                          "server's", "invalid-fields", errors={name: ["unknown field"] for name in request.form})
        if len(uploads) != 1 or not uploads[0].filename:
            raise Problem(422, "Unprocessable Content", "send exactly one file, with its filename", "invalid-fields",
                          errors={"file": ["exactly one file part with a filename"]})
        upload = uploads[0]
        try:
            record, created = documents.upload(actor, upload.stream, upload.filename)
        finally:
            upload.close()
        return record_body(record), 201 if created else 200, {"Location": f"{PREFIX}/{record.sha256}"}


@blp.route("/<sha256>")
class Document(MethodView):
    @blp.response(200, description="the document's bytes, with its media type")
    @problems(blp, 404, 416)
    def get(self, sha256: str) -> Any:
        """The document's bytes, streamed, for whoever may read an agreement or enlargement that references
        it, and for those who uploaded it; 404 for everyone else. ``Range`` (one range: 206; outside the
        document: 416) and ``If-None-Match`` (304) work."""
        if not SHA256_PATH.fullmatch(sha256):
            raise Problem(404, "Not Found", "no such document", "not-found")
        documents = services().documents
        record = documents.readable(current_actor(), sha256)
        etag = f'"{record.sha256}"'
        headers = {**SECURITY_HEADERS, "ETag": etag, "Content-Disposition": disposition(record.filename)}
        if request.if_none_match.contains(record.sha256):
            return Response(status=304, headers=headers)
        start, end, status = 0, record.size, 200
        wanted = request.range  # None for a malformed Range header, which is ignored (RFC 9110)
        if_range = request.headers.get("If-Range")
        if wanted is not None and len(wanted.ranges) == 1 and (if_range is None or if_range == etag):
            span = wanted.range_for_length(record.size)
            if span is None:
                raise Problem(416, "Range Not Satisfiable", "ask for a range of bytes within the document",
                              "range-not-satisfiable", headers_content_range=f"bytes */{record.size}")
            start, end, status = span[0], span[1], 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{record.size}"
        headers["Content-Length"] = str(end - start)
        return Response(documents.chunks(sha256, start, end), status=status, headers=headers,
                        mimetype=record.media_type, direct_passthrough=True)


def disposition(filename: str) -> str:
    """``Content-Disposition: attachment`` with the filename as RFC 6266 gives it: ``filename*`` in UTF-8, and
    an ASCII ``filename`` for older clients."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = " ".join(re.sub(r"[^A-Za-z0-9._ ()+-]", "_", ascii_name).split()) or "document"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
