"""Marshmallow schemas every resource shares: field types, value objects, what a client sends to create an
agreement or an enlargement process and to take a step, and the shapes of steps and history entries. Each
resource's own answers (its body, list query and summary schemas, and its presenter) are in its module
(``api.agreements``, ``api.enlargements``).

Step input schemas are generated from the workflow definitions, so the API accepts exactly the fields a
definition declares. Unknown fields are rejected (marshmallow's default, ``RAISE``). This module is the part
of api/ that the browser pages may share (the layer table, tests/architecture/test_layers.py), so that a form
and a request are checked by the same schema. Every string, date, code and number is read by a field type of
``api.fields`` (re-exported here for the pages: ``IsoDate``, ``UtcDateTime``), the one place where input is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from api.fields import (
    BoundedList,
    Country,
    IsoDate,
    Line,
    MediaType,
    RecordedDate,
    Sha256,
    Text,
    Uri,
    UtcDateTime,
    WholeNumber,
)
from domain.values import RECENT_ENTRIES, AgreementKind, PartyKind, Target
from workflows.definitions import DEFINITIONS, Field, values_of


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class InputSchema(Schema):
    """Every schema that reads client input: no text may hold the NUL character, which PostgreSQL cannot
    store (it would be refused after the event was recorded, by the views)."""

    @pre_load
    def refuse_nul(self, data: Any, **_: Any) -> Any:
        if _has_nul(data):
            raise ValidationError("text may not contain the NUL character (\\u0000)")
        return data


class DocumentSchema(InputSchema):
    title = Line(500, required=True)
    sha256 = Sha256(required=True)
    media_type = MediaType(load_default=None, allow_none=True)
    uri = Uri(load_default=None, allow_none=True, metadata={"description": "https, http or urn"})


class DocumentStateSchema(DocumentSchema):
    """A text as an agreement's or process's state shows it: a text bound to stored bytes (workflow version 2)
    also has the size and filename the vault has (download it from /api/v1/documents/{sha256})."""

    size = fields.Integer(metadata={"description": "bytes; only for a text bound to a stored document"})
    filename = fields.String(metadata={"description": "as uploaded, cleaned; only for a text bound to a stored "
                                                      "document"})


class StoredDocumentSchema(InputSchema):
    """A document uploaded to the vault: its title here, and its sha256 as POST /api/v1/documents answered it."""

    title = Line(500, required=True)
    sha256 = Sha256(required=True)


class CounterpartySchema(InputSchema):
    name = Line(300, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(values_of(PartyKind)))
    country = Country(load_default=None, allow_none=True)


class StateSchema(InputSchema):
    name = Line(300, required=True)
    country = Country(required=True)


class StepContextSchema(InputSchema):
    reason = Text(2000, load_default=None, allow_none=True, metadata={"description": "why the step was taken"})
    reference = Line(200, load_default=None, allow_none=True,
                     metadata={"description": "an external reference, e.g. a Council document"})


class SignatureSchema(Schema):
    party = fields.String()
    signatory = fields.String()
    signed_on = IsoDate()
    place = fields.String(allow_none=True)


class EntrySchema(Schema):
    on = IsoDate()
    summary = fields.String()


def entries_count(what: str, step: str) -> fields.Integer:
    """How many ``what`` an aggregate has recorded (each one a ``step`` event in its history)."""
    return fields.Integer(metadata={"description": f"how many {what} were recorded (each one a {step} entry "
                                                   "in the history)"})


def recent_entries(what: str, step: str) -> fields.List:
    """The latest few ``what``: the state keeps only these; the history has them all."""
    return fields.List(fields.Nested(EntrySchema), metadata={
        "description": f"the latest {RECENT_ENTRIES} {what} at most, oldest first; every one, however many, is "
                       f"in the history (its {step} entries)"})


class AgreementCreateSchema(StepContextSchema):
    title = Line(500, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(values_of(AgreementKind)))
    counterparties = BoundedList(fields.Nested(CounterpartySchema), least=1, most=50, required=True)
    summary = Text(10000, load_default=None, allow_none=True)
    parent_id = fields.UUID(load_default=None, allow_none=True)
    expires_on = RecordedDate(load_default=None, allow_none=True)


class EnlargementCreateSchema(StepContextSchema):
    state = fields.Nested(StateSchema, required=True)
    target = fields.String(required=True, validate=validate.OneOf(values_of(Target)))
    applied_on = RecordedDate(required=True, metadata={
        "description": "the application letter, or the Council decision that opens the process"})


class ObserverCreateSchema(StepContextSchema):
    party = fields.Nested(CounterpartySchema, required=True, metadata={
        "description": "the state or international organisation asking for observer status"})
    requested_on = RecordedDate(required=True, metadata={"description": "the request, or the first step of record"})


def _schema_field(f: Field) -> fields.Field:
    required = {"required": True} if f.required else {"load_default": None, "allow_none": True}
    meta = {"metadata": {"description": f.description}} if f.description else {}
    if f.type == "date":
        return RecordedDate(**required, **meta)
    if f.type == "document":
        return fields.Nested(DocumentSchema, **required, **meta)
    if f.type == "stored_document":
        return fields.Nested(StoredDocumentSchema, **required, **meta)
    if f.type == "state":
        return fields.Nested(StateSchema, **required, **meta)
    if f.type == "counterparty":
        return fields.Nested(CounterpartySchema, **required, **meta)
    if f.type == "uuid":
        return fields.UUID(**required, **meta)
    if f.type == "names":
        return BoundedList(Line(300), least=1, most=20, **required, **meta)
    if f.type == "enum":
        return fields.String(validate=validate.OneOf(f.choices), **required, **meta)
    if f.type == "text":
        return Text(10000, **required, **meta)
    return Line(500, **required, **meta)


def _step_schema_name(kind: str, version: int, step: str) -> str:
    return "".join(p.title() for p in f"{kind}_{step}".split("_")) + f"V{version}Step"


STEP_SCHEMAS: dict[tuple[str, int, str], type[Schema]] = {
    (kind, version, s.name): StepContextSchema.from_dict(
        {f.name: _schema_field(f) for f in s.fields}, name=_step_schema_name(kind, version, s.name)
    )
    for (kind, version), workflow in DEFINITIONS.items()
    for s in workflow.steps
}
STEP_LOADERS: dict[tuple[str, int, str], Schema] = {key: schema() for key, schema in STEP_SCHEMAS.items()}
"""One instance of each step schema, made once: a schema keeps no state between loads, and making one
copies its fields, a cost a step request would otherwise pay every time."""


class StateQuerySchema(InputSchema):
    version = WholeNumber(1, 2**31 - 1)
    as_of = UtcDateTime(metadata={"description": "a timestamp; UTC unless it names an offset"})


class StepFieldSchema(Schema):
    name = fields.String()
    type = fields.String()
    required = fields.Boolean()
    choices = fields.List(fields.String())
    description = fields.String()


class AvailableStepSchema(Schema):
    name = fields.String()
    roles = fields.List(fields.String())
    rule_text = fields.String(metadata={"description": "what binds the step, in words (its definition's rule)"})
    moves_to = fields.String(allow_none=True)
    would_pass = fields.Boolean(metadata={
        "description": "whether the domain's guards would accept the step now (with valid values); nothing is "
                       "recorded to find out"})
    rule = fields.String(allow_none=True, metadata={
        "description": "when would_pass is false: the slug of the rule that refuses it (as a problem's rule)"})
    waits_for = fields.String(allow_none=True, metadata={
        "description": "when would_pass is false: what the step waits for, in words that follow 'waits for'"})
    fields = fields.List(fields.Nested(StepFieldSchema))  # last: the name shadows the module


class HistoryEntrySchema(Schema):
    position = fields.Integer()
    version = fields.Integer()
    type = fields.String()
    recorded_at = UtcDateTime()
    actor = fields.String()
    role = fields.String()
    reason = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    data = fields.Dict()
    hash = fields.String(metadata={"description": "SHA-256 of the event's canonical content (domain/chain.py)"})
    prev_hash = fields.String(metadata={"description": "the hash of the aggregate's previous event"})
    workflow_version = fields.Integer(metadata={
        "description": "the version of the workflow definition the step was taken under"})
