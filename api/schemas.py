"""Marshmallow schemas every resource shares: field types, value objects, what a client sends to create an
agreement or an enlargement process and to take a step, and the shapes of steps and history entries. Each
resource's own answers (its body, list query and summary schemas, and its presenter) are in its module
(``api.agreements``, ``api.enlargements``).

Step input schemas are generated from the workflow definitions, so the API accepts exactly the fields a
definition declares. Unknown fields are rejected (marshmallow's default, ``RAISE``). This module is the part
of api/ that the browser pages may share (the layer table, tests/architecture/test_layers.py), so that a form
and a request are checked by the same schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from domain.dates import date_from_text, date_text
from domain.values import RECENT_ENTRIES, AgreementKind, PartyKind, Target
from workflows.definitions import DEFINITIONS, Field, values_of

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="must be 64 lowercase hexadecimal digits")
COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="must be an ISO 3166-1 alpha-2 code such as 'CH'")


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


class IsoDate(fields.Date):
    """A real-world date, written and read as exactly YYYY-MM-DD (``domain.dates``): marshmallow's own
    ``Date`` would also read 20240101 or a week date such as 2024-W01-1."""

    SERIALIZATION_FUNCS = {"iso": date_text, "iso8601": date_text}
    DESERIALIZATION_FUNCS = {"iso": date_from_text, "iso8601": date_from_text}
    default_error_messages = {"invalid": "Not a valid date: a day of the calendar, as YYYY-MM-DD."}


class UtcDateTime(fields.AwareDateTime):
    """A timestamp with an offset (UTC if none), refused if it falls outside years 1 to 9999 in UTC."""

    def __init__(self, **kwargs: Any):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("the time is out of range once converted to UTC") from None


class BoundedList(fields.List):
    """A list refused at once when it has more than ``most`` items (before any item is validated)."""

    def __init__(self, inner: Any, *, least: int = 0, most: int, **kwargs: Any):
        super().__init__(inner, validate=validate.Length(least, most), **kwargs)
        self.most = most

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list) and len(value) > self.most:
            raise ValidationError(f"at most {self.most} items")
        return super()._deserialize(value, attr, data, **kwargs)


class DocumentSchema(InputSchema):
    title = fields.String(required=True, validate=validate.Length(1, 500))
    sha256 = fields.String(required=True, validate=SHA256)
    media_type = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    uri = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class CounterpartySchema(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 300))
    kind = fields.String(required=True, validate=validate.OneOf(values_of(PartyKind)))
    country = fields.String(load_default=None, allow_none=True, validate=COUNTRY)


class StateSchema(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 300))
    country = fields.String(required=True, validate=COUNTRY)


class StepContextSchema(InputSchema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata={"description": "why the step was taken"})
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
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
    title = fields.String(required=True, validate=validate.Length(1, 500))
    kind = fields.String(required=True, validate=validate.OneOf(values_of(AgreementKind)))
    counterparties = BoundedList(fields.Nested(CounterpartySchema), least=1, most=50, required=True)
    summary = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))
    parent_id = fields.UUID(load_default=None, allow_none=True)
    expires_on = IsoDate(load_default=None, allow_none=True)


class EnlargementCreateSchema(StepContextSchema):
    state = fields.Nested(StateSchema, required=True)
    target = fields.String(required=True, validate=validate.OneOf(values_of(Target)))
    applied_on = IsoDate(required=True, metadata={
        "description": "the application letter, or the Council decision that opens the process"})


class ObserverCreateSchema(StepContextSchema):
    party = fields.Nested(CounterpartySchema, required=True, metadata={
        "description": "the state or international organisation asking for observer status"})
    requested_on = IsoDate(required=True, metadata={"description": "the request, or the first step of record"})


def _schema_field(f: Field) -> fields.Field:
    required = {"required": True} if f.required else {"load_default": None, "allow_none": True}
    meta = {"metadata": {"description": f.description}} if f.description else {}
    if f.type == "date":
        return IsoDate(**required, **meta)
    if f.type == "document":
        return fields.Nested(DocumentSchema, **required, **meta)
    if f.type == "state":
        return fields.Nested(StateSchema, **required, **meta)
    if f.type == "counterparty":
        return fields.Nested(CounterpartySchema, **required, **meta)
    if f.type == "uuid":
        return fields.UUID(**required, **meta)
    if f.type == "names":
        return BoundedList(fields.String(validate=validate.Length(1, 300)), least=1, most=20, **required, **meta)
    if f.type == "enum":
        return fields.String(validate=validate.OneOf(f.choices), **required, **meta)
    length = 10000 if f.type == "text" else 500
    return fields.String(validate=validate.Length(1, length), **required, **meta)


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
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
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
    recorded_at = fields.DateTime()
    actor = fields.String()
    role = fields.String()
    reason = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    data = fields.Dict()
    hash = fields.String(metadata={"description": "SHA-256 of the event's canonical content (domain/chain.py)"})
    prev_hash = fields.String(metadata={"description": "the hash of the aggregate's previous event"})
    workflow_version = fields.Integer(metadata={
        "description": "the version of the workflow definition the step was taken under"})
