"""Which steps would pass now, and what the others wait for: the one question a person asks before acting.

The answer comes from the domain's own guards, never from a second copy of the rules. Each step the actor's role
may take in the aggregate's stage (the workflow definition) is run on a working copy of the aggregate
(``workflows.cache.working_copy``) with values that any state accepts; nothing is saved, and the copy is
dropped. A refusal that names one of the step's own fields depends on what the person will type, so the step is
offered and its form checks the values; any other refusal is a state the aggregate is not in yet, and the step
is listed apart with the rule that refused it and what it waits for, in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain import dates
from domain.errors import DomainError
from domain.values import Actor, Stage, StepContext
from workflows.cache import working_copy
from workflows.definitions import Field, StepDefinition, WorkflowDefinition
from workflows.fields import to_domain

ANY_TEXT = "x"
SAMPLES: dict[str, Any] = {
    "string": ANY_TEXT,
    "text": ANY_TEXT,
    "names": [ANY_TEXT],
    "document": {"title": ANY_TEXT, "sha256": "0" * 64},
    "stored_document": {"title": ANY_TEXT, "sha256": "0" * 64},  # the vault's check is the form's, not a state
    "uuid": "00000000-0000-0000-0000-000000000000",
    "months": 12,
    "protocol_fates": [],
}
"""A value of each field type (``Field.type``) that the step's guards accept whatever the state."""


def _parties(aggregate: Any) -> str:
    return ", ".join(aggregate.unsigned_parties)


def _ratified(aggregate: Any) -> str:
    missing = [what for what, done in (("the signature of the agreement", aggregate.signed_on),
                                       ("the notification of ratification", aggregate.ratification_notified_on))
               if done is None]
    return " and ".join(missing)


WAITS_FOR: dict[str, str | Callable[[Any], str]] = {
    "needs_text": "a text to be attached",
    "review_pending": "the legal review already requested",
    "already_cleared": "a new text: the current one is cleared already",
    "needs_pending_review": "a request for legal review",
    "needs_cleared_text": "a text cleared by the Legal Service",
    "all_parties_signed": lambda a: f"the signature of {_parties(a)}",
    "signed_once": "nothing more: the signatures are recorded already",
    "has_expiry": "an expiry date: the agreement has none",
    "expiry_passed": lambda a: (f"its expiry date, {a.expires_on}, to pass" if a.expires_on
                                else "an expiry date: the agreement has none"),
    "has_effective_on": "the entry into force",
    "has_ended_on": "the end of participation",
    "task_force_once": "nothing more: the task force is established already",
    "needs_task_force": "the task force to be established",
    "report_once": "nothing more: the task force has reported already",
    "task_force_report_pending": "the task force's report",
    "needs_signature": "the signature of the agreement",
    "ratified_once": "nothing more: ratification was notified already",
    "signed_and_ratified": _ratified,
    "tacit_renewal": "a term renewed tacitly: only such an agreement needs a notice to end",
    "accession_route": "nothing: Membership comes by accession, with no bilateral agreement",
    "accession_only": "nothing: only a process to Membership by accession takes this step",
    "needs_deposit": "the instrument of accession to be deposited with UNESCO",
    "deposited_once": "nothing more: the instrument of accession is deposited already",
    "protocol_fates": "what becomes of each open protocol: terminate or keep (with a reason)",
    "entry_unknown": "an entry on record: the party of a signature, or the number of a round or milestone",
}
"""What a step refused by each rule (its slug, ``DomainError.rule``) waits for, as words that follow "waits for"."""

STEP_WAITS_FOR: dict[tuple[str, str], str | Callable[[Any], str]] = {
    ("complete_legal_review", "four_eyes"): "another legal officer: you attached this text",
    ("finalise_text", "four_eyes"): "another officer: you cleared this text",
    ("suspend", "status"): "the agreement to be in force",
    ("resume", "status"): "the agreement to be suspended",
    ("give_notice", "notice_standing"): "nothing more: a notice stands already (withdraw it first)",
    ("withdraw_notice", "notice_standing"): "a notice to be given",
}
"""Words for a rule whose meaning depends on the step it refuses."""


@dataclass(frozen=True)
class StepReadiness:
    """A step the actor may take by role in this stage: whether it would pass now and, if not, the rule that
    refuses it (its slug), what it waits for (words that follow "waits for") and the rule's own message."""

    step: StepDefinition
    would_pass: bool
    rule: str | None = None
    waits_for: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Readiness:
    """The aggregate as it was read, each step the actor's role may take in its stage, and the steps of this
    stage that only other roles take and that would pass for one of them now (what waits on others)."""

    aggregate: Any
    steps: tuple[StepReadiness, ...]
    for_others: tuple[StepDefinition, ...] = ()

    @property
    def passing(self) -> list[StepReadiness]:
        return [s for s in self.steps if s.would_pass]

    @property
    def waiting(self) -> list[StepReadiness]:
        return [s for s in self.steps if not s.would_pass]


def waits_for(step: str, error: DomainError, aggregate: Any) -> str:
    words = STEP_WAITS_FOR.get((step, error.rule)) or WAITS_FOR.get(error.rule)
    if words is None:
        return error.message
    return words(aggregate) if callable(words) else words


def sample_fields(step: StepDefinition) -> dict[str, Any]:
    """Values of the step's fields that no state refuses (the first choice of a choice)."""
    values: dict[str, Any] = {}
    for f in step.fields:
        if f.type == "date":
            values[f.name] = any_date()
        else:
            values[f.name] = f.choices[0] if f.type == "enum" and f.choices else SAMPLES.get(f.type, ANY_TEXT)
    return values


def any_date() -> date:
    """A date no rule of the domain finds too early (the rules on dates say "not before", never "not after"):
    the latest the record accepts as plausible."""
    return dates.PLAUSIBLE.latest()


def _names_a_field(error: DomainError, fields: tuple[Field, ...]) -> bool:
    """Whether the refusal is about one of the step's own values (``field`` or ``document.sha256``)."""
    if error.field is None:
        return False
    return error.field.split(".")[0] in {f.name for f in fields}


def try_step(aggregate: Any, step: StepDefinition, actor: Actor) -> StepReadiness:
    """Whether ``step`` by ``actor`` would pass now, tried on a copy of ``aggregate``."""
    values = sample_fields(step)
    context = StepContext(reason=values.pop("reason", None))
    copy = working_copy(aggregate)
    try:
        getattr(copy, step.name)(by=actor, context=context, **to_domain(step.fields, values))
    except DomainError as error:
        if _names_a_field(error, step.fields):
            return StepReadiness(step, True)
        return StepReadiness(step, False, error.rule, waits_for(step.name, error, aggregate), error.message)
    return StepReadiness(step, True)


def awaited(step: StepDefinition) -> bool:
    """A step the process waits for when it would pass: one that moves it on to its next stage (not to its
    close), or one that answers a request (a legal review asked for). Corrections, suspensions and the like can
    be taken at any time and wait for nothing."""
    return (step.moves_to is not None and step.moves_to is not Stage.CLOSED) or "needs_pending_review" in step.rules


OTHER_ROUTE = frozenset({"accession_route", "accession_only"})
"""Rules that refuse a step of the other route (an agreement's steps to a process by accession, and the other
way round): such a step never applies to this process, and is left out rather than said to wait."""

SOMEONE_ELSE = "someone else in that role"
"""The name a step is tried under for another role: nobody's, so that no four-eyes rule refuses it."""


def assess(aggregate: Any, workflow: WorkflowDefinition, actor: Actor) -> Readiness:
    """Each step ``actor``'s role may take in the aggregate's stage, and the steps other roles could take."""
    tried = (try_step(aggregate, step, actor) for step in workflow.available(aggregate.stage, actor.role))
    mine = tuple(answer for answer in tried if answer.rule not in OTHER_ROUTE)
    others = tuple(step for step in workflow.steps
                   if aggregate.stage in step.stages and actor.role not in step.roles and awaited(step)
                   and try_step(aggregate, step, Actor(SOMEONE_ELSE, step.roles[0])).would_pass)
    return Readiness(aggregate, mine, others)
