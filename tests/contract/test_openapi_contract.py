"""The OpenAPI document is the contract: schemathesis generates requests from it for every operation and checks
each response against it, on a store seeded with the demo data, as every kind of user, on both backends.

Bounded and reproducible: a fixed number of examples per operation, ``derandomize`` (a fixed seed), no example
database, no shrinking (a failure is recorded, the run goes on, and the test lists every distinct failure).
Generated path parameters, versions and positions are aimed at the seeded data most of the time (a schema hook),
so the requests reach the handlers rather than stopping at 404. Strings of the formats the document names (text,
codes, dates) are drawn from the hostile strategies (tests/contract/hostile.py): mostly valid, now and then not.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import PUBLIC_PATHS
from bootstrap import create_app
from bootstrap.seed.demo import seed_demo
from domain.values import Actor, Role, StepContext
from projections import queries
from storage.audit import verify
from tests.conftest import USERS as USER_ROLES
from tests.contract.hostile import register_with_schemathesis
from tests.storage.stores import backend_of
from workflows.definitions import DEFINITIONS, StepDefinition

API = "/api/v1"
OPENAPI = f"{API}/openapi.json"
PROBLEM = "application/problem+json"
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance,
               response_headers_conformance]
CHECKS = [not_a_server_error, *CONFORMANCE]
EXAMPLES = {"sqlite": 12, "postgres": 6}
"""Examples per operation and generation mode (positive and negative), for each user."""
USERS = ["alice", "bruno", "eva", "farid", "gwen"]
"""One user of each role: ir_officer, legal_officer, auditor, management, admin."""
ADMIN = Actor("pytest@cli", Role.ADMIN)
register_with_schemathesis()  # strings, codes and dates of every format, hostile now and then

STEPS = {kind: sorted({s.name for (k, _), w in DEFINITIONS.items() if k == kind for s in w.steps})
         for kind in ("agreement", "enlargement", "observer")}


@pytest.fixture
def app(storage: dict[str, str]):
    """As the shared ``app``, but a view that has not reached ``min_position`` answers 503 without a long wait."""
    app = create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False,
                      "READ_WAIT_SECONDS": 0.05})
    yield app
    app.extensions["accord"].close()


@dataclass
class Seeded:
    """The demo data, with the ids, versions and positions that generated requests are aimed at."""

    services: Any
    ids: dict[str, list[UUID]]
    parties: list[str]
    verified: tuple[int, str]

    def head(self) -> int:
        return self.services.app.recorder.max_notification_id() or 0

    def service(self, kind: str) -> Any:
        return {"agreement": self.services.agreements, "enlargement": self.services.enlargements,
                "observer": self.services.observers}[kind]

    def version_of(self, kind: str, aggregate_id: Any) -> int | None:
        try:
            return self.service(kind).get(UUID(str(aggregate_id))).version
        except Exception:  # noqa: BLE001 - not a real id (the generated one was kept): nothing to aim at
            return None

    def steps_for(self, kind: str, aggregate_id: Any, actor: Actor) -> list[StepDefinition]:
        try:
            return self.service(kind).available_steps(UUID(str(aggregate_id)), actor)
        except Exception:  # noqa: BLE001 - not a real id, or a role that may not read
            return []


def fields_for(step: StepDefinition, dice: int) -> dict[str, Any]:
    """A body with a plausible value for each required field of ``step`` (the rules may still refuse it)."""
    today = date.today().isoformat()
    values = {"date": today, "names": ["Director-General"], "state": {"name": "Kingdom of Norway", "country": "NO"},
              "counterparty": {"name": "Kingdom of Norway", "kind": "state", "country": "NO"},
              "document": {"title": f"Text {dice}", "sha256": hashlib.sha256(f"Text {dice}".encode()).hexdigest(),
                           "media_type": "application/pdf"}}
    return {f.name: f.choices[dice % len(f.choices)] if f.choices else values.get(f.type, "Agreed in the meeting.")
            for f in step.fields if f.required}


def seed(services: Any) -> Seeded:
    seed_demo(services.agreements, services.access, ADMIN, say=lambda message: None)
    officer = Actor("alice", Role.IR_OFFICER)
    enlargements = services.enlargements
    cyprus = enlargements.create({"state": {"name": "Republic of Cyprus", "country": "CY"},
                                  "target": "associate_member", "applied_on": "2012-10-05"}, officer, StepContext())
    outcome = enlargements.take_step(cyprus.aggregate.id, "authorise_negotiation", {"decided_on": "2013-03-20"},
                                     officer, cyprus.aggregate.version, StepContext(reference="CERN/Council/1070"))
    slovenia = enlargements.create({"state": {"name": "Republic of Slovenia", "country": "SI"},
                                    "target": "associate_member_pre_stage", "applied_on": "2016-06-01"}, officer,
                                   StepContext())
    jinr = services.observers.create({"party": {"name": "JINR", "kind": "organisation"},
                                      "requested_on": "2012-01-10"}, officer, StepContext())
    granted = services.observers.take_step(jinr.aggregate.id, "grant", {"decided_on": "2012-06-01"}, officer,
                                           jinr.aggregate.version, StepContext())
    services.projections.catch_up()
    agreements = queries.list_agreements(services.db, {}, sort="title", page=1, per_page=100)
    result = verify(services.app.recorder)
    return Seeded(
        services=services,
        ids={"agreement": [UUID(str(row["id"])) for row in agreements.items],
             "enlargement": [outcome.aggregate.id, slovenia.aggregate.id], "observer": [granted.aggregate.id]},
        parties=["CL", "MN", "CY", "Republic of Chile", "Republic of Cyprus", "CERN"],
        verified=(result.head_position, result.head_hash),
    )


def aim(seeded: Seeded, actor: Actor) -> Callable[[Any, Any], Any]:
    """A ``flatmap_case`` hook: mostly replace generated ids, steps, versions and positions with real ones;
    now and then take a step that ``actor`` may take now, with plausible fields."""

    def flatmap_case(context: Any, case: Any) -> Any:
        return st.tuples(*(st.integers(0, 99) for _ in range(4))).map(lambda dice: aimed(case, dice))

    def aimed(case: Any, dice: tuple[int, ...]) -> Any:
        path, query = case.path_parameters or {}, case.query
        kind = next((k for k in ("agreement", "enlargement", "observer") if f"{k}_id" in path), None)
        if kind and dice[0] < 85:
            ids = seeded.ids[kind]
            path[f"{kind}_id"] = str(ids[dice[1] % len(ids)])
        if kind and "step" in path and dice[2] < 85:
            path["step"] = STEPS[kind][dice[1] % len(STEPS[kind])]
            steps = seeded.steps_for(kind, path[f"{kind}_id"], actor)
            if steps and dice[2] < 50:
                step = steps[dice[3] % len(steps)]
                path["step"], case.body = step.name, fields_for(step, dice[3])
        version = seeded.version_of(kind, path[f"{kind}_id"]) if kind else None
        if version and case.headers is not None and "If-Match" in case.headers and dice[3] < 80:
            case.headers["If-Match"] = f'"{version - (dice[3] >= 50)}"'  # now and then a stale version
        if version and isinstance(query, dict):
            for name in ("from", "to", "version"):
                if isinstance(query.get(name), int) and dice[3] < 80:
                    query[name] = 1 + query[name] % version
        if isinstance(query, dict) and isinstance(query.get("min_position"), int):
            query["min_position"] = query["min_position"] % (seeded.head() + 1)  # a position that was written
        if "party" in path and dice[0] < 50:
            path["party"] = seeded.parties[dice[1] % len(seeded.parties)]
        if case.operation.path == f"{API}/audit/verify" and isinstance(case.body, dict) and dice[0] < 50:
            case.body = {"position": seeded.verified[0], "hash": seeded.verified[1]}
        return case

    return flatmap_case


@dataclass
class Run:
    """What a schemathesis run did: examples by operation, statuses, and each distinct failure once."""

    examples: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)

    def record(self, case: Any, error: FailureGroup) -> None:
        for failure in error.exceptions:
            key = f"{case.operation.label}: {failure.title}"
            self.failures.setdefault(key, f"{failure.message}\n{case.as_curl_command()}")

    def summary(self) -> str:
        return (f"{len(self.examples)} operations, {sum(self.examples.values())} examples, "
                f"{len(self.failures)} distinct failures; statuses "
                + " ".join(f"{s}:{n}" for s, n in sorted(self.statuses.items())))


def fuzz(schema: Any, seeded: Seeded, token: str, examples: int) -> Run:
    """Every operation of the document, positive and negative data, ``examples`` each; all checks."""
    run = Run()
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @settings(max_examples=2 * examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def call(case: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call()
            run.examples[case.operation.label] += 1
            run.statuses[response.status_code] += 1
            if case.method == "POST" and response.status_code < 300:
                try:  # so that reads with min_position=<this write> are answered
                    seeded.services.projections.catch_up()
                except Exception as error:  # noqa: BLE001 - a recorded event the views cannot take
                    run.failures.setdefault(f"{case.operation.label}: the views cannot take the event",
                                            f"{type(error).__name__}: {error}\n{case.as_curl_command()}")
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as error:
                run.record(case, error)

        call()
    return run


@pytest.fixture
def seeded(services) -> Seeded:
    return seed(services)


@pytest.mark.parametrize("user", USERS)
def test_every_response_to_generated_requests_conforms_to_the_openapi_document(app, storage, services, tokens,
                                                                                seeded, user):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    schema.hook(aim(seeded, Actor(user, USER_ROLES[user])))
    run = fuzz(schema, seeded, tokens[user], EXAMPLES[backend_of(storage)])
    print(f"\nschemathesis {backend_of(storage)} {user}: {run.summary()}")
    assert len(run.examples) == len(list(schema.get_all_operations()))
    assert not run.failures, "\n\n".join(f"{key}\n{detail}" for key, detail in run.failures.items())


def test_the_openapi_document_is_the_only_public_resource_and_names_every_route(app):
    client = app.test_client()
    response = client.get(OPENAPI)
    assert response.status_code == 200
    document = response.get_json()
    assert PUBLIC_PATHS == {OPENAPI}
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API)} - PUBLIC_PATHS
    documented = {path.replace("{", "<").replace("}", ">") for path in document["paths"]}
    assert {route.replace("<uuid:", "<") for route in routes} == documented


VALID_BODIES = {
    f"{API}/agreements": {"title": "Memorandum of Understanding with the University of Lagos",
                          "kind": "memorandum_of_understanding",
                          "counterparties": [{"name": "University of Lagos", "kind": "institute", "country": "NG"}]},
    f"{API}/enlargements": {"state": {"name": "Republic of Estonia", "country": "EE"}, "target": "associate_member",
                            "applied_on": "2021-03-01"},
    f"{API}/agreements/{{agreement_id}}/steps/{{step}}": {"reason": "Ready for review."},
    f"{API}/enlargements/{{enlargement_id}}/steps/{{step}}": {"reason": "Ready for review."},
    f"{API}/observers": {"party": {"name": "UNESCO", "kind": "organisation"}, "requested_on": "2020-01-01"},
    f"{API}/observers/{{observer_id}}/steps/{{step}}": {"reason": "Ready for review."},
}
"""Well-formed bodies: only the token is missing."""


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer  ", "Basic YWxpY2U6c2VjcmV0",
                                           "Bearer not-a-token", "bearer"])
def test_every_operation_refuses_a_request_without_a_valid_token_with_a_documented_401(app, services, tokens,
                                                                                        seeded, authorization):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(1 for item in schema.raw_schema["paths"].values() for method in item
                                  if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"))
    head = seeded.head()
    for operation in operations:
        path = {p.name: str(seeded.ids[p.name.removesuffix("_id")][0]) if p.name.endswith("_id")
                else "request_legal_review" if p.name == "step" else "CL" for p in operation.path_parameters}
        if operation.method.upper() == "POST":
            version = seeded.version_of(next((k for k in ("agreement", "enlargement", "observer")
                                              if f"{k}_id" in path), "enlargement"),
                                        next(iter(path.values()), None)) or 1
            extra = {"headers": {"If-Match": f'"{version}"'}, "media_type": "application/json",
                     "body": VALID_BODIES.get(operation.path, {"position": 1, "hash": "0" * 64})}
        else:
            extra = {"headers": {}}
        if authorization is not None:
            extra["headers"]["Authorization"] = authorization
        case = operation.Case(path_parameters=path, **extra)
        response = case.call()
        assert response.status_code == 401, (operation.label, response.status_code)
        assert response.headers["content-type"][0].startswith(PROBLEM), operation.label
        assert json.loads(response.content)["status"] == 401
        assert "www-authenticate" in response.headers, operation.label
        case.validate_response(response, checks=CONFORMANCE)
        case.headers["Authorization"] = f"Bearer {tokens['gwen']}"  # the control: a valid token gets past it
        assert case.call().status_code != 401, operation.label
    assert seeded.head() == head, "a request without a valid token recorded an event"


def test_a_view_behind_min_position_answers_the_documented_503(app, services, tokens, seeded):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    operation = schema[f"{API}/agreements"]["GET"]
    case = operation.Case(query={"min_position": seeded.head() + 1000},
                          headers={"Authorization": f"Bearer {tokens['eva']}"})
    response = case.call()
    assert response.status_code == 503
    assert "retry-after" in response.headers
    case.validate_response(response, checks=CONFORMANCE)


@pytest.mark.parametrize(("content_type", "data", "status"), [
    ("text/plain", b"a title", 415),
    ("application/json", b'{"title": ', 400),
    ("application/json", b"[" * 100 + b"]" * 100, 400),
    ("application/json", b'{"title": "' + b"x" * 300_000 + b'"}', 413),
])
def test_a_body_that_cannot_be_read_is_refused_as_documented(app, tokens, content_type, data, status):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    case = schema[f"{API}/agreements"]["POST"].Case(body={}, media_type="application/json")
    response = app.test_client().post(f"{API}/agreements", data=data, content_type=content_type,
                                      headers={"Authorization": f"Bearer {tokens['alice']}"})
    assert response.status_code == status
    case.validate_response(response, checks=CONFORMANCE)
