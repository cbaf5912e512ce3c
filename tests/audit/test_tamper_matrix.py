"""The tamper matrix (issue 7): edit the stored rows with plain SQL, then verification must fail and name the
place; clean data gives no false alarm; a consistent rewrite is caught against a digest saved before it.

Every test runs on SQLite and on PostgreSQL (the ``storage`` fixture). The data is the demo seed: users and
tokens (one directory aggregate interleaved with token aggregates), then agreements in every stage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import pytest
from click.testing import CliRunner

from bootstrap import create_app
from bootstrap.cli import main
from domain.chain import GENESIS, event_hash, running_hash
from domain.values import Actor, Role
from storage import audit
from storage.audit import Verification, prove, verify
from tests.audit.helpers import AUDIT, RawStore, Row, agreements, lose_a_race
from tests.storage.stores import use_store


@dataclass(frozen=True)
class Place:
    """Where a problem must be reported: a position, and the aggregate and version there (None: no event)."""

    position: int
    aggregate_id: UUID | None
    version: int | None
    says: str
    appended: bool = False
    """The tampering only adds events after the old head: a digest saved before it still proves."""


def encode(state: dict) -> bytes:
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def first_problem(result: Verification) -> tuple[int, str | None, int | None]:
    assert not result.ok and result.problems, result
    first = result.problems[0]
    return first.position, first.aggregate_id, first.version


def at(place: Place) -> tuple[int, str | None, int | None]:
    return place.position, str(place.aggregate_id) if place.aggregate_id else None, place.version


# ---- the kinds of tampering: each edits the rows and says where the first problem must be -------------------


def changed_byte(raw: RawStore, rows: list[Row]) -> Place:
    """One byte of a stored event's JSON: the first letter of the actor's name, in the other case."""
    row = agreements(rows, at_least=5)[0][2]
    marker = f'"name":"{row.json["by"]["_data_"]["name"]}"'.encode()
    offset = row.state.index(marker) + len(b'"name":"')
    state = bytearray(row.state)
    state[offset] ^= 0x20
    raw.set_state(row.position, bytes(state))
    assert json.loads(state) != row.json
    return Place(row.position, row.aggregate_id, row.version, "content does not match its hash")


def moved_from_another_aggregate(raw: RawStore, rows: list[Row]) -> Place:
    """An agreement's last event re-labelled as the next version of an earlier agreement."""
    earlier, later = agreements(rows, at_least=3)[:2]
    row = later[-1]
    assert row.position > earlier[-1].position
    raw.move(row.position, earlier[0].aggregate_id, len(earlier) + 1)
    return Place(row.position, earlier[0].aggregate_id, len(earlier) + 1, "content does not match its hash")


def copied_from_another_aggregate(raw: RawStore, rows: list[Row]) -> Place:
    """A copy of one agreement's event, stored as the next version of another agreement."""
    source, target = agreements(rows, at_least=3)[:2]
    position = raw.copy(source[1].position, target[0].aggregate_id, len(target) + 1)
    return Place(position, target[0].aggregate_id, len(target) + 1, "content does not match its hash",
                 appended=True)


def removed_from_the_middle(raw: RawStore, rows: list[Row]) -> Place:
    """Version 3 of an agreement with more events after it."""
    row = agreements(rows, at_least=5)[0][2]
    raw.delete(row.position)
    return Place(row.position, row.aggregate_id, row.version, "missing from the log")


def removed_from_the_end(raw: RawStore, rows: list[Row]) -> Place:
    """An agreement's last event (other aggregates' events come after it in the log)."""
    row = agreements(rows, at_least=3)[0][-1]
    assert row.position < rows[-1].position
    raw.delete(row.position)
    return Place(row.position, row.aggregate_id, row.version, "missing from the log")


def forged_at_the_end_of_an_aggregate(raw: RawStore, rows: list[Row]) -> Place:
    """A new event after an agreement's last one, with a hash that checks out: prev_hash and hash are right."""
    last = agreements(rows, at_least=3)[0][-1]
    state = last.json
    state["timestamp"]["_data_"] = datetime.now(UTC).isoformat()
    state["by"]["_data_"]["name"] = "mallory"
    state["prev_hash"] = last.json["hash"]
    state["hash"] = event_hash(last.aggregate_id, last.version + 1, last.topic, state["timestamp"]["_data_"],
                               state["prev_hash"], state)
    position = raw.insert(last.aggregate_id, last.version + 1, last.topic, encode(state))
    return Place(position, last.aggregate_id, last.version + 1, "not in the global chain", appended=True)


def swapped_states(raw: RawStore, rows: list[Row]) -> Place:
    """Versions 3 and 4 of an agreement exchange their stored JSON."""
    agreement = agreements(rows, at_least=5)[0]
    third, fourth = agreement[2], agreement[3]
    raw.set_state(third.position, fourth.state)
    raw.set_state(fourth.position, third.state)
    return Place(third.position, third.aggregate_id, 3, "content does not match its hash")


def swapped_positions(raw: RawStore, rows: list[Row]) -> Place:
    """Versions 3 and 4 of an agreement exchange their positions in the log."""
    agreement = agreements(rows, at_least=5)[0]
    third, fourth = agreement[2], agreement[3]
    raw.swap_positions(third.position, fourth.position)
    return Place(third.position, third.aggregate_id, 4, "version 4 follows version 2")


def swapped_positions_of_two_aggregates(raw: RawStore, rows: list[Row]) -> Place:
    """Two neighbouring events of different aggregates exchange positions: each aggregate's chain is intact."""
    first, second = next((a, b) for a, b in zip(rows, rows[1:], strict=False) if a.aggregate_id != b.aggregate_id)
    raw.swap_positions(first.position, second.position)
    return Place(first.position, second.aggregate_id, second.version, "the global chain recorded")


def tail_truncated(raw: RawStore, rows: list[Row]) -> Place:
    """The last three events of the log deleted."""
    raw.delete(*(r.position for r in rows[-3:]))
    return Place(rows[-3].position, rows[-3].aggregate_id, rows[-3].version, "log ends before the global chain")


def chain_row_changed(raw: RawStore, rows: list[Row]) -> Place:
    """One running hash of the global chain table overwritten."""
    row = rows[len(rows) // 2]
    [(position, event, _)] = [c for c in raw.chain() if c[0] == row.position]
    raw.rewrite_chain([(position, event, "f" * 64)])
    return Place(row.position, row.aggregate_id, row.version, "global chain does not match")


TAMPERS: list[Callable[[RawStore, list[Row]], Place]] = [
    changed_byte, moved_from_another_aggregate, copied_from_another_aggregate, removed_from_the_middle,
    removed_from_the_end, forged_at_the_end_of_an_aggregate, swapped_states, swapped_positions,
    swapped_positions_of_two_aggregates, tail_truncated, chain_row_changed,
]


def rewrite_consistently(raw: RawStore, agreement: list[Row]) -> None:
    """Rewrite an agreement's events (another actor, another title), recompute its whole chain of hashes, and
    rewrite the global chain table to match: what an attacker with write access and this code can do."""
    new_hashes, previous = {}, GENESIS
    for row in agreement:
        state = row.json
        state["by"]["_data_"]["name"] = "mallory"
        if "title" in state:
            state["title"] = "A different agreement altogether"
        state["prev_hash"] = previous
        state["hash"] = previous = event_hash(row.aggregate_id, row.version, row.topic,
                                              state["timestamp"]["_data_"], state["prev_hash"], state)
        raw.set_state(row.position, encode(state))
        new_hashes[row.position] = state["hash"]
    running, rewritten = GENESIS, []
    for position, old_hash, _ in raw.chain():
        running = running_hash(running, new_hashes.get(position, old_hash))
        rewritten.append((position, new_hashes.get(position, old_hash), running))
    raw.rewrite_chain(rewritten)


# ---- verify() and prove() ------------------------------------------------------------------------------------


def test_clean_data_verifies_without_a_false_alarm(services, seeded, raw):
    rows = raw.rows()
    result = verify(services.app.recorder)
    assert result.ok, result.problems
    assert result.problems == []
    assert (result.events_checked, result.head_position) == (len(rows), rows[-1].position)
    assert result.head_hash == raw.chain()[-1][2]
    assert prove(services.app.recorder, result.head_position, result.head_hash).ok
    middle = rows[len(rows) // 2].position
    assert prove(services.app.recorder, middle, verify(services.app.recorder, up_to=middle).head_hash).ok


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.__name__)
def test_each_kind_of_tampering_is_found_and_named(services, seeded, raw, tamper):
    saved = verify(services.app.recorder)
    assert saved.ok, saved.problems

    place = tamper(raw, raw.rows())

    result = verify(services.app.recorder)
    assert first_problem(result) == at(place), result.problems
    assert place.says in result.problems[0].problem
    digest = prove(services.app.recorder, saved.head_position, saved.head_hash)
    assert digest.ok is place.appended, digest.problems


def test_an_event_removed_from_the_middle_also_breaks_its_aggregate_chain_at_the_next_version(
        services, seeded, raw):
    agreement = agreements(raw.rows(), at_least=5)[0]
    raw.delete(agreement[2].position)
    problems = verify(services.app.recorder).problems
    gap = [p for p in problems if p.position == agreement[3].position and "follows version 2" in p.problem]
    assert [(p.aggregate_id, p.version) for p in gap] == [(str(agreement[3].aggregate_id), 4)], problems


def test_a_forged_event_passes_every_check_but_the_global_chain(services, seeded, raw):
    place = forged_at_the_end_of_an_aggregate(raw, raw.rows())
    [problem] = verify(services.app.recorder).problems
    assert (problem.position, problem.aggregate_id, problem.version) == at(place)
    assert "not in the global chain" in problem.problem


def test_an_event_removed_from_the_end_of_an_aggregate_is_named_by_its_aggregate_and_version(
        services, seeded, raw):
    row = agreements(raw.rows(), at_least=3)[0][-1]
    raw.delete(row.position)
    problems = verify(services.app.recorder).problems
    assert (str(row.aggregate_id), row.version) in [(p.aggregate_id, p.version) for p in problems], problems


def test_an_event_removed_from_the_end_of_an_aggregate_accuses_no_untouched_event(services, seeded, raw):
    row = agreements(raw.rows(), at_least=3)[0][-1]
    raw.delete(row.position)
    problems = verify(services.app.recorder).problems
    assert [p.position for p in problems] == [row.position], problems


def flip(state: bytes, marker: bytes, skip: int = 0) -> bytes:
    """``state`` with one byte changed: the byte ``skip`` places after ``marker`` (a letter's case, or a digit)."""
    offset = state.index(marker) + len(marker) + skip
    changed = bytearray(state)
    byte = changed[offset]
    changed[offset] = ord("1" if byte == ord("0") else "0") if chr(byte) in "0123456789abcdef" else byte ^ 0x20
    return bytes(changed)


SPOTS: dict[str, tuple[str, Callable[[Row], bytes], str]] = {
    # spot: (the event's topic ends with, the changed state, what the problem says)
    "actor_name": ("Created", lambda r: flip(r.state, b'"name":"'), "content does not match its hash"),
    "step_data": ("RoundRecorded", lambda r: flip(r.state, b'"summary":"'), "content does not match its hash"),
    "context_reason": ("Created", lambda r: flip(r.state, b'"reason":"'), "content does not match its hash"),
    "recorded_at": ("TextAttached", lambda r: flip(r.state, b'"datetime_iso","_data_":"', 3),
                    "content does not match its hash"),
    "prev_hash": ("TextAttached", lambda r: flip(r.state, b'"prev_hash":"', 10), "content does not match its hash"),
    "hash": ("TextAttached", lambda r: flip(r.state, b'"hash":"', 63), "content does not match its hash"),
    "json_syntax": ("Created", lambda r: b"[" + r.state[1:], "cannot be read"),
}


@pytest.mark.parametrize("spot", list(SPOTS))
def test_a_changed_byte_anywhere_in_an_event_is_found(services, seeded, raw, spot):
    suffix, change, says = SPOTS[spot]
    row = next(r for r in raw.rows() if r.topic.endswith(suffix) and r.topic.startswith("accord.agreement:"))
    raw.set_state(row.position, change(row))
    result = verify(services.app.recorder)
    assert first_problem(result) == (row.position, str(row.aggregate_id), row.version), result.problems
    assert says in result.problems[0].problem


def test_a_changed_topic_column_is_found(services, seeded, raw):
    row = next(r for r in raw.rows() if r.topic == "accord.agreement:RoundRecorded")
    raw.set_topic(row.position, "accord.agreement:MilestoneRecorded")
    result = verify(services.app.recorder)
    assert first_problem(result) == (row.position, str(row.aggregate_id), row.version), result.problems
    assert "content does not match its hash" in result.problems[0].problem


def test_a_changed_type_tag_is_found(services, seeded, raw, client, auth):
    """Re-tagging a stored value (a date as a timestamp) changes what the event decodes to, so it must break the
    hash: the canonical encoding keeps the transcoder's type tags."""
    row = next(r for r in raw.rows() if r.topic.endswith("EnteredIntoForce"))
    url = f"/api/v1/agreements/{row.aggregate_id}/history"
    shown = [e["data"] for e in client.get(url, headers=auth("eva")).get_json() if e["version"] == row.version]
    assert [data["effective_on"] for data in shown] == [row.json["effective_on"]["_data_"]]
    # (under workflow version 2 the event also says which expiry the term gave it, here none: expires_on null)
    raw.set_state(row.position, row.state.replace(b'"effective_on":{"_type_":"date",',
                                                  b'"effective_on":{"_type_":"datetime_iso",'))

    after = [e["data"] for e in client.get(url, headers=auth("eva")).get_json() if e["version"] == row.version]
    assert after != shown, "the audit trail now shows another value"
    result = verify(services.app.recorder)
    assert first_problem(result) == (row.position, str(row.aggregate_id), row.version), result.problems


def test_a_changed_originator_topic_is_found(services, seeded, raw, storage):
    created = next(r for r in raw.rows() if r.topic == "accord.agreement:Created")
    raw.set_state(created.position, created.state.replace(b'"originator_topic":"accord.agreement:CooperationAgreement"',
                                                          b'"originator_topic":"accord.enlargement:EnlargementProcess"'))
    fresh = create_app({"TESTING": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False})  # no cached aggregate
    try:
        with fresh.test_client() as client:
            response = client.get(f"/api/v1/agreements/{created.aggregate_id}",
                                  headers={"Authorization": f"Bearer {seeded['eva']}"})
        assert response.status_code == 500, "the agreement no longer loads"
    finally:
        fresh.extensions["accord"].close()
    result = verify(services.app.recorder)
    assert first_problem(result) == (created.position, str(created.aggregate_id), 1), result.problems


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.__name__)
def test_verification_in_small_pages_reports_the_same(services, seeded, raw, tamper, monkeypatch):
    tamper(raw, raw.rows())
    whole = verify(services.app.recorder)
    monkeypatch.setattr(audit, "PAGE", 4)
    paged = verify(services.app.recorder)
    assert paged == whole
    assert not paged.ok


def test_a_failed_concurrent_write_is_no_false_alarm(services, seeded, raw):
    """Two writers change the same agreement: the second write fails (on PostgreSQL it still uses up a position,
    leaving a gap in the log), and verification stays clean."""
    lose_a_race(services, agreements(raw.rows())[0][0].aggregate_id)
    services.access.issue_token(Actor("pytest@cli", Role.ADMIN), "hana", Role.AUDITOR)
    positions = [r.position for r in raw.rows()]
    if raw.sqlite:
        assert positions == list(range(1, len(positions) + 1))
    else:
        assert positions[-1] > len(positions), "a gap in the positions"
    result = verify(services.app.recorder)
    assert result.ok, result.problems
    assert result.head_position == positions[-1]


def test_a_consistent_rewrite_passes_a_fresh_verification_but_not_a_saved_digest(services, seeded, raw):
    rows = raw.rows()
    agreement = agreements(rows, at_least=5)[1]
    before = agreement[0].position - 1
    saved = verify(services.app.recorder)
    saved_before = verify(services.app.recorder, up_to=before)
    assert saved.ok and saved_before.ok

    rewrite_consistently(raw, agreement)

    assert raw.rows() != rows
    fresh = verify(services.app.recorder)
    assert fresh.ok, fresh.problems
    assert fresh.events_checked == saved.events_checked
    assert fresh.head_hash != saved.head_hash
    digest = prove(services.app.recorder, saved.head_position, saved.head_hash)
    assert not digest.ok
    assert [(p.position, p.problem) for p in digest.problems] == [
        (saved.head_position, "the log up to this position differs from the saved digest")]
    assert prove(services.app.recorder, before, saved_before.head_hash).ok, "the log before the rewrite is intact"


def test_truncating_the_log_and_its_chain_together_is_caught_by_a_saved_digest(services, seeded, raw):
    rows = raw.rows()
    saved = verify(services.app.recorder)
    cut = [r.position for r in rows[-3:]]
    raw.delete(*cut)
    raw.delete_chain(*cut)

    fresh = verify(services.app.recorder)
    assert fresh.ok and fresh.head_position == rows[-4].position, fresh
    digest = prove(services.app.recorder, saved.head_position, saved.head_hash)
    assert first_problem(digest) == (saved.head_position, None, None)
    assert f"no event at position {saved.head_position}" in digest.problems[0].problem


def test_a_saved_digest_still_proves_when_only_later_events_were_tampered_with(services, seeded, raw):
    rows = raw.rows()
    middle = rows[len(rows) // 2].position
    saved = verify(services.app.recorder, up_to=middle)
    later = next(r for r in rows if r.position > middle and r.topic.startswith("accord.agreement:"))
    raw.set_state(later.position, later.state.replace(b'"name":"', b'"name":"X', 1))
    assert not verify(services.app.recorder).ok
    assert prove(services.app.recorder, middle, saved.head_hash).ok


# ---- over HTTP and on the command line -----------------------------------------------------------------------


def test_get_verify_shows_the_problems_of_a_tampered_store(client, auth, seeded, raw):
    clean = client.get(f"{AUDIT}/verify", headers=auth("eva"))
    assert clean.status_code == 200, clean.get_json()
    assert clean.get_json()["ok"] is True and clean.get_json()["problems"] == []

    place = changed_byte(raw, raw.rows())

    body = client.get(f"{AUDIT}/verify", headers=auth("eva")).get_json()
    assert body["ok"] is False
    assert body["events_checked"] == clean.get_json()["events_checked"]
    first = body["problems"][0]
    assert (first["position"], first["aggregate_id"], first["version"]) == at(place)
    assert place.says in first["problem"]


@pytest.mark.parametrize("tamper", [changed_byte, "rewrite"], ids=["changed_byte", "consistent_rewrite"])
def test_post_verify_proves_a_digest_from_an_earlier_get(client, auth, seeded, raw, tamper):
    earlier = client.get(f"{AUDIT}/verify", headers=auth("eva")).get_json()
    digest = {"position": earlier["head_position"], "hash": earlier["head_hash"]}
    untouched = client.post(f"{AUDIT}/verify", json=digest, headers=auth("eva"))
    assert untouched.status_code == 200, untouched.get_json()
    assert untouched.get_json()["ok"] is True
    assert untouched.get_json()["head_hash"] == earlier["head_hash"]

    if tamper == "rewrite":
        rewrite_consistently(raw, agreements(raw.rows(), at_least=5)[0])
        assert client.get(f"{AUDIT}/verify", headers=auth("eva")).get_json()["ok"] is True
    else:
        tamper(raw, raw.rows())

    after = client.post(f"{AUDIT}/verify", json=digest, headers=auth("eva")).get_json()
    assert after["ok"] is False
    assert after["problems"], after


@pytest.mark.parametrize("user", ["farid", "alice"])
def test_only_auditors_verify(client, auth, seeded, user):
    assert client.get(f"{AUDIT}/verify", headers=auth(user)).status_code == 403
    digest = client.get(f"{AUDIT}/verify", headers=auth("eva")).get_json()
    response = client.post(f"{AUDIT}/verify", json={"position": digest["head_position"], "hash": digest["head_hash"]},
                           headers=auth(user))
    assert response.status_code == 403


def test_accord_audit_verify_exits_1_on_a_problem(services, seeded, raw, storage, monkeypatch):
    use_store(monkeypatch, storage)
    runner = CliRunner()
    saved = verify(services.app.recorder)

    clean = runner.invoke(main, ["audit", "verify"], catch_exceptions=False)
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout.strip().splitlines()[-1])["head_hash"] == saved.head_hash

    place = changed_byte(raw, raw.rows())

    tampered = runner.invoke(main, ["audit", "verify"], catch_exceptions=False)
    assert tampered.exit_code == 1, tampered.output
    assert f"problem at position {place.position} ({place.aggregate_id} v{place.version})" in tampered.stdout
    proved = runner.invoke(main, ["audit", "verify", "--position", str(saved.head_position),
                                  "--hash", saved.head_hash], catch_exceptions=False)
    assert proved.exit_code == 1, proved.output
