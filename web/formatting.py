"""How pages write times: ISO dates and times in UTC, labelled so, with a relative hint ("in 3 days")."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_time(value: datetime | None) -> str:
    """"2026-12-10 13:05 UTC"."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def relative(value: date | datetime | None, now: datetime | None = None) -> str:
    """"3 months ago", "in 2 days", "today": a hint beside an exact date, never instead of it."""
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if isinstance(value, datetime):
        seconds = (value - now).total_seconds()
    else:
        seconds = (value - now.date()).days * 86400.0
    ahead, seconds = seconds > 0, abs(seconds)
    for size, unit in ((365 * 86400, "year"), (30 * 86400, "month"), (86400, "day"), (3600, "hour"),
                       (60, "minute")):
        if seconds >= size:
            count = round(seconds / size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if ahead else f"{text} ago"
    return "now" if isinstance(value, datetime) else "today"


def sentence(text: str) -> str:
    """A message as a sentence on a page: its first letter capitalised."""
    return text[:1].upper() + text[1:]


def as_date(value: date | datetime | str | None) -> date | None:
    """A date from a date, a time (its UTC day) or the views' ISO text of either."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return value


def as_time(value: datetime | str | None) -> datetime | None:
    """A time from a time or the views' ISO text of one."""
    if value is None or value == "":
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def words(name: str | None) -> str:
    """A vocabulary name as words, capitalised: "in_force" -> "In force"."""
    return sentence((name or "").replace("_", " "))


def field_label(name: str) -> str:
    """The label of a form's input from its name, as an error summary names it: "expires_on" -> "Expires on",
    "counterparties-0-name" -> "Counterparty 1, name" (rows of a list counted from 1)."""
    parts = name.split("-")
    if len(parts) == 3 and parts[1].isdigit():
        return f"{words(parts[0].removesuffix('ies') + 'y' if parts[0].endswith('ies') else parts[0])} " \
               f"{int(parts[1]) + 1}, {words(parts[2]).lower()}"
    return words(name)
