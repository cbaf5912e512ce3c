"""The published record's status periods, imported as recorded facts (``domain.recorded``).

Importing an entry again records nothing when it reads as before, and a revision when it changed: the
store is append-only, and the register keeps what it answered before the revision as it was known then.
"""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError, Application

from domain.recorded import RecordedStatus, StatusPeriod
from domain.values import Actor, StepContext


class RecordService:
    """Recorded status periods, one per entry of the record."""

    def __init__(self, app: Application):
        self.app = app

    def get(self, entry_key: str) -> RecordedStatus | None:
        try:
            return self.app.repository.get(RecordedStatus.create_id(entry_key))
        except AggregateNotFoundError:
            return None

    def record(self, by: Actor, context: StepContext, entry_key: str, period: StatusPeriod,
               entry_sha256: str) -> str:
        """Import an entry ("imported"), revise it if it changed ("revised"), or nothing ("unchanged")."""
        current = self.get(entry_key)
        if current is None:
            self.app.save(RecordedStatus.imported(by=by, context=context, entry_key=entry_key, period=period,
                                                  entry_sha256=entry_sha256))
            return "imported"
        if current.revise(by, context, period, entry_sha256):
            self.app.save(current)
            return "revised"
        return "unchanged"
