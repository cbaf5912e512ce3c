"""Every role against every step of every workflow and every endpoint, table-driven from the definitions.

Who may take a step is read from the definitions new processes start under (``CURRENT``: agreements,
enlargements and observer statuses; ``StepDefinition.roles``), so a step a later version adds is covered as
soon as it has a recipe (the test fails on a step without one); who may
create from ``create_roles``, who may read from ``READERS``; only the audit endpoints' roles come from API.md
(journal: auditor and management; verify and export: auditor). This file only knows *how* to bring an
aggregate into a state where a step can succeed (``RECIPES``), never who may take it.

For each step, in every stage where the definition allows it: each allowed role succeeds (200, exactly one
event, recorded with that actor and role), each other role gets 403 problem+json and nothing is recorded.
Four-eyes steps (those whose rule says "four eyes"): the allowed role but the same person gets 422 with rule
``four_eyes`` and nothing is recorded; another person of that role succeeds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from domain.values import PERSON_ROLES, Actor, Role
from storage.audit import verify
from tests.security.helpers import (
    API,
    BASE,
    DRAFT_V2,
    PEOPLE,
    STATE_DATES,
    agreement_fields,
    build,
    document,
    enlargement_fields,
    head,
    observer_fields,
    person,
    problem_of,
    service_of,
    step_url,
)
from workflows.definitions import CURRENT, READERS, WorkflowDefinition

WORKFLOWS: tuple[WorkflowDefinition, ...] = tuple(CURRENT.values())
OTHER_ROUTE = {False: "accession_only", True: "accession_route"}
"""By whether an enlargement process goes by accession: the rule that refuses the other route's steps, which
GET .../steps leaves out."""
JOURNAL_ROLES = (Role.AUDITOR, Role.MANAGEMENT)  # API.md, Audit: GET /audit/journal
AUDITOR_ONLY = (Role.AUDITOR,)  # API.md, Audit: verify (GET and POST) and export
ANY_ROLE = PERSON_ROLES  # GET /workflows: the public vocabulary; API.md gives it no role, any valid token reads it

TITLE_FIX = {"field": "title", "value": "Corrected title of the agreement"}
APPLIED_FIX = {"field": "applied_on", "value": "2017-01-01"}
_d = STATE_DATES

RECIPES: dict[str, dict[str, dict[str, tuple[str, Any]]]] = {
    # kind -> step -> stage -> (situation to build, the step's fields): how to make the step succeed there
    "agreement": {
        "attach_text": {"drafting": ("drafting", {"document": DRAFT_V2}),
                        "negotiation": ("negotiation", {"document": DRAFT_V2})},
        "request_legal_review": {"drafting": ("drafting, text attached", {}),
                                 "negotiation": ("negotiation, new text", {})},
        "complete_legal_review": {"drafting": ("drafting, review requested", {"outcome": "cleared"}),
                                  "negotiation": ("negotiation, review requested", {"outcome": "changes_requested",
                                                                                    "comments": "Article 3."})},
        "open_negotiation": {"drafting": ("drafting, text cleared", {})},
        "record_round": {"negotiation": ("negotiation", {"held_on": "2024-09-12", "summary": "First round."})},
        "finalise_text": {"negotiation": ("negotiation", {})},
        "record_signature": {"signature": ("signature", {"party": "CERN", "signatory": "Director-General",
                                                         "signed_on": "2024-11-04", "place": "Geneva"})},
        "enter_into_force": {"signature": ("signature, all signed", {"effective_on": "2024-12-01"})},
        "record_milestone": {"implementation": ("implementation", {"on": "2025-03-15", "summary": "Met."})},
        "renew": {"implementation": ("implementation", {"expires_on": "2035-12-31"})},
        "suspend": {"implementation": ("implementation", {"effective_on": "2025-06-01"})},
        "resume": {"implementation": ("implementation, suspended", {"effective_on": "2025-06-01"})},
        "terminate": {"implementation": ("implementation", {"effective_on": "2026-01-31"})},
        "supersede": {"implementation": ("implementation", lambda services: {
            "effective_on": "2026-01-31", "successor_id": str(build(services, "agreement", "drafting")[0])})},
        "expire": {"implementation": ("implementation, expiry passed", {})},
        "give_notice": {"implementation": ("implementation", {"party": "CERN", "given_on": "2026-03-02",
                                                              "addressed_to": "Republic of Chile"})},
        "withdraw_notice": {"implementation": ("implementation, notice given", {})},
        "withdraw": {"drafting": ("drafting", {}), "negotiation": ("negotiation", {}),
                     "signature": ("signature", {})},
        "correct": {"drafting": ("drafting", TITLE_FIX), "negotiation": ("negotiation", TITLE_FIX),
                    "signature": ("signature", TITLE_FIX), "implementation": ("implementation", TITLE_FIX),
                    "closed": ("closed", TITLE_FIX)},
    },
    "enlargement": {
        "establish_task_force": {"drafting": ("drafting", {"decided_on": _d["task_force"]})},
        "submit_task_force_report": {"drafting": ("drafting, task force established", {
            "submitted_on": _d["report"], "document": document("Task force report")})},
        "authorise_negotiation": {"drafting": ("drafting", {"decided_on": _d["authorised"]})},
        "attach_text": {"negotiation": ("negotiation", {"document": DRAFT_V2})},
        "request_legal_review": {"negotiation": ("negotiation, text attached", {})},
        "complete_legal_review": {"negotiation": ("negotiation, review requested", {"outcome": "cleared"})},
        "record_round": {"negotiation": ("negotiation", {"held_on": "2019-09-01", "summary": "First round."})},
        "approve_agreement": {"negotiation": ("negotiation, text cleared", {"decided_on": _d["approved"]})},
        "sign_agreement": {"signature": ("signature", {"signed_on": _d["signed"],
                                                       "signatories": ["Director-General", "Minister"]})},
        "notify_ratification": {"signature": ("signature, signed", {"notified_on": _d["ratified"]})},
        "enter_into_force": {"signature": ("signature, ratified", {"effective_on": _d["effective"]})},
        "end_participation": {"implementation": ("implementation", {"effective_on": _d["ended"],
                                                                    "reason": "Converted into Membership."})},
        "withdraw": {"drafting": ("drafting", {}), "negotiation": ("negotiation", {}),
                     "signature": ("signature", {})},
        "correct": {stage: (situation, APPLIED_FIX) for stage, situation in (
            ("drafting", "drafting"), ("negotiation", "negotiation"), ("signature", "signature"),
            ("implementation", "implementation"), ("closed", "closed"))},
        "adopt_admission_resolution": {"drafting": ("by accession, drafting", {"decided_on": _d["approved"],
                                                                               "resolution": "CERN/3809"})},
        "deposit_instrument_of_accession": {"signature": ("by accession, admitted", {"deposited_on": _d["ended"]})},
    },
    "observer": {
        "grant": {"drafting": ("drafting", {"decided_on": "2020-06-01", "scope": "LHC"})},
        "suspend": {"implementation": ("implementation", {"effective_on": "2022-03-08"})},
        "resume": {"implementation": ("implementation, suspended", {"effective_on": "2023-01-01"})},
        "end_status": {"implementation": ("implementation", {"effective_on": "2024-11-30",
                                                             "reason": "The Council ended it."})},
        "withdraw": {"drafting": ("drafting", {})},
    },
}

FOUR_EYES: dict[tuple[str, str], tuple[str, dict[str, Any], str]] = {
    # (kind, step) -> (situation, fields, who prepared what the step approves); see test docstring
    ("agreement", "complete_legal_review"): (
        "drafting, text attached by a legal officer, review requested", {"outcome": "cleared"}, "bruno"),
    ("enlargement", "complete_legal_review"): (
        "negotiation, text attached by a legal officer, review requested", {"outcome": "cleared"}, "bruno"),
    ("agreement", "finalise_text"): ("negotiation", {}, "bruno"),  # bruno cleared it, then became an IR officer
}


@dataclass
class Tally:
    allowed: int = 0
    denied: int = 0
    recorded_on_denial: int = 0
    four_eyes: int = 0
    mismatches: list[str] | None = None

    def __post_init__(self) -> None:
        self.mismatches = []

    def miss(self, what: str) -> None:
        assert self.mismatches is not None
        self.mismatches.append(what)


def _post_step(client: Any, headers: dict[str, str], kind: str, aggregate_id: Any, step: str, version: int,
               fields: dict[str, Any]) -> Any:
    return client.post(step_url(kind, aggregate_id, step), json=fields,
                       headers={**headers, "If-Match": f'"{version}"'})


def _expect_denied(tally: Tally, services: Any, label: str, response: Any, before: int,
                   unchanged: Callable[[], bool] = lambda: True) -> None:
    tally.denied += 1
    recorded = head(services) - before
    tally.recorded_on_denial += recorded
    problem = problem_of(response)
    if response.status_code != 403 or problem is None or problem.get("rule") != "role":
        tally.miss(f"{label}: expected 403 problem (rule role), got {response.status_code} {problem}")
    if recorded or not unchanged():
        tally.miss(f"{label}: a denial changed the store ({recorded} new events, or the aggregate's version moved)")


def _step_matrix(client: Any, services: Any, auth: Any, tally: Tally) -> tuple[int, int]:
    cells = steps = 0
    for workflow in WORKFLOWS:
        kind, service = workflow.kind, service_of(services, workflow.kind)
        recipes = RECIPES[kind]
        assert set(recipes) == {s.name for s in workflow.steps}, f"{kind}: a step without a recipe, or a stale one"
        for step_def in workflow.steps:
            steps += 1
            assert set(recipes[step_def.name]) == {s.value for s in step_def.stages}, (kind, step_def.name)
            allowed = [role for role in PERSON_ROLES if role in step_def.roles]
            denied = [role for role in PERSON_ROLES if role not in step_def.roles]
            assert allowed, f"{kind}.{step_def.name}: no role may take it"
            for stage in step_def.stages:
                cells += 1
                situation, fields = recipes[step_def.name][stage.value]
                fields = fields(services) if callable(fields) else fields  # a successor made for the step
                for n, role in enumerate(allowed):
                    aggregate_id, version = build(services, kind, situation)
                    assert service.get(aggregate_id).stage is stage, (kind, situation, stage)
                    label = f"{kind}.{step_def.name} in {stage.value}"
                    if n == 0:
                        other_route = OTHER_ROUTE[getattr(service.get(aggregate_id), "route", "") == "accession"]
                        for reader in READERS:  # what GET .../steps offers each reader: the definition's list
                            listed = client.get(f"{BASE[kind]}/{aggregate_id}/steps", headers=auth(person(reader)))
                            expected = [s.name for s in workflow.available(stage, reader)
                                        if other_route not in s.rules]
                            got = [s["name"] for s in listed.get_json()] if listed.status_code == 200 else listed
                            if got != expected:
                                tally.miss(f"{label}: GET steps as {reader.value}: {got} != {expected}")
                        for role_denied in denied:
                            before = head(services)
                            response = _post_step(client, auth(person(role_denied)), kind, aggregate_id,
                                                  step_def.name, version, fields)
                            _expect_denied(tally, services, f"{label} by {role_denied.value}", response, before,
                                           lambda i=aggregate_id, v=version, s=service: s.get(i).version == v)
                    before = head(services)
                    response = _post_step(client, auth(person(role)), kind, aggregate_id, step_def.name, version,
                                          fields)
                    tally.allowed += 1
                    if response.status_code != 200:
                        tally.miss(f"{label} by {role.value}: {response.status_code} {response.get_json()}")
                        continue
                    after = service.get(aggregate_id)
                    last = list(service.history(aggregate_id, after_version=version))
                    if head(services) != before + 1 or after.version != version + 1:
                        tally.miss(f"{label} by {role.value}: {head(services) - before} events recorded, not 1")
                    if [(e.type, e.actor, e.role) for e in last] != [(step_def.name, person(role), role.value)]:
                        tally.miss(f"{label} by {role.value}: recorded {[(e.type, e.actor, e.role) for e in last]}")
                    if after.stage is not (step_def.moves_to or stage):
                        tally.miss(f"{label}: moved to {after.stage.value}, the definition says "
                                   f"{(step_def.moves_to or stage).value}")
    return steps, cells


@dataclass(frozen=True)
class Endpoint:
    name: str
    roles: tuple[Role, ...]
    call: Callable[[Any, dict[str, str], dict[str, Any]], Any]
    ok: int = 200
    writes: int = 0


def _endpoints() -> list[Endpoint]:
    a, e, o = BASE["agreement"], BASE["enlargement"], BASE["observer"]
    return [
        Endpoint("GET /agreements", READERS, lambda c, h, w: c.get(a, headers=h)),
        Endpoint("POST /agreements", CURRENT["agreement"].create_roles,
                 lambda c, h, w: c.post(a, json=agreement_fields(), headers=h), ok=201, writes=1),
        Endpoint("GET /agreements/{id}", READERS, lambda c, h, w: c.get(f"{a}/{w['agreement']}", headers=h)),
        Endpoint("GET /agreements/{id}/steps", READERS,
                 lambda c, h, w: c.get(f"{a}/{w['agreement']}/steps", headers=h)),
        Endpoint("GET /agreements/{id}/history", READERS,
                 lambda c, h, w: c.get(f"{a}/{w['agreement']}/history", headers=h)),
        Endpoint("GET /agreements/{id}/diff", READERS,
                 lambda c, h, w: c.get(f"{a}/{w['agreement']}/diff?from=1&to=2", headers=h)),
        Endpoint("GET /enlargements", READERS, lambda c, h, w: c.get(e, headers=h)),
        Endpoint("POST /enlargements", CURRENT["enlargement"].create_roles,
                 lambda c, h, w: c.post(e, json=enlargement_fields(), headers=h), ok=201, writes=1),
        Endpoint("GET /enlargements/{id}", READERS, lambda c, h, w: c.get(f"{e}/{w['enlargement']}", headers=h)),
        Endpoint("GET /enlargements/{id}/steps", READERS,
                 lambda c, h, w: c.get(f"{e}/{w['enlargement']}/steps", headers=h)),
        Endpoint("GET /enlargements/{id}/history", READERS,
                 lambda c, h, w: c.get(f"{e}/{w['enlargement']}/history", headers=h)),
        Endpoint("GET /enlargements/{id}/diff", READERS,
                 lambda c, h, w: c.get(f"{e}/{w['enlargement']}/diff?from=1&to=2", headers=h)),
        Endpoint("GET /observers", READERS, lambda c, h, w: c.get(o, headers=h)),
        Endpoint("POST /observers", CURRENT["observer"].create_roles,
                 lambda c, h, w: c.post(o, json=observer_fields(), headers=h), ok=201, writes=1),
        Endpoint("GET /observers/{id}", READERS, lambda c, h, w: c.get(f"{o}/{w['observer']}", headers=h)),
        Endpoint("GET /observers/{id}/steps", READERS,
                 lambda c, h, w: c.get(f"{o}/{w['observer']}/steps", headers=h)),
        Endpoint("GET /observers/{id}/history", READERS,
                 lambda c, h, w: c.get(f"{o}/{w['observer']}/history", headers=h)),
        Endpoint("GET /dashboard", READERS, lambda c, h, w: c.get(f"{API}/dashboard", headers=h)),
        Endpoint("GET /deadlines", READERS, lambda c, h, w: c.get(f"{API}/deadlines", headers=h)),
        Endpoint("GET /participation", READERS, lambda c, h, w: c.get(f"{API}/participation", headers=h)),
        Endpoint("GET /participation/{party}", READERS, lambda c, h, w: c.get(f"{API}/participation/CL", headers=h)),
        Endpoint("GET /audit/journal", JOURNAL_ROLES, lambda c, h, w: c.get(f"{API}/audit/journal", headers=h)),
        Endpoint("GET /audit/verify", AUDITOR_ONLY, lambda c, h, w: c.get(f"{API}/audit/verify", headers=h)),
        Endpoint("POST /audit/verify", AUDITOR_ONLY,
                 lambda c, h, w: c.post(f"{API}/audit/verify", json=w["digest"], headers=h)),
        Endpoint("GET /audit/export", AUDITOR_ONLY,
                 lambda c, h, w: c.get(f"{API}/audit/export", headers=h, buffered=True)),
        Endpoint("GET /workflows", ANY_ROLE, lambda c, h, w: c.get(f"{API}/workflows", headers=h)),
    ]


def _endpoint_matrix(client: Any, services: Any, auth: Any, tally: Tally) -> int:
    agreement_id, _ = build(services, "agreement", "drafting, text attached")
    enlargement_id, _ = build(services, "enlargement", "drafting, task force established")
    observer_id, _ = build(services, "observer", "implementation")
    checked = verify(services.app.recorder)
    world = {"agreement": agreement_id, "enlargement": enlargement_id, "observer": observer_id,
             "digest": {"position": checked.head_position, "hash": checked.head_hash}}
    endpoints = _endpoints()
    for endpoint in endpoints:
        for role in PERSON_ROLES:
            before = head(services)
            response = endpoint.call(client, auth(person(role)), world)
            label = f"{endpoint.name} as {role.value}"
            if role in endpoint.roles:
                tally.allowed += 1
                if response.status_code != endpoint.ok:
                    tally.miss(f"{label}: expected {endpoint.ok}, got {response.status_code} "
                               f"{response.get_data(as_text=True)[:300]}")
                elif head(services) - before != endpoint.writes:
                    tally.miss(f"{label}: recorded {head(services) - before} events, expected {endpoint.writes}")
                elif endpoint.name == "POST /audit/verify" and response.get_json().get("ok") is not True:
                    tally.miss(f"{label}: the proof failed {response.get_json()}")
            else:
                _expect_denied(tally, services, label, response, before)
    return len(endpoints)


def _four_eyes(client: Any, services: Any, auth: Any, tally: Tally) -> int:
    derived = {(w.kind, s.name) for w in WORKFLOWS for s in w.steps if "four eyes" in s.rule}
    assert derived == set(FOUR_EYES), f"four-eyes steps in the definitions {derived} != recipes {set(FOUR_EYES)}"
    admin = Actor("pytest@cli", Role.ADMIN)
    # complete_legal_review first: bruno still acts as a legal officer there
    for (kind, step), (situation, fields, preparer) in sorted(FOUR_EYES.items(), key=lambda kv: kv[0][1]):
        step_def = CURRENT[kind].step(step)
        assert step_def is not None
        [role] = step_def.roles  # a four-eyes step belongs to one role
        service = service_of(services, kind)
        aggregate_id, version = build(services, kind, situation)
        if services.access.users_by_name()[preparer].role != role.value:
            # the preparer acts in another role now: revoked, then given a token as ``role`` (one role at a time)
            services.access.revoke(admin, preparer)
            same_person = {"Authorization": f"Bearer {services.access.issue_token(admin, preparer, role)}"}
        else:
            same_person = auth(preparer)
        before = head(services)
        response = _post_step(client, same_person, kind, aggregate_id, step, version, fields)
        problem = problem_of(response)
        tally.four_eyes += 1
        label = f"four eyes: {kind}.{step} by {preparer} as {role.value}"
        if response.status_code != 422 or problem is None or problem.get("rule") != "four_eyes":
            tally.miss(f"{label}: expected 422 rule four_eyes, got {response.status_code} {problem}")
        if head(services) != before or service.get(aggregate_id).version != version:
            tally.miss(f"{label}: recorded {head(services) - before} events")
        other = next(p for p in PEOPLE[role] if p != preparer)
        response = _post_step(client, auth(other), kind, aggregate_id, step, version, fields)
        if response.status_code != 200:
            tally.miss(f"four eyes: {kind}.{step} by {other} (another {role.value}): {response.status_code}")
    return len(FOUR_EYES)


def test_every_role_is_allowed_or_refused_each_step_and_endpoint_as_the_definitions_say(client, services, auth):
    tally = Tally()
    steps, cells = _step_matrix(client, services, auth, tally)
    endpoints = _endpoint_matrix(client, services, auth, tally)
    four_eyes = _four_eyes(client, services, auth, tally)
    per_kind = Counter(w.kind for w in WORKFLOWS for _ in w.steps)
    print(f"\nauthz[{services.backend}]: {len(Role)} roles x {steps} steps ({per_kind['agreement']} agreement + "
          f"{per_kind['enlargement']} enlargement + {per_kind['observer']} observer) in "
          f"{cells} (step, stage) cells + {len(Role)} roles x "
          f"{endpoints} endpoints: {tally.allowed} allowed, {tally.denied} denied (403), "
          f"{tally.recorded_on_denial} recorded on denial; four eyes: {tally.four_eyes} same-person attempts "
          f"refused (422 four_eyes) on {four_eyes} steps; {len(tally.mismatches or [])} mismatches")
    assert not tally.mismatches, "\n".join(tally.mismatches or [])
    assert tally.recorded_on_denial == 0


# ---- a denied role is refused first, whatever else is wrong with its request -----------------------------------

ROLE_AFTER_VALIDATION = pytest.mark.regression(reason=(
    "BUG: on every GET route @roles_allowed is the innermost decorator, below @blp.arguments, so the query is "
    "validated (422) before the role is checked (403): a role that may not read learns the query schema"))
ROLE_AFTER_LOOKUP = pytest.mark.regression(reason=(
    "BUG: POST .../steps/<step> loads the aggregate and looks the step up (404) before checking the role, so "
    "the admin, who may not read agreements, learns which ids exist (404 unknown, 403 known)"))

DENIED_FIRST: list[Any] = [
    pytest.param("gwen", "GET", "{a}?per_page=0", None, marks=ROLE_AFTER_VALIDATION, id="admin list, bad per_page"),
    pytest.param("gwen", "GET", "{a}?colour=red", None, marks=ROLE_AFTER_VALIDATION, id="admin list, unknown arg"),
    pytest.param("gwen", "GET", "{a}/{id}?version=0", None, marks=ROLE_AFTER_VALIDATION, id="admin item, version=0"),
    pytest.param("gwen", "GET", "{a}/{id}/history?per_page=0", None, marks=ROLE_AFTER_VALIDATION,
                 id="admin history, per_page=0"),
    pytest.param("gwen", "GET", "{a}/{id}/diff", None, marks=ROLE_AFTER_VALIDATION, id="admin diff, no versions"),
    pytest.param("gwen", "GET", "{e}?per_page=0", None, marks=ROLE_AFTER_VALIDATION, id="admin enlargements"),
    pytest.param("gwen", "GET", "{api}/dashboard?stalled_days=-1", None, marks=ROLE_AFTER_VALIDATION,
                 id="admin dashboard"),
    pytest.param("gwen", "GET", "{api}/participation?on=someday", None, marks=ROLE_AFTER_VALIDATION,
                 id="admin participation"),
    pytest.param("alice", "GET", "{api}/audit/journal?limit=0", None, marks=ROLE_AFTER_VALIDATION,
                 id="ir officer journal, limit=0"),
    pytest.param("gwen", "POST", "{a}/{unknown}/steps/withdraw", {}, marks=ROLE_AFTER_LOOKUP,
                 id="admin step on an unknown id"),
    pytest.param("gwen", "POST", "{a}/{id}/steps/sign_in_blood", {}, marks=ROLE_AFTER_LOOKUP,
                 id="admin unknown step"),
    # already refused first:
    pytest.param("gwen", "GET", "{a}/{unknown}", None, id="admin item, unknown id"),
    pytest.param("gwen", "GET", "{a}?min_position=999999", None, id="admin list, min_position ahead"),
    pytest.param("farid", "GET", "{api}/audit/verify", None, id="management verify"),
    pytest.param("farid", "POST", "{api}/audit/verify", {"hash": 7}, id="management verify, bad body"),
    pytest.param("farid", "POST", "{a}", {"nonsense": True}, id="management create, bad body"),
    pytest.param("eva", "POST", "{e}", {"nonsense": True}, id="auditor enlargement create, bad body"),
    pytest.param("farid", "POST", "{a}/{id}/steps/attach_text", {"document": 7}, id="management step, bad body"),
]


@pytest.mark.parametrize(("user", "method", "path", "body"), DENIED_FIRST)
def test_a_denied_role_gets_403_whatever_else_is_wrong(client, services, auth, user, method, path, body):
    aggregate_id, _ = build(services, "agreement", "drafting")
    url = path.format(a=BASE["agreement"], e=BASE["enlargement"], api=API, id=aggregate_id,
                      unknown="6f1c2e0a-0000-4000-8000-000000000000")
    before = head(services)
    headers = {**auth(user), "If-Match": '"1"'} if method == "POST" else auth(user)
    response = client.open(url, method=method, json=body, headers=headers)
    print(f"\ndenied first[{services.backend}]: {user} {method} {url.replace(str(aggregate_id), '{id}')} -> "
          f"{response.status_code}")
    assert head(services) == before
    assert response.status_code == 403, response.get_json()
    assert (problem_of(response) or {}).get("rule") == "role"
