"""The clock: records what the passing of time decides, as the system actor ``clock``.

An agreement renewed tacitly with no notice standing renews at its expiry for its renewal period; one with a
notice, without renewal, or renewed only by amendment expires; a pre-stage to Membership past its maximum is
flagged (the rules: ``domain.term`` and ``EnlargementProcess.due_decision``; which decisions each workflow
version lets time take: its definition's ``clock``). Each decision is recorded with the rule that decided it
and takes effect on the deadline's date, not on the day the clock runs.

Exactly once: a decision is a keyed request, its idempotency key ``clock:<step>:<due date>`` (the process is
the aggregate it is recorded on) and its digest derived from the decision alone, so two clocks deciding the
same deadline write the same event at the same version: the event store takes the first and refuses the
second, which then finds its own request recorded (``ProcessService._save``). A clock stopped anywhere and
started again reads the processes as they are and decides what is still due. After downtime, each process is
decided again and again until nothing is due, each decision on its own date (an agreement renewed twice while
the clock was down renews twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.values import SYSTEM_ACTORS, Actor, Role, StepContext
from workflows.errors import NotFoundError, VersionConflictError
from workflows.idempotency import is_recorded, with_digest
from workflows.steps import Outcome, ProcessService

CLOCK = Actor(SYSTEM_ACTORS[0], Role.SYSTEM)
"""The named system actor that records what time decides: its role is no person's (``Role.SYSTEM``), and no
user may take its name (``UserDirectory``)."""
MAX_DECISIONS_PER_PROCESS = 1000
"""A bound on one process's decisions in one pass (a month-long renewal period left alone for 80 years)."""
CONFLICT_RETRIES = 5


@dataclass(frozen=True)
class Decision:
    """One decision recorded (or found recorded by another clock: ``replayed``)."""

    process_kind: str
    process_id: UUID
    title: str
    step: str
    rule: str
    effective_on: date
    version: int
    position: int
    replayed: bool = False


def decision_key(step: str, due_on: date) -> str:
    """The idempotency key of a decision on one process: the same for every clock that takes it."""
    return f"clock:{step}:{due_on.isoformat()}"


class Clock:
    """Decides, as of a day, for the processes ``candidates`` names (kind, id): those with a date that may
    have passed (read from the deadlines view); each is loaded from the store and decides for itself."""

    def __init__(self, services: dict[str, ProcessService],
                 candidates: Callable[[date], Iterable[tuple[str, str]]]):
        self.services = services
        self.candidates = candidates

    def run_once(self, today: date, progress: Callable[[Decision], None] | None = None) -> list[Decision]:
        """Record everything due by ``today`` (dates strictly before it); return the decisions in order."""
        decided: list[Decision] = []
        for kind, process_id in self.candidates(today):
            for decision in self.decide(kind, UUID(str(process_id)), today):
                decided.append(decision)
                if progress:
                    progress(decision)
        return decided

    def decide(self, kind: str, process_id: UUID, today: date) -> list[Decision]:
        """Every decision due on one process by ``today``, in date order, each recorded once."""
        service = self.services[kind]
        decided: list[Decision] = []
        conflicts = 0
        while len(decided) < MAX_DECISIONS_PER_PROCESS:
            try:
                process = service.get(process_id)
            except NotFoundError:
                return decided
            due = process.due_decision(today)
            if due is None:
                return decided
            step, rule, due_on = due
            step_def = next((s for s in service.workflow_of(process).clock if s.name == step), None)
            if step_def is None or process.stage not in step_def.stages or CLOCK.role not in step_def.roles:
                return decided  # not a decision time takes under this process's workflow version
            try:
                outcome = self._record(service, process, step, rule, due_on, today)
            except VersionConflictError:
                conflicts += 1  # a person's step came in between: read the process again and decide again
                if conflicts > CONFLICT_RETRIES:
                    raise
                continue
            decided.append(Decision(kind, process_id, process.title, step, rule, due_on,
                                    outcome.aggregate.version, outcome.position, outcome.replayed))
        return decided

    @staticmethod
    def _record(service: ProcessService, process: Any, step: str, rule: str, due_on: date,
                today: date) -> Outcome:
        context = with_digest(StepContext(reason=f"decided by the clock: {rule}",
                                          idempotency_key=decision_key(step, due_on)),
                              CLOCK, step, {"due_on": due_on.isoformat(), "rule": rule})
        if is_recorded(process, context):
            return service._replay(process.id, context)
        getattr(process, step)(by=CLOCK, context=context, due_on=due_on, today=today)
        return service._save(process, context)
