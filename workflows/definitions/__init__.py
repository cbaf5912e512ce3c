"""Workflow definitions, kept as data: stages, steps, who may take them, their fields and rules.

The definition is the policy (who, in which stage); the aggregate enforces the invariants that hold
whatever a definition says. Each aggregate records the version it started under, and a later version
applies only to aggregates created after it. One module per workflow holds its versions
(``agreement.py``, ``enlargement.py``, ``observer.py``); ``common.py`` the parts they are made of.
"""

from __future__ import annotations

from functools import lru_cache

from eventsourcing.utils import resolve_topic

from domain.agreement import CooperationAgreement
from domain.enlargement import EnlargementProcess
from domain.observer import ObserverStatus
from domain.recorded import RecordedStatus
from workflows.definitions.agreement import AGREEMENT_V1, AGREEMENT_V2
from workflows.definitions.common import (
    ALL_STAGES,
    DOCUMENT,
    DOCUMENT_STORED,
    READERS,
    STORED_DOCUMENT,
    Field,
    StepDefinition,
    WorkflowDefinition,
    revised,
    values_of,
)
from workflows.definitions.enlargement import ENLARGEMENT_V1, ENLARGEMENT_V2
from workflows.definitions.observer import OBSERVER_V1

__all__ = [
    "AGREEMENT_V1", "AGREEMENT_V2", "ALL_STAGES", "CURRENT", "DEFINITIONS", "DOCUMENT", "DOCUMENT_STORED",
    "ENLARGEMENT_V1", "ENLARGEMENT_V2", "OBSERVER_V1", "READERS", "STORED_DOCUMENT", "Field", "StepDefinition",
    "WorkflowDefinition", "definition",
    "describe_class", "describe_event", "describe_topic", "revised", "step_name", "values_of",
]

DEFINITIONS: dict[tuple[str, int], WorkflowDefinition] = {
    (workflow.kind, workflow.version): workflow
    for workflow in (AGREEMENT_V1, AGREEMENT_V2, ENLARGEMENT_V1, ENLARGEMENT_V2, OBSERVER_V1)
}
"""Every version of every workflow: a process keeps the version it started under."""
CURRENT: dict[str, WorkflowDefinition] = {"agreement": AGREEMENT_V2, "enlargement": ENLARGEMENT_V2,
                                          "observer": OBSERVER_V1}
"""The version a new process starts under."""


def definition(kind: str, version: int) -> WorkflowDefinition:
    return DEFINITIONS[(kind, version)]


def describe_event(event: object) -> tuple[str, str]:
    """(aggregate type, public step name) of a stored event, for journals and audit trails."""
    return describe_class(type(event))


def describe_class(cls: type) -> tuple[str, str]:
    """(aggregate type, public step name) of an event class."""
    name = cls.__name__
    if issubclass(cls, CooperationAgreement.Event):
        return "agreement", CURRENT["agreement"].step_for_event(name)
    if issubclass(cls, EnlargementProcess.Event):
        return "enlargement", CURRENT["enlargement"].step_for_event(name)
    if issubclass(cls, ObserverStatus.Event):
        return "observer", CURRENT["observer"].step_for_event(name)
    if issubclass(cls, RecordedStatus.Event):
        return "record", _snake(name)
    owner = cls.__qualname__.split(".")[0]
    return "access", _snake(f"{owner}{name}")


def describe_topic(topic: str) -> tuple[str, str, int]:
    """(aggregate type, public step name, class version) of a stored event's topic. An event stored at that
    class version (its stored ``class_version``, 1 when it has none) reads from its stored JSON as it decodes;
    one stored at an earlier version must be decoded, since only the decoder applies the upcasts."""
    cls = resolve_topic(topic)  # the library keeps resolved topics
    return (*_described(cls), getattr(cls, "class_version", 1))


@lru_cache(maxsize=256)
def _described(cls: type) -> tuple[str, str]:
    return describe_class(cls)


def step_name(kind: str, event_name: str) -> str:
    return CURRENT[kind].step_for_event(event_name)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
