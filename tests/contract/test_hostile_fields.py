"""Hostile values in every field of every step of both aggregates, through the real API, on SQLite and
PostgreSQL: each is refused with a problem (never a server error), names the field, and records nothing.

What is recorded is kept for ever, so a value is checked before any event is written: the step's fields are
read (by the step's schema) before the stage is looked at, which is why one new process of each kind reaches
every step's fields. A step refused for its stage instead of its field would mean the
hostile value was accepted: the test tells the two apart by the problem's ``errors`` (the field refused).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.values import Role
from tests.contract import hostile
from tests.drafts import draft
from workflows.definitions import CURRENT, Field

API = "/api/v1"
PROBLEM = "application/problem+json"
EXAMPLES = 60
ACTING = {Role.IR_OFFICER: "alice", Role.LEGAL_OFFICER: "bruno"}


@dataclass(frozen=True)
class Target:
    """One field a client may send: of a creation (step None) or a step, at ``path`` in the body."""

    kind: str
    step: str | None
    path: tuple[str | int, ...]
    type: str

    def __str__(self) -> str:
        return f"{self.kind}.{self.step or 'create'}:{'.'.join(map(str, self.path))}"


DOCUMENT = {"title": "Draft v1", "sha256": hashlib.sha256(b"Draft v1").hexdigest(), "media_type": "application/pdf",
            "uri": "https://cds.cern.ch/record/1"}
VALID = {"string": "Agreed in the meeting", "text": "Agreed in the meeting.", "date": "2024-05-01",
         "uuid": None, "names": ["Director-General"], "document": DOCUMENT, "stored_document": draft("Draft v1"),
         "state": {"name": "Republic of Estonia", "country": "EE"},
         "counterparties": [{"name": "Republic of Chile", "kind": "state", "country": "CL"}],
         "counterparty": {"name": "Kingdom of Morocco", "kind": "state", "country": "MA"},
         "protocol_fates": [{"protocol_id": "5d7f3c2e-1a4b-4c8d-9e0f-a1b2c3d4e5f6", "fate": "keep",
                             "reason": "It stands alone."}],
         "months": 60}
NESTED = {"document": {"title": "string", "sha256": "sha256", "media_type": "media_type", "uri": "uri"},
          "stored_document": {"title": "string", "sha256": "sha256"},
          "state": {"name": "string", "country": "country"},
          "counterparties": {"name": "string", "kind": "enum", "country": "country"},
          "counterparty": {"name": "string", "kind": "enum", "country": "country"},
          "protocol_fates": {"protocol_id": "uuid", "fate": "enum", "reason": "text"}}
CORRECTED_DATE = {"agreement": "expires_on", "enlargement": "applied_on"}


def valid_body(kind: str, fields: tuple[Field, ...], step: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": "Clumsy or hostile?", "reference": "CERN/Council/1"}
    for f in fields:
        value = f.choices[0] if f.choices else copy.deepcopy(VALID[f.type])
        if value is not None:
            body[f.name] = value
    if step == "correct":
        body["field"] = CORRECTED_DATE[kind]  # its value is then a date, of no entry
        body.pop("entry", None)
    return body


def targets() -> list[Target]:
    out = []
    for kind, workflow in CURRENT.items():
        for step, fields in [(None, workflow.creation_fields), *((s.name, s.fields) for s in workflow.steps)]:
            for name in ("reason", "reference"):
                out.append(Target(kind, step, (name,), "text" if name == "reason" else "string"))
            for f in fields:
                if f.type in NESTED:
                    at = (f.name, 0) if f.type in ("counterparties", "protocol_fates") else (f.name,)
                    out += [Target(kind, step, (*at, k), t) for k, t in NESTED[f.type].items()]
                elif f.type == "names":
                    out.append(Target(kind, step, (f.name, 0), "string"))
                elif step == "correct" and f.name == "value":
                    out.append(Target(kind, step, (f.name,), "date"))
                else:
                    out.append(Target(kind, step, (f.name,), f.type))
    return out


TARGETS = targets()
BODIES = {(kind, step): valid_body(kind, fields, step) for kind, w in CURRENT.items()
          for step, fields in [(None, w.creation_fields), *((s.name, s.fields) for s in w.steps)]}


def placed(target: Target, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(BODIES[(target.kind, target.step)])
    at: Any = body
    for key in target.path[:-1]:
        at = at[key]
    at[target.path[-1]] = value
    return body


class World:
    """The service under test, one process of each kind (agreement, enlargement, observer), and the log's head."""

    def __init__(self, client, auth, services):
        self.client, self.auth, self.services = client, auth, services
        self.ids = {}
        for kind in CURRENT:
            body = BODIES[(kind, None)]
            response = client.post(f"{API}/{kind}s", json=body, headers=auth("alice"))
            assert response.status_code == 201, response.get_json()
            self.ids[kind] = response.get_json()["id"]

    def head(self) -> int:
        return self.services.app.recorder.max_notification_id() or 0

    def send(self, target: Target, data: bytes) -> Any:
        if target.step is None:
            return self.client.post(f"{API}/{target.kind}s", data=data, content_type="application/json",
                                    headers=self.auth("alice"))
        step = next(s for s in CURRENT[target.kind].steps if s.name == target.step)
        version = getattr(self.services, f"{target.kind}s").get(UUID(self.ids[target.kind])).version
        return self.client.post(f"{API}/{target.kind}s/{self.ids[target.kind]}/steps/{target.step}", data=data,
                                content_type="application/json",
                                headers=self.auth(ACTING[step.roles[0]], **{"If-Match": f'"{version}"'}))

    def refuses(self, target: Target, data: bytes) -> None:
        """``data`` sent to ``target`` is refused as a problem that names the field, and nothing is recorded."""
        head = self.head()
        response = self.send(target, data)
        text = response.get_data(as_text=True)
        assert response.status_code in (400, 422), f"{target}: {response.status_code} {text}"
        assert response.mimetype == PROBLEM, f"{target}: {response.mimetype}"
        problem = response.get_json()
        if response.status_code == 422:
            assert problem.get("errors"), f"{target}: refused, but not for its field: {text}"
            assert str(target.path[0]) in problem["errors"] or "_schema" in problem["errors"], f"{target}: {text}"
        assert self.head() == head, f"{target}: a refused request recorded an event"


@pytest.fixture
def world(client, auth, services) -> World:
    return World(client, auth, services)


def check(**kwargs: Any):
    return settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck), **kwargs)


def dumped(body: Any) -> bytes:
    return json.dumps(body).encode()  # ensure_ascii: a lone surrogate is written as its \\u escape


TEXT_TARGETS = [t for t in TARGETS if t.type in ("string", "text")]
CODE_TARGETS = [t for t in TARGETS if t.type in ("country", "sha256", "uri")]
DATE_TARGETS = [t for t in TARGETS if t.type == "date"]
MONTHS_TARGETS = [t for t in TARGETS if t.type == "months"]
"""Whole numbers of months (an agreement's term): any text or number but 1..1200 is refused (their own test)."""
OTHER_TARGETS = [t for t in TARGETS if t.type not in ("string", "text", "country", "sha256", "uri", "date", "months")]
NOT_NUMBERS = [t for t in TARGETS if t.type != "months"]


def test_the_targets_cover_every_field_of_every_step():
    assert {(t.kind, t.step) for t in TARGETS} == set(BODIES)
    assert len(TARGETS) == (len(TEXT_TARGETS) + len(CODE_TARGETS) + len(DATE_TARGETS) + len(OTHER_TARGETS)
                            + len(MONTHS_TARGETS))
    assert len(DATE_TARGETS) > 20 and len(TEXT_TARGETS) > 60


def test_hostile_strings_in_any_field_are_refused_and_record_nothing(world):
    text = st.sampled_from(NOT_NUMBERS).flatmap(lambda t: st.tuples(
        st.just(t), hostile.hostile_text(multiline=t.type == "text")))

    @check()
    @given(case=text)
    def send(case):
        target, value = case
        world.refuses(target, dumped(placed(target, value)))

    send()


def test_hostile_numbers_in_any_field_are_refused_and_record_nothing(world):
    numbers = st.tuples(st.sampled_from(NOT_NUMBERS), hostile.hostile_json_numbers())

    @check()
    @given(case=numbers)
    def send(case):
        target, number = case
        marker = "\u2603MARK\u2603"
        data = dumped(placed(target, marker)).replace(json.dumps(marker).encode(), number.encode())
        world.refuses(target, data)

    send()


def test_months_out_of_range_or_not_whole_are_refused_and_record_nothing(world):
    values = st.one_of(st.integers(-(2**70), 0).map(str), st.integers(1201, 2**70).map(str),
                       st.sampled_from(["1.5", "12.0", "1e2", "true", '"twelve"', '"1_2"', '" 12"', "[]"]))

    @check()
    @given(target=st.sampled_from(MONTHS_TARGETS), number=values)
    def send(target, number):
        marker = "\u2603MARK\u2603"
        world.refuses(target, dumped(placed(target, marker)).replace(json.dumps(marker).encode(), number.encode()))

    send()


def test_hostile_dates_in_any_date_field_are_refused_and_record_nothing(world):
    @check()
    @given(target=st.sampled_from(DATE_TARGETS), value=hostile.hostile_date())
    def send(target, value):
        world.refuses(target, dumped(placed(target, value)))

    send()


def test_codes_that_do_not_exist_are_refused_and_record_nothing(world):
    codes = {"country": hostile.hostile_country(), "sha256": hostile.hostile_sha256(), "uri": hostile.hostile_uri()}

    @check()
    @given(case=st.sampled_from(CODE_TARGETS).flatmap(lambda t: st.tuples(st.just(t), codes[t.type])))
    def send(case):
        target, value = case
        world.refuses(target, dumped(placed(target, value)))

    send()
