"""The workflow definition (data, served by the API) and the aggregate (code) tell the same story."""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from datetime import date
from uuid import UUID

import pytest

from domain import errors
from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess
from domain.errors import DomainError, StageError
from domain.observer import ObserverStatus
from domain.values import ORGANISATION, ReviewOutcome, Stage
from tests.domain.lifecycle import (
    ALICE,
    BRUNO,
    CARLA,
    NO_REASON,
    SECOND_TEXT,
    awaiting_signature,
    cleared,
    closed,
    drafting,
    in_force,
    in_negotiation,
    review_requested,
    signed,
    suspended,
    with_text,
)
from workflows.definitions import AGREEMENT_V1, DEFINITIONS, DOCUMENT_STORED

SERVICE_RULES = {DOCUMENT_STORED}
"""Rules the step service enforces before the aggregate is asked: a document must be stored in the vault
(``workflows.documents``; tests/documents/test_binding.py)."""
TOPIC_PREFIX = "accord.agreement:"
STEPS = AGREEMENT_V1.steps
STEP_NAMES = [s.name for s in STEPS]

AN_AGREEMENT_IN = {
    Stage.DRAFTING: cleared,
    Stage.NEGOTIATION: in_negotiation,
    Stage.SIGNATURE: signed,
    Stage.IMPLEMENTATION: in_force,
    Stage.CLOSED: closed,
}

PLAUSIBLE_FIELDS = {
    "attach_text": dict(document=SECOND_TEXT),
    "request_legal_review": {},
    "complete_legal_review": dict(outcome=ReviewOutcome.CLEARED),
    "open_negotiation": {},
    "record_round": dict(held_on=date(2025, 2, 3), summary="contributions"),
    "finalise_text": {},
    "record_signature": dict(party=ORGANISATION, signatory="Director-General", signed_on=date(2025, 5, 16)),
    "enter_into_force": dict(effective_on=date(2025, 6, 1)),
    "record_milestone": dict(on=date(2025, 9, 1), summary="first workshop"),
    "renew": dict(expires_on=date(2035, 12, 31)),
    "suspend": dict(effective_on=date(2026, 3, 1)),
    "resume": dict(effective_on=date(2026, 6, 1)),
    "terminate": dict(effective_on=date(2027, 1, 1)),
    "supersede": dict(effective_on=date(2027, 1, 1), successor_id=UUID("5d7f3c2e-1a4b-4c8d-9e0f-a1b2c3d4e5f6")),
    "expire": dict(today=date(2031, 1, 1)),
    "withdraw": {},
    "correct": dict(field="title", value="Protocol on grid computing"),
}


WHERE_EACH_STEP_SUCCEEDS = {  # a builder and an actor with which the step succeeds
    "attach_text": (drafting, ALICE),
    "request_legal_review": (with_text, ALICE),
    "complete_legal_review": (review_requested, BRUNO),
    "open_negotiation": (cleared, ALICE),
    "record_round": (in_negotiation, ALICE),
    "finalise_text": (in_negotiation, ALICE),
    "record_signature": (awaiting_signature, ALICE),
    "enter_into_force": (signed, BRUNO),
    "record_milestone": (in_force, ALICE),
    "renew": (in_force, BRUNO),
    "suspend": (in_force, BRUNO),
    "resume": (suspended, BRUNO),
    "terminate": (in_force, BRUNO),
    "supersede": (in_force, BRUNO),
    "expire": (in_force, BRUNO),
    "withdraw": (drafting, ALICE),
    "correct": (drafting, BRUNO),
}


def refused_by_stage_guard(agreement: CooperationAgreement, step: str) -> bool:
    """Whether the aggregate refuses the step with its plain stage guard (other refusals mean "stage allowed")."""
    try:
        getattr(agreement, step)(by=CARLA, context=NO_REASON, **PLAUSIBLE_FIELDS[step])
    except StageError as error:
        return error.rule == "stage"
    except DomainError:
        return False
    return False


def test_the_stage_builders_reach_their_stages():
    assert {stage: build().stage for stage, build in AN_AGREEMENT_IN.items()} == {s: s for s in Stage}


def test_there_are_plausible_fields_for_every_step_and_no_other():
    assert set(PLAUSIBLE_FIELDS) == set(STEP_NAMES) == set(WHERE_EACH_STEP_SUCCEEDS)


@pytest.mark.parametrize("stage", list(Stage), ids=lambda s: s.value)
@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_the_definition_allows_a_step_in_a_stage_exactly_when_the_aggregate_does(step, stage):
    agreement = copy.deepcopy(AN_AGREEMENT_IN[stage]())

    assert refused_by_stage_guard(agreement, step.name) == (stage not in step.stages)


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_every_field_of_a_step_is_a_parameter_of_its_command(step):
    parameters = inspect.signature(getattr(CooperationAgreement, step.name)).parameters
    inputs = {n: p for n, p in parameters.items() if n not in ("self", "by", "context")}
    required = {n for n, p in inputs.items() if p.default is inspect.Parameter.empty}

    assert {f.name for f in step.fields} <= set(inputs)
    assert {f.name for f in step.fields if f.required} == required


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_each_step_records_the_event_its_definition_names_and_moves_where_it_says(step):
    build, actor = WHERE_EACH_STEP_SUCCEEDS[step.name]
    agreement = build()
    assert agreement.stage in step.stages
    before = len(agreement.pending_events)

    getattr(agreement, step.name)(by=actor, context=NO_REASON, **PLAUSIBLE_FIELDS[step.name])

    new_events = agreement.pending_events[before:]
    assert [type(e).__name__ for e in new_events] == [step.event]
    if step.moves_to is not None:
        assert agreement.stage is step.moves_to
    else:
        assert agreement.stage in step.stages


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_every_event_named_by_the_definition_has_an_explicit_agreement_topic(step):
    event_class = getattr(CooperationAgreement, step.event, None)

    assert isinstance(event_class, type) and issubclass(event_class, CooperationAgreement.Event)
    assert vars(event_class).get("TOPIC", "").startswith(TOPIC_PREFIX)


def test_no_two_events_share_a_topic():
    topics = [getattr(CooperationAgreement, s.event).TOPIC for s in STEPS] + [CooperationAgreement.Created.TOPIC]

    assert len(set(topics)) == len(topics)


def test_every_event_of_the_aggregate_is_recorded_by_some_step_of_the_definition():
    events = {
        name for name, value in vars(CooperationAgreement).items()
        if isinstance(value, type) and issubclass(value, CooperationAgreement.Event)
    }

    assert events - {"Event", "Created"} == {s.event for s in STEPS}


# ---- every rule a step's definition names is enforced by that step's command ---------------------------------

AGGREGATES = {"agreement": CooperationAgreement, "enlargement": EnlargementProcess, "observer": ObserverStatus}
EVERY_STEP = [(kind, step) for (kind, _), workflow in DEFINITIONS.items() for step in workflow.steps]


def rules_raised(aggregate: type, method: str, seen: set[str] | None = None) -> set[str]:
    """The rule slugs the command ``method`` of ``aggregate`` raises, read from the source: each ``raise`` of a
    domain error gives its ``rule="..."`` (else its class's default), and each method it calls on ``self`` (or
    ``cls``) the slugs that one raises. Event bodies and properties raise nothing and are not followed."""
    seen = set() if seen is None else seen
    function = inspect.getattr_static(aggregate, method, None)
    function = getattr(function, "__func__", function)  # a staticmethod or classmethod
    if method in seen or not inspect.isfunction(function):
        return set()
    seen.add(method)
    found: set[str] = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(function)))):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
            error = getattr(errors, node.exc.func.id, None)
            named = [k.value.value for k in node.exc.keywords if k.arg == "rule" and isinstance(k.value, ast.Constant)]
            if isinstance(error, type) and issubclass(error, DomainError):
                found.update(named or [error.rule])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in ("self", "cls"):
            found |= rules_raised(aggregate, node.func.attr, seen)
    return found


def test_the_rules_are_read_from_the_raises_of_a_command_and_the_methods_it_calls():
    assert rules_raised(CooperationAgreement, "complete_legal_review") == {"stage", "needs_pending_review",
                                                                           "four_eyes"}
    assert rules_raised(CooperationAgreement, "enter_into_force") >= {"all_parties_signed",
                                                                      "not_before_last_signature"}
    assert "four_eye" not in rules_raised(CooperationAgreement, "finalise_text"), "a misspelt slug is not found"
    assert "four_eyes" not in rules_raised(CooperationAgreement, "open_negotiation"), "nor one raised elsewhere"


@pytest.mark.parametrize(("kind", "step"), EVERY_STEP, ids=lambda v: v if isinstance(v, str) else v.name)
def test_every_rule_a_step_names_is_raised_by_that_step_of_its_aggregate(kind, step):
    raised = rules_raised(AGGREGATES[kind], step.name) | SERVICE_RULES

    assert set(step.rules) <= raised, f"{kind}.{step.name} names rules its command never raises"
    assert len(set(step.rules)) == len(step.rules)
    assert not {"stage", "invalid_value", "authenticated_actor"} & set(step.rules), "common to every step"


def test_the_done_when_rules_are_named_by_their_steps():
    """Four eyes on legal clearance, and no entry into force before the last signature."""
    steps = {step.name: step for step in AGREEMENT_V1.steps}
    assert "four_eyes" in steps["complete_legal_review"].rules
    assert "not_before_last_signature" in steps["enter_into_force"].rules
