"""Hypothesis strategies for hostile and clumsy input: text that cannot be encoded or that hides what it says,
numbers in any form but the one, dates that are not dates or not plausible, codes that do not exist.

Every value a strategy here generates must be refused wherever it is sent (some ``clumsy_*`` strategies
generate values that are accepted once normalised: those say so). The strategies are shared by the tests that
send them to every field of every step (test_hostile_fields.py) and by schemathesis, which draws from them for
the formats the OpenAPI document names (test_openapi_contract.py).
"""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import strategies as st

PLAIN = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=12).filter(str.strip)
"""Harmless printable ASCII, to surround a hostile character with."""

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
CONTROLS = st.sampled_from([chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\t\n\r"])
LINE_BREAKS = st.sampled_from(["\n", "\r", "\r\n", "\t", "\x0b", "\x0c", "\u2028", "\u2029", "\x85"])
BIDI_CONTROLS = st.sampled_from([chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]])
INVISIBLES = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u3164",
                              "\u115f", "\u034f", " ", "\u00a0", "\u2003", "\u3000", "\u2009", "\u202f"])
NONCHARACTERS = st.sampled_from(["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff"])


def around(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``inner`` at the start, the end or in the middle of harmless text."""
    return st.tuples(PLAIN, inner, PLAIN, st.integers(0, 2)).map(
        lambda t: [t[1] + t[0], t[0] + t[1], t[0] + t[1] + t[2]][t[3]])


def hostile_text(multiline: bool = False, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Text any text field must refuse: a lone surrogate (not encodable), a control character, a
    bidirectional override or isolate, a noncharacter, or nothing visible at all. Single-line fields (names,
    titles, codes) also refuse line breaks and tabs; multi-line ones (summaries, reasons) take those.
    ``surrogates=False`` leaves lone surrogates out, for a client that cannot even encode them."""
    bad = [SURROGATES, CONTROLS, BIDI_CONTROLS, NONCHARACTERS] if surrogates else [
        CONTROLS, BIDI_CONTROLS, NONCHARACTERS]
    if not multiline:
        bad.append(LINE_BREAKS)
    return st.one_of(around(st.one_of(bad)), st.lists(INVISIBLES, min_size=1, max_size=6).map("".join))


def clumsy_text() -> st.SearchStrategy[tuple[str, str]]:
    """Text that is accepted once normalised, with the form it must be stored in: decomposed accents become
    NFC, surrounding spaces go."""
    words = st.sampled_from(["Genève", "Curaçao", "São Tomé", "Côte d’Ivoire", "Türkiye", "Ελλάδα", "Việt Nam"])
    pads = st.sampled_from(["", " ", "  ", "\u00a0"])
    return st.tuples(pads, words, pads).map(
        lambda t: (t[0] + unicodedata.normalize("NFD", t[1]) + t[2], unicodedata.normalize("NFC", t[1])))


BIG_DIGITS = st.integers(4301, 20_000).map(lambda n: "9" * n)
"""More digits than Python converts to an int by default (sys.get_int_max_str_digits)."""


def hostile_integer_text() -> st.SearchStrategy[str]:
    """Integer parameters written in any form but plain ASCII digits, or too large for any column."""
    return st.one_of(
        BIG_DIGITS,
        st.integers(2**63, 2**200).map(str),
        st.integers(-(2**200), -1).map(str),
        st.sampled_from(["1_000", " 1", "1 ", "+1", "1.0", "1e3", "0x10", "١٢", "１２", "²", "1\n", "", "-0",
                         "NaN", "Infinity", "true", "007"]),
    )


def hostile_json_numbers() -> st.SearchStrategy[str]:
    """JSON number texts that a string field, or any integer field, must refuse (sent as raw JSON)."""
    return st.one_of(
        BIG_DIGITS,
        st.integers(-(2**300), 2**300).map(str),
        st.sampled_from(["1e400", "-1e400", "1.5", "0.0", "1E-400", "true", "false", "[]", "{}"]),
    )


EARLIEST, YEARS_AHEAD = 1945, 100


def _years_ahead(years: int) -> date:
    today = date.today()
    return today.replace(year=today.year + years, day=28 if today.month == 2 else today.day)


def hostile_date() -> st.SearchStrategy[str]:
    """What a date field must refuse: other ISO 8601 forms, impossible days, surrounding text, and days
    outside the plausible range (before 1945, or more than 100 years ahead)."""
    day = st.dates(date(1950, 1, 1), date(2100, 12, 31))
    return st.one_of(
        day.map(lambda d: d.strftime("%Y%m%d")),
        day.map(lambda d: "{}-W{:02d}-{}".format(*d.isocalendar())),
        day.map(lambda d: d.strftime("%Y-%j")),
        day.map(lambda d: d.isoformat() + "T00:00:00"),
        day.map(lambda d: d.isoformat() + "Z"),
        st.tuples(day, st.sampled_from(["\n", " ", "\t", "\u200b", "\x00"]), st.booleans()).map(
            lambda t: t[1] + t[0].isoformat() if t[2] else t[0].isoformat() + t[1]),
        day.map(lambda d: d.isoformat().translate(str.maketrans("0123456789", "０１２３４５６７８９"))),
        day.map(lambda d: "+" + d.isoformat()),
        st.sampled_from(["2023-02-29", "2024-02-30", "2024-13-01", "2024-00-10", "2024-04-31", "0000-01-01", ""]),
        st.dates(date(1, 1, 1), date(EARLIEST - 1, 12, 31)).map(date.isoformat),
        st.dates(_years_ahead(YEARS_AHEAD + 1), date(9999, 12, 31)).map(date.isoformat),
    )


def hostile_country() -> st.SearchStrategy[str]:
    """Country codes that are not ISO 3166-1 alpha-2 codes in use (nor the former states' kept ones)."""
    return st.one_of(
        st.sampled_from(["XX", "ZZ", "AA", "QM", "XK", "UK", "EU", "ch", "Ch", "CHE", "C", "", "756", "ＣＨ"]),
        st.tuples(st.sampled_from(["CH", "CL", "EE", "SU"]), st.sampled_from(["\n", " ", "\t", "\u200b", "\r\n"]),
                  st.booleans()).map(lambda t: t[1] + t[0] if t[2] else t[0] + t[1]),
    )


def hostile_sha256() -> st.SearchStrategy[str]:
    hexes = st.text("0123456789abcdef", min_size=64, max_size=64)
    return st.one_of(
        hexes.map(lambda h: h + "\n"),
        hexes.map(lambda h: h.upper()),
        hexes.map(lambda h: h[:63]),
        hexes.map(lambda h: h + "0"),
        hexes.map(lambda h: " " + h),
        hexes.map(lambda h: h[:10] + "g" + h[11:]),
    )


def hostile_uri() -> st.SearchStrategy[str]:
    """Document addresses that must be refused: other schemes, no scheme, no host, or hidden characters."""
    return st.one_of(
        st.sampled_from(["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>1</script>",
                         "file:///etc/passwd", "ftp://cern.ch/a.pdf", "//evil.example/a.pdf", "a.pdf", "http://",
                         "https:///a.pdf", "urn:", "vbscript:msgbox", "\u202ehttps://cern.ch", "https://cern.ch/a b"]),
        st.sampled_from(["https://cern.ch/a.pdf", "urn:cern:doc:1"]).map(lambda u: u + "\n"),
    )


def valid_or(valid: st.SearchStrategy[str], hostile: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly valid values (so that requests reach the rules behind the fields), now and then hostile ones."""
    return st.one_of(valid, valid, hostile)


SCHEMATHESIS_FORMATS = {
    "line": valid_or(PLAIN, hostile_text(surrogates=False)),
    "text": valid_or(PLAIN, hostile_text(multiline=True, surrogates=False)),
    "country-code": valid_or(st.sampled_from(["CH", "CL", "EE", "NO", "CY", "SU"]), hostile_country()),
    "sha256": valid_or(st.text("0123456789abcdef", min_size=64, max_size=64), hostile_sha256()),
    "document-uri": valid_or(st.sampled_from(["https://cds.cern.ch/record/1", "urn:cern:doc:1"]), hostile_uri()),
    "media-type": valid_or(st.sampled_from(["application/pdf", "text/plain"]),
                           st.sampled_from(["pdf", "application/pdf\n", "a/b c", "/", "application/"])),
    "date": valid_or(st.dates(date(1990, 1, 1), date(2060, 12, 31)).map(date.isoformat), hostile_date()),
}
"""A strategy for each string format the OpenAPI document names (``api.fields``), for schemathesis. Without lone
surrogates: schemathesis's negative mode checks each mutated body with a JSON Schema validator that cannot
encode them and fails while generating (a harness limit, not the server's); tests/contract/test_hostile_fields.py
sends them to every text field."""


def register_with_schemathesis() -> None:
    """Make schemathesis draw the formats of ``SCHEMATHESIS_FORMATS`` from these strategies."""
    import schemathesis

    for name, strategy in SCHEMATHESIS_FORMATS.items():
        schemathesis.openapi.format(name, strategy)
