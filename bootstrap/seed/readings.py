"""How the published participation record is read where its values alone do not say it: the one list of
interpretations, each in words, each kept with the period it applies to (``StatusPeriod.interpretation``).

- A period's ``to`` names the first day without the status (the day the next status began, or the day a
  suspension or termination took effect), unless listed in ``LAST_DAY``: a withdrawal effective at the end
  of a year, a state that ceased to exist on a day.
- ``date_certainty`` sometimes gives a month the value does not ("year-only (January 2014; day not
  confirmed)"): the date is then that month (``MONTHS``).
- Conflicting sources named in an entry's notes are kept as alternative values with their source
  (``ALTERNATIVES``); bounds the notes give an unknown start are kept as bounds (``BOUNDS``).
- A state that ceased to exist ends its open periods on that day (``CESSATIONS``), which the record implies
  ("USSR dissolved") but does not date: the date and its source are named here, not in the data file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.record_dates import Alternative, Certainty, EndIs, RecordDate
from domain.recorded import Source, StatusPeriod, Suspension

JINR_PAGE = "A JINR-hosted history page (named in the record's notes, not among its sources)"

LAST_DAY = {
    ("Spain", "member", "1961-01-01"):
        "withdrawal confirmed 'with effect from 31 Dec 1968' under Convention Art. XII, which takes effect at "
        "the end of the financial year: 31 December 1968 is Spain's last day as a Member State "
        "(home.cern: 'Spain (1961-1969)')",
    ("Czech and Slovak Federal Republic", "member", "1992"):
        "the CSFR 'ceased to exist 31 Dec 1992': its last day as a Member State",
    ("Yugoslavia", "member", "1954-09-29"):
        "notice given 'to withdraw at the end of the year': the last day of membership falls in 1961; "
        "the day is not stated, so the end is 1961, imprecise",
}
MONTHS = {
    ("Israel", "associate-member-pre-stage", "2011"): ("ended", "2014-01", "end = January 2014 (day not confirmed)"),
    ("Israel", "member", "2014"): ("began", "2014-01", "January 2014; day not confirmed"),
    ("Lithuania", "associate-member", "2018"): ("began", "2018-01", "month-only (January 2018)"),
}
ALTERNATIVES = {
    ("Portugal", "member", "1986-01-01"): [("1985", 2), ("1986-01-11", 1)],
    ("Japan", "observer", "1995-06-23"): [("1994", JINR_PAGE)],
    ("Russian Federation", "observer", "1993"): [("1995", JINR_PAGE)],
}
"""Other values of a start, each with its source: an index into the entry's sources, or a source the
notes name."""
BOUNDS = {
    ("JINR", "observer", None): ("2010-06", "2017", "the notes: 'absent from the June 2010 observer list and "
                                                     "present in the 2017 list'"),
    ("Russian Federation", "observer", "1993"): (
        None, "1995-06-23", "the notes: the CERN press release of June 1995 (23 June) already lists RF as observer"),
}
"""(not before, not after, why) for a start."""
CESSATIONS = {
    "USSR": ("1991-12-26", Source("Declaration No. 142-N of the Soviet of the Republics of the Supreme Soviet "
                                  "of the USSR, 26 December 1991 (dissolution of the USSR)"),
             "the USSR ceased to exist on 26 December 1991; the record notes 'USSR dissolved' without a date"),
    "Yugoslavia": ("2003-02-04", Source("Constitutional Charter of the State Union of Serbia and Montenegro, "
                                        "4 February 2003"),
                   "the state named Yugoslavia (FR Yugoslavia) ceased to exist on 4 February 2003, when it "
                   "became Serbia and Montenegro; the record gives no end of its suspended observer status"),
}
"""The day a state that no longer exists ceased (the first day without it), its source, and why."""


def _matches(key: tuple[str, str, str | None], entry: dict[str, Any]) -> bool:
    party, status, began = key
    return entry["party"].startswith(party) and entry["status"] == status and entry.get("from") == began


def _find(table: dict[tuple[str, str, str | None], Any], entry: dict[str, Any]) -> Any:
    return next((value for key, value in table.items() if _matches(key, entry)), None)


def read(entry: dict[str, Any], period: StatusPeriod) -> StatusPeriod:
    """``period`` (the entry's values as they are) with every reading that applies to the entry."""
    notes: list[str] = []
    changes: dict[str, Any] = {}
    if (month := _find(MONTHS, entry)) is not None:
        which, value, words = month
        changes[which] = RecordDate(value, Certainty.EXACT, note=words)
        notes.append(f"{which}: the record's date_certainty gives the month ('{words}'): {value}")
    began = changes.get("began", period.began)
    if (alternatives := _find(ALTERNATIVES, entry)) is not None:
        sources = entry.get("source") or []
        others = tuple(Alternative(value, sources[s]["title"], sources[s].get("url")) if isinstance(s, int)
                       else Alternative(value, s) for value, s in alternatives)
        began = replace(began, certainty=Certainty.CONFLICTING, alternatives=others)
        notes.append("began: sources conflict; the record's value is kept, the others as alternatives: "
                     + ", ".join(f"{a.value} ({a.source_title})" for a in others))
    if (bound := _find(BOUNDS, entry)) is not None:
        not_before, not_after, why = bound
        began = replace(began, not_before=not_before, not_after=not_after)
        notes.append(f"began: bounded by {why}: not before {not_before or '-'}, not after {not_after or '-'}")
    changes["began"] = began
    ended = changes.get("ended", period.ended)
    state = next((name for name in CESSATIONS if entry["party"].startswith(name)), None)
    if state is not None:
        day, source, why = CESSATIONS[state]
        if ended is None:
            ended = changes["ended"] = RecordDate(day, Certainty.EXACT)
            changes["sources"] = (*period.sources, source)
            notes.append(f"ended: {why}; its last open period ends then (first day without: {day})")
        elif entry.get("suspended_from"):
            changes["suspension"] = Suspension(RecordDate(entry["suspended_from"], Certainty.EXACT),
                                               RecordDate(day, Certainty.EXACT), EndIs.FIRST_DAY_WITHOUT,
                                               (*period.sources, source))
            notes.append(f"suspension: from the record's suspended_from ({entry['suspended_from']}) until "
                         f"{why} (first day without: {day})")
    if ended is not None:
        why = _find(LAST_DAY, entry)
        if why is not None:
            changes["end_is"] = EndIs.LAST_DAY
            notes.append(f"end_is: the record's 'to' is the last day with the status: {why}")
        else:
            notes.append("end_is: the end is the first day without the status (the day the next status "
                         "began, a suspension or termination took effect, or the state ceased)")
    if entry.get("special_observer_from"):
        notes.append(f"scope: the record's special_observer_from ({entry['special_observer_from']}) is not a "
                     "period of its own: the entry's notes describe that status")
    return replace(period, **changes, interpretation=tuple(notes))
