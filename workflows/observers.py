"""The observer-status service: a party's observer status with the organisation, taken step by step
(``domain.observer``). A party may hold several, one per scope (Japan: LHC since 1995, HL-LHC since 2024)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.observer import ObserverStatus
from domain.values import Actor, StepContext
from workflows.definitions import CURRENT
from workflows.fields import to_domain
from workflows.idempotency import keyed_id, with_digest
from workflows.steps import Outcome, ProcessService

STATUSES = ObserverStatus.STATUSES
"""The statuses an observer status passes through, for the API's vocabulary."""


class ObserverService(ProcessService):
    """Observer statuses, from the request to the end."""

    kind = "observer"
    aggregate_class = ObserverStatus
    noun = "observer status"

    def create(self, fields: Mapping[str, Any], actor: Actor, context: StepContext) -> Outcome:
        """Open a request for observer status, under the current workflow."""
        workflow = CURRENT[self.kind]
        self.require_role(actor, workflow.create_roles, "open an observer status")
        context = with_digest(context, actor, "create", fields)
        values = to_domain(workflow.creation_fields, fields)
        status = ObserverStatus.start(by=actor, context=context, workflow_version=workflow.version,
                                      id=keyed_id(actor, context), **values)
        return self._created(status, context)
