"""The enlargement service: enlargement processes, and the rules that span several of a state's processes.

- One open process per state and target at a time: the n-th process of a state towards a target has the id
  uuid5(country, target, n), so the event store itself enforces it (two concurrent creates cannot both take
  number n).
- A state holds one status at a time: a new status entering into force ends the one it replaces, that day,
  and the ended process records which process superseded it (``superseded_by``).
- Correcting the start of the new status moves the end of the one it replaced with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.enlargement import EnlargementProcess, PreStageLimits
from domain.errors import StageError
from domain.values import Actor, Stage, StepContext, Target
from workflows.definitions import CURRENT
from workflows.fields import to_domain
from workflows.idempotency import is_recorded, with_digest
from workflows.steps import Outcome, ProcessService

PROCESS_NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.invalid/enlargement")


class EnlargementService(ProcessService):
    """Enlargement processes (see the module's docstring for the rules across processes)."""

    kind = "enlargement"
    aggregate_class = EnlargementProcess
    noun = "enlargement process"

    @staticmethod
    def process_id(country: str, target: Target, number: int) -> UUID:
        return uuid5(PROCESS_NAMESPACE, f"{country}\n{target.value}\n{number}")

    def processes_of(self, country: str, target: Target) -> list[EnlargementProcess]:
        """Every process of a state towards a target, oldest first."""
        found = []
        while (process := self._load_or_none(self.process_id(country, target, len(found) + 1))) is not None:
            found.append(process)
        return found

    def pre_stage_limits(self, process: EnlargementProcess) -> PreStageLimits | None:
        """The pre-stage limits a process knows: an Associate Membership in the pre-stage its own, a process
        to Membership those of the state's latest pre-stage that entered into force (None when there is none,
        and for any other target)."""
        if process.target is Target.ASSOCIATE_MEMBER_PRE_STAGE:
            return process.pre_stage_limits
        if process.target is not Target.MEMBER:
            return None
        limits = [p.pre_stage_limits for p in self.processes_of(process.state.country,
                                                                Target.ASSOCIATE_MEMBER_PRE_STAGE)]
        return next((found for found in reversed(limits) if found is not None), None)

    def create(self, fields: Mapping[str, Any], actor: Actor, context: StepContext) -> Outcome:
        """Open a process, unless the state has an open one towards the same target."""
        workflow = CURRENT[self.kind]
        self.require_role(actor, workflow.create_roles, "open an enlargement process")
        context = with_digest(context, actor, "create", fields)
        values = to_domain(workflow.creation_fields, fields)
        state, target = values["state"], values["target"]
        state.check()
        earlier = self.processes_of(state.country, target)
        for process in earlier:
            if context.idempotency_key is not None and is_recorded(process, context):
                return self._replay(process.id, context)
        if earlier and earlier[-1].stage is not Stage.CLOSED:
            raise StageError(
                f"{state.name} already has an open {target.value} process ({earlier[-1].id})", rule="one_open_process"
            )
        process = EnlargementProcess.start(
            by=actor, context=context, workflow_version=workflow.version,
            id=self.process_id(state.country, target, len(earlier) + 1), **values,
        )
        return self._created(process, context)

    def consequences(self, aggregate: Any, step: str, values: Mapping[str, Any], actor: Actor,
                     context: StepContext) -> list[Any]:
        """The state's other status still in force ends when a new one enters into force; a corrected start
        of the new status moves that end."""
        if step == "correct" and values["field"] == "effective_on":
            return self._move_replaced_end(aggregate, actor, context)
        if step != "enter_into_force":
            return []
        ended = []
        for target in Target:
            if target is aggregate.target:
                continue
            processes = self.processes_of(aggregate.state.country, target)
            if processes and processes[-1].stage is Stage.IMPLEMENTATION:
                previous = processes[-1]
                previous.end_participation(
                    by=actor,
                    context=StepContext(reason=f"superseded by {aggregate.target.value} ({aggregate.id})",
                                        reference=context.reference),
                    effective_on=values["effective_on"],
                    superseded_by=aggregate.id,
                )
                ended.append(previous)
        return ended

    def _move_replaced_end(self, process: EnlargementProcess, actor: Actor, context: StepContext) -> list[Any]:
        """Correct the end of each process this one superseded that still ends where this one began."""
        previous = process.pending_events[-1].previous
        moved = []
        for target in Target:
            for other in self.processes_of(process.state.country, target):
                if other.id == process.id or other.ended_on is None or other.ended_on.isoformat() != previous:
                    continue
                ending = self.ending_of(other.id)
                if ending is None or ending.superseded_by != process.id:
                    continue
                other.correct(by=actor, context=StepContext(reason=f"follows the correction of {process.id}: "
                                                                   f"{ending.context.reason}",
                                                            reference=context.reference),
                              field="ended_on", value=process.effective_on.isoformat())
                moved.append(other)
        return moved

    def ending_of(self, process_id: UUID) -> EnlargementProcess.ParticipationEnded | None:
        """The event that ended a process's participation (with its reason and ``superseded_by``), or None."""
        ended = [e for e in self.app.events.get(process_id) if isinstance(e, EnlargementProcess.ParticipationEnded)]
        return ended[-1] if ended else None
