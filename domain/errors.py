"""Domain errors: a small hierarchy, each naming the rule that refused a step."""

from __future__ import annotations


class DomainError(Exception):
    """Raised when a command would break a rule of the domain.

    ``rule`` is a stable, machine-readable name for the rule (it appears in API errors).
    """

    rule = "domain_rule"

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if rule is not None:
            self.rule = rule
        self.field = field


class StageError(DomainError):
    """Raised when a step is taken in a stage (or status) that does not allow it."""

    rule = "stage"


class FourEyesError(DomainError):
    """Raised when the same person would both prepare and approve the same text."""

    rule = "four_eyes"


class InvalidValueError(DomainError):
    """Raised when a field's value is malformed or out of range for the domain."""

    rule = "invalid_value"


class UnauthenticatedError(DomainError):
    """Raised when a command arrives without an authenticated actor."""

    rule = "authenticated_actor"
