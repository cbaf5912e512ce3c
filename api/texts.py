"""/api/v1/agreements/{id}/texts: an agreement's texts (the documents its attach_text steps recorded), and
the redline between two of them by paragraph (``/texts/compare?from=SHA&to=SHA``). Only readers of the
agreement see them; anyone else is answered 404, as for a document's download."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from api.auth import current_actor
from api.current import services
from api.errors import Problem, problems
from api.fields import Sha256, UtcDateTime
from api.schemas import InputSchema
from workflows.texts import TextRefusedError

blp = Blueprint("agreement_texts", __name__, url_prefix="/api/v1/agreements",
                description="An agreement's texts and the redline between two of them")

OPS = ("equal", "insert", "delete", "replace")


class AttachedTextSchema(Schema):
    version = fields.Integer(metadata={"description": "the agreement's version that attached it"})
    title = fields.String()
    sha256 = fields.String()
    media_type = fields.String(allow_none=True)
    filename = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    attached_at = UtcDateTime()
    attached_by = fields.String()
    stored = fields.Boolean(metadata={"description": "whether Accord holds its bytes (a text recorded from the "
                                                     "published record, or before the vault, names a hash only)"})


class MarkSchema(Schema):
    op = fields.String(metadata={"enum": ["equal", "insert", "delete"]})
    text = fields.String()


class ParagraphSchema(Schema):
    op = fields.String(metadata={"enum": list(OPS)})
    from_index = fields.Integer(metadata={"description": "1-based place in the earlier text (not on insert)"})
    to_index = fields.Integer(metadata={"description": "1-based place in the later text (not on delete)"})
    text = fields.String(metadata={"description": "the paragraph (on replace: as the later text has it)"})
    from_text = fields.String(metadata={"description": "on replace: the paragraph as the earlier text has it"})
    words = fields.List(fields.Nested(MarkSchema), metadata={"description": "on replace: what changed, word "
                                                                            "by word"})


class ComparisonSchema(Schema):
    from_ = fields.Nested(AttachedTextSchema, data_key="from", attribute="from")
    to = fields.Nested(AttachedTextSchema)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "paragraphs by op"})
    paragraphs = fields.List(fields.Nested(ParagraphSchema))


class CompareQuerySchema(InputSchema):
    from_ = Sha256(data_key="from", attribute="from", required=True)
    to = Sha256(required=True)


def refused(error: TextRefusedError) -> Problem:
    return Problem(422, "Unprocessable Content", error.message, "rule", rule=error.rule)


@blp.route("/<uuid:agreement_id>/texts")
class Texts(MethodView):
    @blp.response(200, AttachedTextSchema(many=True))
    @problems(blp, 404)
    def get(self, agreement_id: UUID) -> Any:
        """The agreement's texts, oldest first: one per attach_text step."""
        return [dataclasses.asdict(t) for t in services().texts.texts_of(agreement_id, current_actor())]


@blp.route("/<uuid:agreement_id>/texts/compare")
class Compare(MethodView):
    @blp.arguments(CompareQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, ComparisonSchema)
    @problems(blp, 404, 422)
    def get(self, query: dict[str, Any], agreement_id: UUID) -> Any:
        """The redline from one text of the agreement to another, by paragraph (op: equal, insert, delete,
        replace with word marks). 422 (rule) when a hash is not a text of this agreement (text_of_agreement),
        or a text cannot be read: a scan or a text without its file (no_text), too large once expanded
        (extraction_too_large), too slow to read (extraction_timed_out), unreadable (extraction_failed)."""
        try:
            comparison = services().texts.compare(agreement_id, query["from"], query["to"], current_actor())
        except TextRefusedError as error:
            raise refused(error) from None
        return {"from": dataclasses.asdict(comparison.before), "to": dataclasses.asdict(comparison.after),
                "counts": comparison.counts, "paragraphs": comparison.paragraphs}
