"""Errors of the service layer: each one maps to one HTTP status in api/errors.py."""

from __future__ import annotations


class WorkflowError(Exception):
    """Raised when a request cannot be carried out by the workflow service."""

    def __init__(self, message: str, **details: object):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(WorkflowError):
    """Raised when no aggregate has the given id (or it did not exist yet at the time asked)."""


class UnknownStepError(WorkflowError):
    """Raised when a step name is not in the aggregate's workflow definition."""


class ForbiddenError(WorkflowError):
    """Raised when the actor's role may not do what was asked."""


class StepNotAllowedError(WorkflowError):
    """Raised when the workflow definition does not allow a step in the current stage."""

    rule = "stage"


class VersionConflictError(WorkflowError):
    """Raised when the caller's expected version is not the aggregate's current version."""


class IdempotencyKeyReusedError(WorkflowError):
    """Raised when an idempotency key is sent again with a different request."""


class StorageUnavailableError(WorkflowError):
    """Raised when the event store cannot be reached."""
