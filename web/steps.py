"""Taking steps through the pages: "What you can do now" for an agreement or an enlargement process, a form per
step drawn from its workflow definition, and the forms that create an agreement or open an enlargement process.

Every form goes through the same command service as the API (``take_requested_step``, ``create``) and is read
by the API's own schemas (``web.forms``). A step that would not pass now is not offered; the steps that wait
for something are listed apart, with what they wait for (``workflows.readiness``). A stale form records
nothing and says who changed the process meanwhile; a form sent twice records once (its idempotency key); a
refused form shows the rule's message beside it and keeps what was typed.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from marshmallow import ValidationError

from domain.errors import DomainError
from domain.values import AgreementKind, PartyKind, Target
from web import forms
from web.current import person, services, signed_in
from web.errors import error_page
from web.formatting import sentence
from workflows.definitions import CURRENT, DEFINITIONS, READERS
from workflows.documents import DocumentTooLargeError, UnsupportedDocumentError
from workflows.errors import (
    IdempotencyKeyReusedError,
    StepNotAllowedError,
    UnknownStepError,
    VersionConflictError,
)
from workflows.steps import ProcessService, StepRequest

blp = Blueprint("steps", __name__)

KINDS = {"agreement": "agreements", "enlargement": "enlargements"}
"""Each kind of process and the first part of its pages' paths."""
STEP_TAKERS = {kind: {role for (k, _), workflow in DEFINITIONS.items() if k == kind
                      for s in workflow.steps for role in s.roles} for kind in KINDS}
"""The roles that take some step on each kind of process (the others see no "What you can do now")."""


UPLOAD_STEPS = frozenset(s.name for workflow in DEFINITIONS.values() for s in workflow.steps
                         if any(f.type in ("document", "stored_document") for f in s.fields))
"""The steps whose form carries a file (a text to attach, a report)."""


def service(kind: str) -> ProcessService:
    return services().agreements if kind == "agreement" else services().enlargements


def process_page(kind: str, process_id: UUID) -> str:
    """Where a person goes after a step: the process's own page once it exists, else its steps page."""
    if f"web.{KINDS[kind]}.show" in current_app.view_functions:
        return f"/{KINDS[kind]}/{process_id}"
    return url_for("web.steps.panel_page", kind=kind, id=process_id)


def _route(rule: str, endpoint: str, view: Any, methods: list[str]) -> None:
    for kind, path in KINDS.items():
        blp.add_url_rule(f"/{path}{rule}", endpoint, view, methods=methods, defaults={"kind": kind})


# ---- "What you can do now" ---------------------------------------------------------------------------------

def panel(kind: str, process_id: UUID) -> Markup:
    """The "What you can do now" section for the person signed in: a form per step that would pass now, and
    the steps that wait for something (empty for a role that takes no step on this kind of process)."""
    actor = person()
    if actor is None or actor.role not in STEP_TAKERS[kind]:
        return Markup("")
    readiness = service(kind).readiness(process_id, actor)
    return Markup(render_template("steps/panel.html", kind=kind, readiness=readiness, process=readiness.aggregate,
                                  inputs=forms.step_inputs, key=forms.new_key, words=forms.words,
                                  suggestions=forms.suggestions))


def register_global(state: Any) -> None:
    app: Flask = state.app
    app.jinja_env.globals["steps_panel"] = panel


blp.record_once(register_global)


@blp.url_value_preprocessor
def room_for_a_file(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A form that attaches a text carries the file, larger than the site's limit on a request's body
    (``MAX_CONTENT_LENGTH``): its request may hold the largest text a form takes. This runs before the CSRF
    check reads the form."""
    if request.method == "POST" and endpoint == "web.steps.take" and (values or {}).get("step") in UPLOAD_STEPS:
        request.max_content_length = forms.MAX_UPLOAD + forms.MAX_FORM_FIELDS


@blp.errorhandler(UnknownStepError)
def unknown_step(error: UnknownStepError) -> Any:
    return error_page(404, sentence(error.message))


@signed_in(READERS)
def panel_page(kind: str, id: UUID) -> Any:  # noqa: A002 - the route's name for the process's id
    process = service(kind).get(id)
    return render_template("steps/page.html", kind=kind, process=process, section=panel(kind, id))


_route("/<uuid:id>/steps", "panel_page", panel_page, ["GET"])


# ---- one step ---------------------------------------------------------------------------------------------

def step_page(kind: str, process_id: UUID, step: str, status: int = 200, typed: dict[str, str] | None = None,
              errors: dict[str, str] | None = None, refusal: str | None = None, changed_by: str | None = None,
              key: str | None = None, since: list[Any] | None = None) -> Any:
    """One step's form alone: drawn afresh, or sent back refused (with what was typed and why)."""
    form = service(kind).step_form(process_id, step, person())
    process = service(kind).get(process_id, version=form.version)
    waiting = next((s for s in service(kind).readiness(process_id, person()).waiting if s.step.name == step), None)
    return render_template(
        "steps/step.html", kind=kind, process=process, step=form.step, inputs=forms.step_inputs(form.step),
        version=form.version, key=key or forms.new_key(), typed=typed or {}, errors=errors or {},
        refusal=refusal, changed_by=changed_by, since=since or [], waiting=waiting, words=forms.words,
        suggestions=forms.suggestions,
        back=process_page(kind, process_id),
    ), status


@signed_in(READERS)
def step_form(kind: str, id: UUID, step: str) -> Any:  # noqa: A002
    return step_page(kind, id, step)


def take(kind: str, id: UUID, step: str) -> Any:  # noqa: A002
    """Take the step the form asks for, as the API would; on a refusal, the form again with why."""
    actor = person()
    sent = request.form
    key = sent.get("idempotency_key", "")[:200] or None
    version = sent.get("version", "")
    if not (version.isascii() and version.isdigit() and 1 <= int(version) < 2**31):
        abort(400, description="This form does not say which version it was drawn from. Reload the page.")
    expected = int(version)

    step_def = service(kind).step_form(id, step, actor).step  # 404 or 403 before anything is read
    inputs = forms.step_inputs(step_def)
    again: dict[str, Any] = {"typed": forms.typed(sent, inputs), "key": key}

    def read(workflow: Any, step_def: Any) -> StepRequest:
        fields = forms.load_step(workflow, step_def, body)
        return StepRequest(fields=fields, expected_version=expected, context=forms.context_of(fields, key))

    try:
        body = forms.step_body(step_def, sent, request.files, store=lambda upload: stored(actor, upload))
        again["typed"] = forms.typed(sent, inputs, body)
        outcome = service(kind).take_requested_step(id, step, actor, read)
    except ValidationError as error:
        return step_page(kind, id, step, 422, errors=forms.field_errors(error), **again)
    except VersionConflictError:
        since = list(service(kind).history(id, after_version=expected))
        again["key"] = None  # a new form, drawn from the current version
        return step_page(kind, id, step, 409, changed_by=since[-1].actor if since else "someone", since=since,
                         **again)
    except IdempotencyKeyReusedError:
        again["key"] = None
        return step_page(kind, id, step, 409, refusal="this form was sent before with other values, and that "
                                                      "was recorded; review the page and submit again", **again)
    except (DomainError, StepNotAllowedError) as error:
        message = sentence(error.message)
        field = getattr(error, "field", None)
        errors = {field.split(".")[0]: message} if field else {}
        return step_page(kind, id, step, 422, errors=errors, refusal=message, **again)
    flash(f"{forms.words(step)}: recorded" + (" (this form was sent before; it was recorded once)"
                                              if outcome.replayed else "") + ".")
    return redirect(process_page(kind, id), 303)


def stored(actor: Any, upload: Any) -> dict[str, Any]:
    """Keep a form's file in the vault, as POST /api/v1/documents does; what the step then names: the file's
    name as the text's title, and the sha256 of its bytes. A file the vault refuses is the field's error."""
    try:
        record, _ = services().documents.upload(actor, upload.stream, upload.filename)
    except (UnsupportedDocumentError, DocumentTooLargeError) as error:
        raise ValidationError({"document": [sentence(error.message)]}) from None
    return {"title": record.filename, "sha256": record.sha256}


_route("/<uuid:id>/steps/<step>", "step_form", step_form, ["GET"])
_route("/<uuid:id>/steps/<step>", "take", signed_in()(take), ["POST"])


# ---- new agreement, new enlargement process -------------------------------------------------------------

CHOICES = {
    "kinds": [(k.value, forms.words(k.value)) for k in AgreementKind],
    "party_kinds": [(k.value, forms.words(k.value)) for k in PartyKind],
    "targets": [(t.value, forms.words(t.value)) for t in Target],
}


def new_page(kind: str, status: int = 200, typed: dict[str, str] | None = None,
             errors: dict[str, str] | None = None, key: str | None = None) -> Any:
    return render_template(f"steps/new_{kind}.html", typed=typed or {}, errors=errors or {},
                           key=key or forms.new_key(), rows=range(forms.COUNTERPARTY_ROWS), **CHOICES), status


def create(kind: str) -> Any:
    """Create from the form, as the API's POST would; refused, the form again with what was typed."""
    sent = request.form
    key = sent.get("idempotency_key", "")[:200] or None
    typed = {name: value for name, value in sent.items() if name not in ("csrf_token", "idempotency_key")}
    rows: list[int] = []
    if kind == "agreement":
        body, rows = forms.agreement_body(sent)
    else:
        body = forms.enlargement_body(sent)
    try:
        fields = forms.CREATE_SCHEMAS[kind].load(body)
        outcome = service(kind).create(fields, actor=person(), context=forms.context_of(fields, key))
    except ValidationError as error:
        errors = forms.field_errors(error, nested=True)
        for index, row in enumerate(rows):
            errors = {name.replace(f"counterparties-{index}-", f"counterparties-{row}-@"): message
                      for name, message in errors.items()}
        errors = {name.replace("@", ""): message for name, message in errors.items()}
        return new_page(kind, 422, typed, errors, key)
    except (DomainError, IdempotencyKeyReusedError) as error:
        field = getattr(error, "field", None) or "form"
        return new_page(kind, 422, typed, {field: sentence(error.message)}, key)
    flash(f"{outcome.aggregate.title}: created" + (" (this form was sent before; it was created once)"
                                                   if outcome.replayed else "") + ".")
    return redirect(process_page(kind, outcome.aggregate.id), 303)


@blp.route("/agreements/new", methods=["GET", "POST"])
@signed_in(CURRENT["agreement"].create_roles)
def new_agreement() -> Any:
    return create("agreement") if request.method == "POST" else new_page("agreement")


@blp.route("/enlargements/new", methods=["GET", "POST"])
@signed_in(CURRENT["enlargement"].create_roles)
def new_enlargement() -> Any:
    return create("enlargement") if request.method == "POST" else new_page("enlargement")
