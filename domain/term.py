"""An agreement's term: how long it runs, whether and how it is renewed, and how much notice ends it.

ICAs "normally run for five years, and are tacitly renewed for the same period unless a written notice of
termination is provided by one party to the other at least six months prior to the renewal date"
(DOMAIN.md 4.1). The arithmetic of those words lives here, so that the aggregate, the clock and the
deadlines view compute the same dates.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from domain.errors import InvalidValueError, StageError
from domain.values import MAX_MONTHS, RENEWAL_RULES, Stage

TERM_FIELDS = {"initial_period_months": "months", "renewal_rule": "renewal", "renewal_period_months": "months",
               "notice_period_months": "months"}
"""The fields of a term, with the kind of value each holds (``correct`` reads them by that kind)."""


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months; the 31st of a shorter month becomes its last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_value(value: Any, field: str, *, least: int = 1) -> int:
    """A number of months given as an integer or its decimal digits, from ``least`` to MAX_MONTHS."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_MONTHS:
        raise InvalidValueError(f"{field} must be a whole number of months from {least} to {MAX_MONTHS}",
                                field=field, rule="months")
    return value


def renewal_value(value: Any, field: str = "renewal_rule") -> str:
    if value not in RENEWAL_RULES:
        raise InvalidValueError(f"{field} must be one of {', '.join(RENEWAL_RULES)}", field=field,
                                rule="renewal_rule")
    return value


def notice_deadline(expires_on: date, notice_period_months: int | None) -> date:
    """The last day a notice may be given to stop the renewal at ``expires_on``."""
    return add_months(expires_on, -(notice_period_months or 0))


class Term:
    """The term of an agreement, its notice, and what the passing of time decides about it: the rules,
    mixed into ``CooperationAgreement`` (which records the events). Class defaults stand for agreements
    recorded before terms existed: they have none."""

    initial_period_months: int | None = None
    renewal_rule: str | None = None
    renewal_period_months: int | None = None
    notice_period_months: int | None = None
    notice: Any = None
    """The notice of termination that stands (a ``Notice``), or None."""
    renewals: int = 0
    """How many times the agreement renewed itself."""

    # what the aggregate provides
    stage: Any
    status: Any
    expires_on: date | None
    effective_on: date | None
    parties: tuple[str, ...]

    @staticmethod
    def term_values(initial_period_months: Any = None, renewal_rule: Any = None, renewal_period_months: Any = None,
                    notice_period_months: Any = None) -> dict[str, Any]:
        """A term as given at creation, checked: each part is optional."""
        return {
            "initial_period_months": None if initial_period_months is None else months_value(
                initial_period_months, "initial_period_months"),
            "renewal_rule": None if renewal_rule is None else renewal_value(renewal_rule),
            "renewal_period_months": None if renewal_period_months is None else months_value(
                renewal_period_months, "renewal_period_months"),
            "notice_period_months": None if notice_period_months is None else months_value(
                notice_period_months, "notice_period_months"),
        }

    def _init_term(self, **term: Any) -> None:
        for name, value in term.items():
            setattr(self, name, value)
        self.notice = None
        self.renewals = 0

    @property
    def renewal_period(self) -> int | None:
        """The months a tacit renewal adds: the renewal period, else the initial one ("for equal periods")."""
        return self.renewal_period_months or self.initial_period_months

    @property
    def notice_deadline(self) -> date | None:
        """The last day a notice may be given against the coming renewal (None without a tacit renewal and an
        expiry)."""
        if self.renewal_rule != "tacit" or self.expires_on is None:
            return None
        return notice_deadline(self.expires_on, self.notice_period_months)

    def expiry_from_term(self, effective_on: date) -> date | None:
        """The expiry entry into force on ``effective_on`` gives: entry into force + the initial period, when
        the agreement has an initial period and no explicit expiry."""
        if self.expires_on is not None or self.initial_period_months is None:
            return None
        return add_months(effective_on, self.initial_period_months)

    # ---- notice --------------------------------------------------------------------------------------

    def _check_notice(self, party: str, given_on: date, addressed_to: str) -> None:
        if self.renewal_rule != "tacit":
            raise StageError("only an agreement renewed tacitly needs a notice to end at its expiry",
                             rule="tacit_renewal")
        if self.expires_on is None:
            raise StageError("the agreement has no expiry date", rule="has_expiry")
        if self.notice is not None:
            raise StageError(f"a notice given on {self.notice.given_on} by {self.notice.party} stands already",
                             rule="notice_standing")
        if party not in self.parties:
            raise InvalidValueError(f"{party!r} is not a party; parties are {', '.join(self.parties)}",
                                    field="party", rule="party_unknown")
        if addressed_to not in self.parties or addressed_to == party:
            raise InvalidValueError("a notice is addressed to another party of the agreement", field="addressed_to",
                                    rule="addressed_to_party")
        if self.effective_on is not None and given_on < self.effective_on:
            raise InvalidValueError(f"given_on ({given_on}) cannot precede entry into force ({self.effective_on})",
                                    field="given_on", rule="dates_in_order")
        closes = self.notice_deadline
        if closes is not None and given_on > closes:
            raise InvalidValueError(
                f"the notice window closed on {closes} ({self.notice_period_months or 0} months before the "
                f"expiry on {self.expires_on}): the agreement renews", field="given_on", rule="notice_window_closed")

    # ---- what time decides -------------------------------------------------------------------------

    def due_decision(self, today: date) -> tuple[str, str, date] | None:
        """What the passing of time decides by ``today`` (step, rule, the date it takes effect), or None:
        once the expiry has passed, an agreement renewed tacitly with no notice standing renews; one with a
        notice, without renewal, or renewed only by amendment, expires. An agreement without a recorded
        renewal rule is left to people (the legal officer's ``expire``)."""
        if self.stage is not Stage.IMPLEMENTATION or self.expires_on is None or self.renewal_rule is None:
            return None
        if self.expires_on >= today:
            return None
        if self.renewal_rule == "tacit" and self.notice is None and self.renewal_period:
            return ("renew_tacitly", "tacit_renewal", self.expires_on)
        rule = {"tacit": "notice_given", "none": "no_renewal", "by_amendment": "renewal_by_amendment"}[
            self.renewal_rule]
        if self.renewal_rule == "tacit" and self.notice is None:
            rule = "no_renewal_period"
        return ("expire_at_term", rule, self.expires_on)

    def _require_due(self, step: str, due_on: date, today: date) -> str:
        """The rule behind ``step`` due on ``due_on``, or StageError(not_due) when time decides otherwise."""
        decision = self.due_decision(today)
        if decision is None or decision[0] != step or decision[2] != due_on:
            raise StageError(f"{step} on {due_on} is not what time decides as of {today} ({decision or 'nothing'})",
                             rule="not_due")
        return decision[1]
