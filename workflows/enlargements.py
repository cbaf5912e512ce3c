"""The enlargement service: enlargement processes, and the rules that span several of a state's processes.

- One open process per state and target at a time: the n-th process of a state towards a target has the id
  uuid5(country, target, n), so the event store itself enforces it (two concurrent creates cannot both take
  number n).
- A state holds one status at a time: a new status entering into force ends the one it replaces, that day,
  and the ended process records which process superseded it (``superseded_by``).
- Correcting the start of the new status moves the end of the one it replaced with it.
- Membership goes by accession under version 2 (``route_of``); its admission resolution comes at least two
  years into the state's pre-stage when that is on record (``pre_stage_minimum``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.enlargement import ACCESSION, AGREEMENT, ROUTES, EnlargementProcess, PreStageLimits
from domain.errors import InvalidValueError, StageError
from domain.values import Actor, Stage, StepContext, Target
from workflows.definitions import CURRENT
from workflows.fields import to_domain
from workflows.idempotency import is_recorded, with_digest
from workflows.steps import Outcome, ProcessService

__all__ = ["ROUTES", "EnlargementService"]

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
        to Membership those of the state's pre-stage in force, or of the one its own entry into force ended
        (None when there is none, and for any other target)."""
        if process.target is Target.ASSOCIATE_MEMBER_PRE_STAGE:
            return process.pre_stage_limits
        if process.target is not Target.MEMBER:
            return None
        for pre_stage in reversed(self.processes_of(process.state.country, Target.ASSOCIATE_MEMBER_PRE_STAGE)):
            in_force = pre_stage.stage is Stage.IMPLEMENTATION
            if pre_stage.pre_stage_limits is not None and (in_force or (
                    process.effective_on is not None and pre_stage.ended_on == process.effective_on)):
                return pre_stage.pre_stage_limits
        return None

    @staticmethod
    def route_of(workflow: Any, target: Target) -> str:
        """Membership goes by accession under a definition that has the accession's steps (version 2 on): the
        Convention admits a state only by its accession (Art. III.2b, XVII), never by a bilateral agreement.
        Every other target, and Membership under version 1, goes by agreement."""
        if target is Target.MEMBER and workflow.step("deposit_instrument_of_accession") is not None:
            return ACCESSION
        return AGREEMENT

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
            by=actor, context=context, workflow_version=workflow.version, route=self.route_of(workflow, target),
            id=self.process_id(state.country, target, len(earlier) + 1), **values,
        )
        return self._created(process, context)

    def consequences(self, aggregate: Any, step: str, values: Mapping[str, Any], actor: Actor,
                     context: StepContext) -> list[Any]:
        """The state's other status still in force ends when a new one enters into force; a corrected start
        of the new status moves that end."""
        if step == "correct" and values["field"] == "effective_on":
            return self._move_replaced_end(aggregate, actor, context)
        if step == "adopt_admission_resolution":
            self._require_pre_stage_minimum(aggregate, values["decided_on"])
            return []
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

    def _require_pre_stage_minimum(self, process: EnlargementProcess, decided_on: Any) -> None:
        """The Council decides on Membership after at least two years in the pre-stage (DOMAIN.md 3.3 step
        8), when the state's pre-stage is on record as a process; the five-year maximum is shown, not enforced
        (Serbia's pre-stage lasted longer, DOMAIN.md 3.3 steps 7 and 10)."""
        limits = self.pre_stage_limits(process)
        if limits is not None and decided_on < limits.min_end_on:
            raise InvalidValueError(
                f"the Council decides on Membership after at least two years in the pre-stage: not before "
                f"{limits.min_end_on} (the pre-stage began on {limits.began_on})", field="decided_on",
                rule="pre_stage_minimum")

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
