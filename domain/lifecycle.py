"""What both aggregates share: stage guards, the text and legal-review steps, rounds, withdrawal and
corrections.

``Lifecycle`` is a plain mixin: each aggregate still defines its own ``@event`` bodies (their stored topics
belong to that aggregate), and those bodies call the ``_on_*`` helpers here, which only assign state.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, ClassVar

from domain.chain import Chained
from domain.dates import date_from_text, plausible_date
from domain.errors import FourEyesError, InvalidValueError, StageError
from domain.text import clean_text
from domain.values import RECENT_ENTRIES, Actor, Clearance, Document, Entry, ReviewOutcome, Stage, StepContext

REMEMBERED_REQUESTS = 256
"""How many recent idempotency keys an aggregate remembers: a retry is recognised while its request is among
the aggregate's last 256 keyed steps; older keys are forgotten, which keeps the aggregate (and its
snapshots) small however long its history."""

REMEMBERED_DIGEST_LENGTH = 32
"""How many hex digits of a request's digest an aggregate remembers with its key: the first 128 bits of the
SHA-256 that its event records in full, ample to tell a retry from a different request under the same key in
half the digits (the remembered keys are most of what a long-lived aggregate's snapshot holds)."""


def remembered_digest(digest: str | None) -> str | None:
    """The part of a request's digest that an aggregate remembers (compare a retry's digest through it)."""
    return None if digest is None else digest[:REMEMBERED_DIGEST_LENGTH]


def latest(entries: list[Entry], entry: Entry) -> list[Entry]:
    """The latest ``RECENT_ENTRIES`` of ``entries`` and then ``entry``, oldest first (a new list)."""
    return [*entries, entry][-RECENT_ENTRIES:]


def remember_request(event: Any, aggregate: Any) -> None:
    """Keep the event's hash (the next event's ``prev_hash``) and the idempotency key of the request that
    recorded it (used by every event's apply)."""
    aggregate.last_hash = event.hash
    key = event.context.idempotency_key
    if key is not None:
        aggregate.requests[key] = [event.originator_version, remembered_digest(event.context.request_digest)]
        while len(aggregate.requests) > REMEMBERED_REQUESTS:
            del aggregate.requests[next(iter(aggregate.requests))]
    aggregate.last_actor = event.by.name


class Lifecycle(Chained):
    """Shared rules of cooperation agreements and enlargement processes.

    State holds lists and dicts, never tuples, so that an aggregate restored from a snapshot (stored as
    JSON) equals the same aggregate replayed from its events. Nothing in it grows with the history: lists
    that would (rounds, milestones) keep their latest entries and a count. Every other value in it is
    immutable, and events replace the items of its lists and dicts (or the containers themselves), never
    change an item in place: so a copy of the state's containers is a copy of the aggregate.

    ``class_version`` is the version of that state as snapshots store it; an older snapshot is upcast when
    loaded (``upcast_v1_v2`` and so on), since the events it summarises never change.
    """

    class_version = 2

    TEXT_STAGES: ClassVar[tuple[Stage, ...]]
    WITHDRAWABLE_STAGES: ClassVar[tuple[Stage, ...]] = (Stage.DRAFTING, Stage.NEGOTIATION, Stage.SIGNATURE)
    CORRECTABLE: ClassVar[dict[str, str]]
    """field -> "text" or "date": what `correct` may change (never the workflow state)."""
    ENTRY_DATES: ClassVar[dict[str, str]] = {"held_on": "the round's number, counting from 1"}
    """The dates of a step taken more than once (a negotiation round's), which ``correct`` reaches when told
    which entry (``entry``: what it is, in words)."""
    NOUN: ClassVar[str]

    stage: Stage
    status: Any
    current_text: Document | None
    legal_clearance: Clearance
    clearance_sha256: str | None
    text_attached_by: str | None
    reviewed_by: str | None
    review_requested_by: str | None
    rounds_held: int
    recent_rounds: list[Entry]
    """The latest ``RECENT_ENTRIES`` rounds, oldest first."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 snapshots held every round in ``rounds`` and whole request digests (and, before the
        aggregates forgot older keys, every key)."""
        remembered = list(state["requests"].items())[-REMEMBERED_REQUESTS:]
        state["requests"] = {key: [version, remembered_digest(digest)] for key, (version, digest) in remembered}
        rounds = state.pop("rounds")
        state["rounds_held"] = len(rounds)
        state["recent_rounds"] = rounds[-RECENT_ENTRIES:]

    def _init_lifecycle(self) -> None:
        self.requests: dict[str, list[Any]] = {}
        self.current_text = None
        self.text_attached_by = None
        self.legal_clearance = Clearance.NONE
        self.clearance_sha256 = None
        self.reviewed_by = None
        self.review_requested_by = None
        self.rounds_held = 0
        self.recent_rounds = []

    # ---- guards ----------------------------------------------------------------------------------

    @staticmethod
    def _check(by: Actor, context: StepContext) -> None:
        by.check()
        context.check()

    def _require_stage(self, *stages: Stage, to: str) -> None:
        if self.stage not in stages:
            allowed = " or ".join(s.value for s in stages)
            raise StageError(f"cannot {to} in stage {self.stage.value}; only in {allowed}")

    @property
    def is_cleared(self) -> bool:
        return (
            self.legal_clearance is Clearance.CLEARED
            and self.current_text is not None
            and self.clearance_sha256 == self.current_text.sha256
        )

    def _require_cleared_text(self, before: str) -> None:
        if not self.is_cleared:
            raise StageError(
                f"the current text must be cleared by the Legal Service before {before}",
                rule="needs_cleared_text",
            )

    @staticmethod
    def _require_on_or_after(when: date, earlier: date | None, field: str, what: str) -> None:
        if earlier is not None and when < earlier:
            raise InvalidValueError(f"{field} ({when}) cannot precede {what} ({earlier})", field=field,
                                    rule="dates_in_order")

    # ---- documents and legal review --------------------------------------------------------------

    def attach_text(self, by: Actor, context: StepContext, document: Document) -> None:
        """Record a new version of the text; any legal clearance of an earlier text lapses."""
        self._check(by, context)
        self._require_stage(*self.TEXT_STAGES, to="attach a text")
        document.check()
        self._text_attached(by=by, context=context, document=document)

    def _on_text_attached(self, by: Actor, document: Document) -> None:
        self.current_text = document
        self.text_attached_by = by.name
        self.legal_clearance = Clearance.NONE
        self.clearance_sha256 = None
        self.reviewed_by = None
        self.review_requested_by = None

    def request_legal_review(self, by: Actor, context: StepContext) -> None:
        """Ask the Legal Service to review the current text."""
        self._check(by, context)
        self._require_stage(*self.TEXT_STAGES, to="request a legal review")
        if self.current_text is None:
            raise StageError("attach a text before requesting its legal review", rule="needs_text")
        if self.legal_clearance is Clearance.REQUESTED:
            raise StageError("a legal review of this text is already pending", rule="review_pending")
        if self.is_cleared:
            raise StageError("the current text is already cleared", rule="already_cleared")
        self._legal_review_requested(by=by, context=context, sha256=self.current_text.sha256)

    def _on_legal_review_requested(self, by: Actor, sha256: str) -> None:
        self.legal_clearance = Clearance.REQUESTED
        self.clearance_sha256 = sha256
        self.review_requested_by = by.name

    def complete_legal_review(
        self, by: Actor, context: StepContext, outcome: ReviewOutcome, comments: str | None = None
    ) -> None:
        """Clear the current text, or ask for changes; never by the person who attached it."""
        self._check(by, context)
        self._require_stage(*self.TEXT_STAGES, to="complete a legal review")
        if self.legal_clearance is not Clearance.REQUESTED or self.current_text is None:
            raise StageError("no legal review is pending", rule="needs_pending_review")
        if by.name == self.text_attached_by:
            raise FourEyesError("the text must be reviewed by someone other than who attached it", rule="four_eyes")
        self._legal_review_completed(
            by=by, context=context, outcome=ReviewOutcome(outcome), comments=comments,
            sha256=self.current_text.sha256,
        )

    def _on_legal_review_completed(self, by: Actor, outcome: ReviewOutcome, sha256: str) -> None:
        self.legal_clearance = Clearance(outcome.value)
        self.clearance_sha256 = sha256
        self.reviewed_by = by.name

    def record_round(self, by: Actor, context: StepContext, held_on: date, summary: str) -> None:
        """Record a negotiation round held on a given date."""
        self._check(by, context)
        self._require_stage(Stage.NEGOTIATION, to="record a negotiation round")
        if not summary or not summary.strip():
            raise InvalidValueError("a round needs a summary", field="summary")
        self._round_recorded(by=by, context=context, held_on=held_on, summary=summary)

    def _on_round_recorded(self, held_on: date, summary: str) -> None:
        self.rounds_held += 1
        self.recent_rounds = latest(self.recent_rounds, Entry(on=held_on, summary=summary))

    # ---- withdrawal and corrections --------------------------------------------------------------

    def withdraw(self, by: Actor, context: StepContext) -> None:
        """Abandon the process before it takes effect."""
        self._check(by, context)
        self._require_stage(*self.WITHDRAWABLE_STAGES, to="withdraw")
        self._withdrawn(by=by, context=context)

    def _on_withdrawn(self) -> None:
        self.stage = Stage.CLOSED
        self.status = type(self.status)("withdrawn")

    def correct(self, by: Actor, context: StepContext, field: str, value: str, entry: str | None = None) -> None:
        """Correct a real-world date (or a text field), as a new event: nothing is ever rewritten. A date of a
        step taken more than once (``ENTRY_DATES``) names its entry: a signature's party, a round's number."""
        self._check(by, context)
        if field in self.ENTRY_DATES:
            self._correct_entry_date(by, context, field, value, entry)
            return
        if entry is not None:
            raise InvalidValueError(f"only {', '.join(self.ENTRY_DATES)} name an entry", field="entry",
                                    rule="entry_unknown")
        kind = self.CORRECTABLE.get(field)
        if kind is None:
            raise InvalidValueError(
                f"{field!r} cannot be corrected; correctable: {', '.join(self.CORRECTABLE)}",
                field="field", rule="correctable_field",
            )
        if not isinstance(value, str):
            raise InvalidValueError(f"the new {field} must be text", field="value")
        new_value = self._correction_value(kind, value)
        self._check_correction(field, new_value)
        if getattr(self, field) == new_value:
            raise InvalidValueError(f"{field} already has that value", field="value", rule="changes_something")
        previous = getattr(self, field)
        self._corrected(by=by, context=context, field=field, value=_as_text(new_value), previous=_as_text(previous))

    def _correct_entry_date(self, by: Actor, context: StepContext, field: str, value: str,
                            entry: str | None) -> None:
        if not isinstance(value, str):
            raise InvalidValueError(f"the new {field} must be text", field="value")
        if not entry:
            raise InvalidValueError(f"{field} names its entry: {self.ENTRY_DATES[field]}", field="entry",
                                    rule="entry_unknown")
        new_value = plausible_date(value, field="value")
        previous = self._entry_date(field, entry)
        if previous == new_value:
            raise InvalidValueError(f"{field} of {entry} already has that value", field="value",
                                    rule="changes_something")
        self._check_entry_correction(field, entry, new_value)
        self._corrected(by=by, context=context, field=field, value=_as_text(new_value), previous=_as_text(previous),
                        entry=entry)

    def _entry_date(self, field: str, entry: str) -> date | None:
        """The date an entry holds now; None when the aggregate keeps only later entries (the event says
        which one it corrects all the same). An entry that was never recorded is refused."""
        return numbered_entry(entry, self.rounds_held, self.recent_rounds, "round").on

    def _check_entry_correction(self, field: str, entry: str, value: date) -> None:
        """Invariants a corrected entry's date must keep (per aggregate): none for a round."""

    def _on_entry_corrected(self, field: str, entry: str, value: date) -> None:
        self.recent_rounds = redated_entries(entry, self.rounds_held, self.recent_rounds, value)

    def _correction_value(self, kind: str, value: str) -> Any:
        """The value a correction's text stands for, by the kind of field (``CORRECTABLE``'s values): an
        aggregate with other kinds of correctable fields reads them here."""
        if kind == "text":
            return clean_text(value, field="value")
        return plausible_date(value, field="value")

    def _corrected_value(self, kind: str, text: str) -> Any:
        """The value a recorded correction's text stands for (the reverse of ``_as_text``)."""
        return text if kind == "text" else date_from_text(text)

    def _check_correction(self, field: str, value: Any) -> None:
        """Invariants a corrected value must keep (per aggregate)."""

    def _on_corrected(self, field: str, value: str, entry: str | None = None) -> None:
        if entry is not None and field in self.ENTRY_DATES:
            self._on_entry_corrected(field, entry, date_from_text(value))
            return
        setattr(self, field, self._corrected_value(self.CORRECTABLE[field], value))

    # ---- event bodies each aggregate defines with its own topics ---------------------------------

    def _text_attached(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def _legal_review_requested(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def _legal_review_completed(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def _round_recorded(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def _withdrawn(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def _corrected(self, **kwargs: Any) -> None:
        raise NotImplementedError


def numbered_entry(entry: str, count: int, recent: list[Entry], noun: str) -> Entry:
    """The ``entry``-th (from 1) of ``count`` entries of which ``recent`` holds the latest; an Entry with no
    date when it is older than those kept."""
    number = int(entry) if entry.isascii() and entry.isdigit() else 0
    if not 1 <= number <= count:
        raise StageError(f"there is no {noun} {entry!r}: {count} recorded, numbered from 1", rule="entry_unknown")
    index = number - (count - len(recent)) - 1
    return recent[index] if index >= 0 else Entry(on=None, summary="")  # type: ignore[arg-type]


def redated_entries(entry: str, count: int, recent: list[Entry], value: date) -> list[Entry]:
    """``recent`` with the ``entry``-th entry (from 1, of ``count``) dated ``value``, if it is among them."""
    index = int(entry) - (count - len(recent)) - 1
    if index < 0:
        return recent
    return [*recent[:index], replace(recent[index], on=value), *recent[index + 1:]]


def _as_text(value: Any) -> Any:
    """A corrected value as its event records it: dates as YYYY-MM-DD, numbers as their digits, text as it is."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value
