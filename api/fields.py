"""The field types that read every value a client sends: text, codes, dates, times and whole numbers.

Every string, date, code and number a request (or a form, which loads the same schemas) carries goes through
one of these, so each is checked in one place: text by the domain's rule on text (``domain.text``: encodable,
no control or bidirectional characters, not invisible, kept in NFC without surrounding spaces), codes and
addresses by the domain's value checks (``domain.countries``, ``domain.values``), real-world dates by the
plausible range (``domain.dates``). Patterns match the whole value, never a prefix. Each type names the format
it reads in the OpenAPI document (``format``), which the contract tests fuzz with hostile values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

from domain import dates
from domain.countries import is_country_code
from domain.dates import PLAUSIBLE_DATE_RULE, date_from_text, date_text, time_text
from domain.errors import InvalidValueError
from domain.text import clean_text
from domain.values import SHA256_PATTERN, uri_refusal

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
"""An RFC 3339 timestamp, matched whole; read leniently in two ways only: the offset may be left out (UTC), and
the seconds (as a person types a time, 2024-05-01T09:30)."""
DIGITS = re.compile(r"0|-?[1-9][0-9]{0,19}")
"""A whole number as a query writes it: ASCII digits without leading zeros, a minus sign at most; 20 digits
hold any 64-bit value."""
TWO_CAPITALS = re.compile(r"[A-Z]{2}")
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}", re.IGNORECASE)
"""An RFC 6838 media type, type/subtype, without parameters."""


class Line(fields.String):
    """Text on one line (a name, a title, a reference), at most ``most`` characters once normalised."""

    multiline = False
    default_format = "line"

    def __init__(self, most: int, *, least: int = 1, **kwargs: Any):
        metadata = {"format": self.default_format, **kwargs.pop("metadata", {})}
        super().__init__(validate=validate.Length(least, most), metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return clean_text(text, multiline=self.multiline)
        except InvalidValueError as error:
            raise ValidationError(error.message) from None


class Text(Line):
    """Text that may run over lines (a summary, a reason): line feeds and tabs allowed."""

    multiline = True
    default_format = "text"


class Code(fields.String):
    """A code matched whole by ``accepts`` (a function of the text), refused with ``error``."""

    def __init__(self, accepts: Any, error: str, fmt: str, **kwargs: Any):
        metadata = {"format": fmt, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.accepts, self.error = accepts, error

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self.accepts(text):
            raise ValidationError(self.error)
        return text


def Country(**kwargs: Any) -> Code:  # noqa: N802 - a field type, named as the others
    """An ISO 3166-1 alpha-2 code as assigned, or a former state's (SU, YU, CS, DD)."""
    return Code(is_country_code, "must be an ISO 3166-1 alpha-2 code in use, such as 'CH', or a former state's "
                "(SU, YU, CS, DD)", "country-code", **kwargs)


def CountryShaped(**kwargs: Any) -> Code:  # noqa: N802
    """Two capital letters, for a filter: a code nobody uses finds nothing, it is not an error."""
    return Code(TWO_CAPITALS.fullmatch, "must be an ISO 3166-1 alpha-2 code such as 'CH'", "country-code",
                metadata={"pattern": "^[A-Z]{2}$"}, **kwargs)


def Sha256(**kwargs: Any) -> Code:  # noqa: N802
    return Code(SHA256_PATTERN.fullmatch, "must be 64 lowercase hexadecimal digits", "sha256",
                metadata={"pattern": "^[0-9a-f]{64}$"}, **kwargs)


def MediaType(**kwargs: Any) -> Code:  # noqa: N802
    return Code(lambda t: len(t) <= 200 and MEDIA_TYPE.fullmatch(t), "must be a media type such as "
                "'application/pdf'", "media-type", **kwargs)


def Uri(**kwargs: Any) -> Code:  # noqa: N802
    """A document's address: https, http or urn (``domain.values.uri_refusal``)."""
    return Code(lambda t: len(t) <= 2000 and uri_refusal(t) is None, "must be an https, http or urn address "
                "of at most 2000 printable ASCII characters", "document-uri", **kwargs)


class IsoDate(fields.Date):
    """A date, written and read as exactly YYYY-MM-DD (``domain.dates``): marshmallow's own ``Date`` would also
    read 20240101 or a week date such as 2024-W01-1."""

    SERIALIZATION_FUNCS = {"iso": date_text, "iso8601": date_text}
    DESERIALIZATION_FUNCS = {"iso": date_from_text, "iso8601": date_from_text}
    default_error_messages = {"invalid": "Not a valid date: a day of the calendar, as YYYY-MM-DD."}


class RecordedDate(IsoDate):
    """A real-world date to be recorded: YYYY-MM-DD, and within the plausible range (rule plausible_date)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        day = super()._deserialize(value, attr, data, **kwargs)
        try:
            return dates.PLAUSIBLE.check(day)
        except InvalidValueError as error:
            raise ValidationError(f"{error.message} (rule {PLAUSIBLE_DATE_RULE})") from None


class UtcDateTime(fields.DateTime):
    """A timestamp in RFC 3339 form, read as UTC when it names no offset, and written one way: UTC with
    microseconds and "Z" (``domain.dates.time_text``). Refused when it falls outside years 1 to 9999 in UTC."""

    default_error_messages = {"invalid": "Not a valid timestamp: RFC 3339, such as 2024-05-01T09:30:00Z."}

    def __init__(self, **kwargs: Any):
        super().__init__(metadata={"format": "date-time", **kwargs.pop("metadata", {})}, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return time_text(value if value.tzinfo else value.replace(tzinfo=UTC))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not RFC3339.fullmatch(value):
            raise self.make_error("invalid")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise self.make_error("invalid") from None
        try:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("the time is out of range once converted to UTC") from None


class WholeNumber(fields.Integer):
    """An integer in its one form: a JSON integer (not a boolean, not a float), or in a query plain ASCII
    digits with a minus sign at most (not 1_000, ١٢, +1 or 1e3); and within ``least``..``most``."""

    def __init__(self, least: int, most: int, **kwargs: Any):
        super().__init__(strict=True, validate=validate.Range(min=least, max=most), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            if not DIGITS.fullmatch(value):
                raise self.make_error("invalid")
            value = int(value)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class BoundedList(fields.List):
    """A list refused at once when it has more than ``most`` items (before any item is validated)."""

    def __init__(self, inner: Any, *, least: int = 0, most: int, **kwargs: Any):
        super().__init__(inner, validate=validate.Length(least, most), **kwargs)
        self.most = most

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list) and len(value) > self.most:
            raise ValidationError(f"at most {self.most} items")
        return super()._deserialize(value, attr, data, **kwargs)
