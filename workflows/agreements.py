"""The agreement service: cooperation agreements created and taken through their workflow's steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess
from domain.errors import InvalidValueError
from domain.values import Actor, StepContext
from workflows.definitions import CURRENT
from workflows.fields import to_domain
from workflows.idempotency import keyed_id, with_digest
from workflows.steps import Outcome, ProcessService


class AgreementService(ProcessService):
    """Cooperation agreements."""

    kind = "agreement"
    aggregate_class = CooperationAgreement
    noun = "agreement"

    def create(self, fields: Mapping[str, Any], actor: Actor, context: StepContext) -> Outcome:
        """Open an agreement in drafting, under the current workflow; a parent must be an agreement."""
        workflow = CURRENT[self.kind]
        self.require_role(actor, workflow.create_roles, "create an agreement")
        context = with_digest(context, actor, "create", fields)
        values = to_domain(workflow.creation_fields, fields)
        if values.get("parent_id") is not None and self._load_or_none(values["parent_id"]) is None:
            raise InvalidValueError("parent_id names no agreement", field="parent_id", rule="parent_exists")
        agreement = CooperationAgreement.start(
            by=actor, context=context, workflow_version=workflow.version, id=keyed_id(actor, context), **values
        )
        return self._created(agreement, context)

    def consequences(self, aggregate: Any, step: str, values: Mapping[str, Any], actor: Actor,
                     context: StepContext) -> list[Any]:
        """A superseded agreement names its successor: an agreement or an enlargement process on record."""
        if step == "supersede":
            try:
                successor = self.app.repository.get(values["successor_id"])
            except AggregateNotFoundError:
                successor = None
            if not isinstance(successor, (CooperationAgreement, EnlargementProcess)):
                raise InvalidValueError("successor_id names no agreement or enlargement process",
                                        field="successor_id", rule="successor_exists")
        return []
