"""Step forms drawn from the workflow definitions, and what a sent form asks, read by the API's own schemas.

A form has one input per field of the step's definition: a date is a date input, a choice a select, a text a
textarea, a document a file input (Accord reads the upload and computes its sha256; until the document vault
exists only what the step records is kept: the title, the hash and the media type). Every step form also has
"Reason" and "Reference", and carries the version it was drawn from and an idempotency key made when it was
drawn, so that a stale form records nothing and a form sent twice records once. A refused form comes back with
what was typed; a file chosen comes back as what the step would record of it, so it need not be chosen again.

What a form sends is turned into the body the API would receive and loaded by the same marshmallow schema
(``api.schemas``): a form and a request are checked alike.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError
from werkzeug.datastructures import FileStorage, MultiDict

from api.schemas import STEP_LOADERS, AgreementCreateSchema, EnlargementCreateSchema
from domain.values import StepContext
from web.current import services
from workflows.definitions import Field, StepDefinition, WorkflowDefinition

INPUTS = {"date": "date", "enum": "select", "text": "textarea", "document": "file", "stored_document": "file",
          "names": "textarea", "protocol_fates": "protocol_fates"}
"""The input for each field type (``Field.type``); any other type is a one-line text input."""
REASON = Field("reason", "text", required=False, description="why the step is taken")
REFERENCE = Field("reference", "string", required=False, description="an external reference, e.g. a Council "
                                                                      "document")
MAX_UPLOAD = 50 * 1024 * 1024
"""The largest text a form may attach (the file is read to compute its hash, then dropped)."""
MAX_FORM_FIELDS = 256 * 1024
"""Room for the other fields of a form that carries a file."""


def words(name: str) -> str:
    """A name in words, capitalised: "record_round" -> "Record round", "held_on" -> "Held on"."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Input:
    """One input of a form: its field, its id in the page (unique among the page's forms), its label and its
    kind of input (``INPUTS``)."""

    field: Field
    id: str
    label: str
    input: str
    hint: str = ""

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def options(self) -> list[tuple[str, str]]:
        return [(choice, words(choice)) for choice in self.field.choices]


def step_inputs(step: StepDefinition) -> list[Input]:
    """The step's fields, then Reason (unless the step has its own, required) and Reference."""
    fields = list(step.fields)
    if not any(f.name == "reason" for f in fields):
        fields.append(REASON)
    fields.append(REFERENCE)
    return [Input(f, f"{step.name}-{f.name}", words(f.name), INPUTS.get(f.type, "text"), _hint(f)) for f in fields]


def _hint(f: Field) -> str:
    if f.type == "names":
        return "One name a line."
    if f.type == "document":
        return "Choose the file: Accord computes its SHA-256 and records it with the file's name."
    if f.type == "protocol_fates":
        return "For each open protocol: terminated with this agreement, or kept (say why)."
    if f.type == "stored_document":
        return ("Choose the file (PDF, DOCX, ODT, plain text, PNG or JPEG): Accord keeps it and records its "
                "SHA-256, size, type and name.")
    return "" if f.required else "Optional."


def _open_protocols(process: Any) -> list[dict[str, Any]]:
    """The agreement's open protocols, as the terminate form asks about them (one row each)."""
    return [{"id": str(p.id), "title": p.title, "status": p.status.value}
            for p in services().agreements.open_protocols(process.id)]


SUGGESTIONS: dict[str, Callable[[Any], Iterable[Any]]] = {
    "party": lambda process: getattr(process, "unsigned_parties", ()),
    "addressed_to": lambda process: getattr(process, "parties", ()),
    "protocols": _open_protocols,
    "entry": lambda process: [s.party for s in getattr(process, "signatures", ())],
}
"""Values a text field suggests, read from the process as the form is drawn (the parties yet to sign): a list
to pick from that stays free text, since the domain, not the form, decides what it accepts."""


def suggestions(process: Any, step: StepDefinition) -> dict[str, list[str]]:
    return {f.name: list(SUGGESTIONS[f.name](process)) for f in step.fields if f.name in SUGGESTIONS}


def new_key() -> str:
    """An idempotency key for a form being drawn."""
    return uuid.uuid4().hex


def typed(form: Mapping[str, str], inputs: list[Input], body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the person typed, by field name, to show again in a refused form; a file chosen is kept as what the
    step records of it (``body``'s document: title, hash, media type), so that it need not be chosen again."""
    kept: dict[str, Any] = {i.name: form.get(i.name, "") for i in inputs if i.input not in ("file", "protocol_fates")}
    for i in inputs:
        if i.input == "protocol_fates":
            kept[i.name] = {k: v for k, v in form.items() if k.startswith(f"{i.name}-")}
    for i in inputs:
        if i.input == "file" and body and i.name in body:
            kept[i.name] = body[i.name]
    return kept


def step_body(step: StepDefinition, form: MultiDict, files: Mapping[str, FileStorage],
              store: Callable[[FileStorage], dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON body the API would receive for this form: empty inputs are left out (the schema says which are
    required), names are one a line, a document is the uploaded file's name and hash: a ``stored_document``
    (workflow version 2) is first kept in the vault by ``store``, which gives its title and sha256."""
    body: dict[str, Any] = {}
    for i in step_inputs(step):
        if i.input == "file" and i.field.type == "stored_document":
            upload = files.get(i.name)
            if upload is not None and upload.filename and store is not None:
                body[i.name] = store(upload)
            elif form.get(f"{i.name}-kept-sha256"):  # uploaded on an earlier try of this form
                body[i.name] = {"title": form.get(f"{i.name}-kept-title", ""),
                                "sha256": form[f"{i.name}-kept-sha256"]}
            continue
        if i.input == "file":
            upload = files.get(i.name)
            if upload is not None and upload.filename:
                body[i.name] = document_of(upload)
            elif form.get(f"{i.name}-kept-sha256"):  # chosen on an earlier try of this form
                body[i.name] = {"title": form.get(f"{i.name}-kept-title", ""),
                                "sha256": form[f"{i.name}-kept-sha256"],
                                "media_type": form.get(f"{i.name}-kept-media_type") or None}
            continue
        if i.input == "protocol_fates":  # one row per open protocol: <name>-<id>-fate and <name>-<id>-reason
            body[i.name] = [
                {"protocol_id": key[len(i.name) + 1:-len("-fate")], "fate": fate,
                 **({"reason": form.get(key[:-len("fate")] + "reason", "").strip()}
                    if form.get(key[:-len("fate")] + "reason", "").strip() else {})}
                for key, fate in form.items() if key.startswith(f"{i.name}-") and key.endswith("-fate") and fate]
            continue
        value = form.get(i.name, "")
        if i.field.type == "names":
            names = [line.strip() for line in value.splitlines() if line.strip()]
            if names:
                body[i.name] = names
        elif value.strip():
            body[i.name] = value.strip() if i.input != "textarea" else value
    return body


def document_of(upload: FileStorage) -> dict[str, Any]:
    """What the step records of an uploaded text: its title (the file's name), its SHA-256 and its media type.
    The file is read in blocks and not kept."""
    digest = hashlib.sha256()
    size = 0
    while block := upload.stream.read(1 << 16):
        size += len(block)
        if size > MAX_UPLOAD:
            raise ValidationError({"document": [f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB"]})
        digest.update(block)
    return {"title": upload.filename, "sha256": digest.hexdigest(),
            "media_type": upload.mimetype or None}


def load_step(workflow: WorkflowDefinition, step: StepDefinition, body: dict[str, Any]) -> dict[str, Any]:
    """The step's fields as the API's schema loads them (``ValidationError`` if it refuses them)."""
    return STEP_LOADERS[(workflow.kind, workflow.version, step.name)].load(body)


def context_of(fields: dict[str, Any], key: str | None) -> StepContext:
    """Why the step is taken (its reason and reference, taken out of the fields) and the form's key."""
    return StepContext(reason=fields.pop("reason", None), reference=fields.pop("reference", None),
                       idempotency_key=key or None)


def field_errors(error: ValidationError, nested: bool = False) -> dict[str, str]:
    """A schema's refusal as one message per input ("form" for what concerns no single field): by field name,
    or (``nested``) by the path of a nested value joined with "-", as "counterparties-0-name"."""
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if nested and isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}-{key}" if key != "_schema" else prefix, inner)
        else:
            out.setdefault(prefix, _first(value))

    for name, message in messages.items():
        walk("form" if name == "_schema" else str(name), message)
    return out


PLAIN_MESSAGES = {
    "Missing data for required field.": "This is required.",
    "Field may not be null.": "This is required.",
    "Length must be between 1 and 50.": "Add at least one (at most 50).",
}
"""marshmallow's own messages, where people would say it otherwise (the rule's own messages are kept as they are)."""


def _first(message: Any) -> str:
    while isinstance(message, (list, dict)):
        if not message:
            return "Not valid."
        message = message[0] if isinstance(message, list) else next(iter(message.values()))
    text = PLAIN_MESSAGES.get(str(message), str(message))
    return text[:1].upper() + text[1:]


# ---- creating an agreement or an enlargement process -----------------------------------------------------

COUNTERPARTY_ROWS = 3
"""How many counterparties the new-agreement form has room for (empty rows are ignored)."""


def agreement_body(form: MultiDict) -> tuple[dict[str, Any], list[int]]:
    """The body of a new agreement, and the form's row of each counterparty in it (empty rows are left out)."""
    body: dict[str, Any] = {}
    for name in ("title", "kind", "summary", "expires_on", "reason", "reference", "initial_period_months",
                 "renewal_rule", "renewal_period_months", "notice_period_months"):
        if form.get(name, "").strip():
            body[name] = form[name].strip() if name != "summary" else form[name]
    parties, rows = [], []
    for n in range(COUNTERPARTY_ROWS):
        row = {key: form.get(f"counterparties-{n}-{key}", "").strip() for key in ("name", "kind", "country")}
        if any(row.values()):
            row["country"] = row["country"].upper()
            parties.append({k: v for k, v in row.items() if v})
            rows.append(n)
    body["counterparties"] = parties
    return body, rows


def enlargement_body(form: MultiDict) -> dict[str, Any]:
    body: dict[str, Any] = {"state": {"name": form.get("state-name", "").strip(),
                                      "country": form.get("state-country", "").strip().upper()}}
    for name in ("target", "applied_on", "reason", "reference"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    return body


CREATE_SCHEMAS: dict[str, Schema] = {"agreement": AgreementCreateSchema(), "enlargement": EnlargementCreateSchema()}
