"""Export and import (issue 7): round trips SQLite -> PostgreSQL -> export and back give byte-identical files,
the same digest and the same views; imports refuse a non-empty store and a tampered export; the command line
and GET /api/v1/audit/export give the same lines; the offline verifier (standard library only) agrees with the
server's digest.

Each round-trip test uses one fresh SQLite store and one fresh PostgreSQL schema at once (``stores``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

import bootstrap.services as wiring
import storage.archive
from bootstrap import create_app
from bootstrap.cli import main
from bootstrap.seed.demo import seed_demo
from bootstrap.seed.history import load_history
from bootstrap.services import Services
from domain.values import Actor, Role
from projections.stored_events import NotPlain
from storage import audit
from storage.archive import ImportRefusedError, import_lines
from storage.audit import verify
from tests.audit.helpers import AGREEMENTS, API, AUDIT, ENLARGEMENTS, lose_a_race
from tests.projections.enlargement_walk import Process
from tests.storage.stores import fresh_store, use_store

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "tools" / "verify_export.py"
FAR_FUTURE = "9999-12-31T00:00:00.000000Z"
DIRECTIONS = [("sqlite", "postgres"), ("postgres", "sqlite")]


@dataclass
class Store:
    """One event store with its own Flask app."""

    backend: str
    storage: dict[str, str]
    app: Flask

    @property
    def services(self) -> Services:
        return self.app.extensions["accord"]

    def export(self) -> str:
        return "".join(self.services.audit.export_lines())

    def get(self, url: str, token: str) -> Any:
        with self.app.test_client() as client:
            response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response


def make_app(storage: dict[str, str]) -> Flask:
    return create_app({"TESTING": True, "CREATE_TABLES": True, "STORAGE": storage, "PROJECTIONS_IN_PROCESS": False})


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[dict[str, Store]]:
    """A fresh SQLite store and a fresh PostgreSQL schema, each with its tables and its own app."""
    with fresh_store("sqlite", tmp_path) as on_sqlite, fresh_store("postgres", tmp_path) as on_postgres:
        made: dict[str, Store] = {}
        try:
            for backend, storage in {"sqlite": on_sqlite, "postgres": on_postgres}.items():
                made[backend] = Store(backend, storage, make_app(storage))
            yield made
        finally:
            for store in made.values():
                store.services.close()


def seed(store: Store, history: bool = False) -> dict[str, str]:
    """The demo agreements (and the published participation record with two enlargement processes taken
    through their steps, with ``history``), projected; the demo users' tokens."""
    services = store.services
    if history:
        load_history(services.records, say=lambda m: None)
        Process(services.enlargements, "alice", "Estonia", "EE", "associate_member_pre_stage",
                "2019-01-01").to_force("2021-02-01")
        Process(services.enlargements, "alice", "Estonia", "EE", "member", "2023-01-01").to_force("2024-08-30")
    tokens = seed_demo(services.agreements, services.access, Actor("pytest@cli", Role.ADMIN), say=lambda m: None)
    services.projections.catch_up()
    return tokens


def rebuild_views(store: Store) -> None:
    engine = store.services.projections
    for name in engine.views:
        engine.rebuild(name)


VIEW_READS = [
    f"{AGREEMENTS}?per_page=100&sort=title",
    f"{AGREEMENTS}?per_page=100",
    f"{AGREEMENTS}?stage=implementation&per_page=100",
    f"{ENLARGEMENTS}?per_page=100&sort=state",
    *(f"{API}/participation?on={on}&known_at={FAR_FUTURE}" for on in
      ("1955-01-01", "1985-06-30", "2004-01-01", "2019-03-15", "2025-01-01", "2099-01-01")),
    f"{API}/participation/ES?known_at={FAR_FUTURE}",
    f"{AUDIT}/journal?limit=1000",
]


def answers(store: Store, token: str) -> list[tuple[str, Any, str | None]]:
    """What the views answer to a few reads: (url, body, X-Total-Count)."""
    return [(url, response.get_json(), response.headers.get("X-Total-Count"))
            for url in VIEW_READS for response in [store.get(url, token)]]


def plain_python() -> str:
    """A python3 outside this virtual environment: the offline verifier needs the standard library only."""
    venv_bin = os.path.join(sys.prefix, "bin")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and os.path.realpath(p) != os.path.realpath(venv_bin))
    found = shutil.which("python3", path="/usr/bin" + os.pathsep + path)
    assert found and not os.path.realpath(found).startswith(os.path.realpath(sys.prefix)), found
    return found


def offline_verify(path: Path, *args: str) -> tuple[int, dict[str, Any], list[str]]:
    """Run tools/verify_export.py with a plain python3 in isolated mode (-I: no site-packages, no PYTHONPATH),
    from an empty directory; return (exit status, its summary, its problem lines)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    done = subprocess.run([plain_python(), "-I", str(VERIFIER), str(path), *args], capture_output=True, text=True,
                          cwd=path.parent, env=env, timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    return done.returncode, json.loads(lines[-1]), [line for line in lines if line.startswith("problem:")]


def edit_line(text: str, number: int, change) -> str:
    """The export with line ``number`` (1-based) replaced by change(decoded line), re-encoded like the export."""
    lines = text.splitlines(keepends=True)
    line = json.loads(lines[number - 1])
    change(line)
    lines[number - 1] = json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    return "".join(lines)


def flip_actor_initial(line: dict[str, Any]) -> None:
    """One byte of the stored event (the actor's initial in the other case); the decoded part left alone."""
    name = json.loads(line["stored"])["by"]["_data_"]["name"]
    line["stored"] = line["stored"].replace(f'"name":"{name}"', f'"name":"{name[0].swapcase()}{name[1:]}"', 1)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the log and the chain in pages of 37 and import in batches of 64, so paging is exercised."""
    monkeypatch.setattr(audit, "PAGE", 37)
    monkeypatch.setattr(storage.archive, "BATCH", 64)


# ---- round trips ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), DIRECTIONS, ids=lambda b: b)
def test_a_round_trip_gives_the_same_file_the_same_digest_and_the_same_views(stores, small_pages, source, target):
    origin, copy = stores[source], stores[target]
    tokens = seed(origin, history=True)
    exported = origin.export()
    assert len(exported.splitlines()) == origin.services.app.recorder.max_notification_id() > 2 * audit.PAGE

    count, digest = import_lines(copy.services.app.recorder, exported.splitlines(keepends=True))
    rebuild_views(copy)

    assert copy.export() == exported, "byte-identical exports from both backends"
    verified = {s.backend: verify(s.services.app.recorder) for s in (origin, copy)}
    assert verified[source].ok and verified[target].ok, verified
    assert verified[source].head_hash == verified[target].head_hash == digest
    assert count == verified[target].events_checked == verified[source].events_checked
    assert verified[target].head_position == verified[source].head_position
    reads = answers(origin, tokens["eva"])
    assert answers(copy, tokens["eva"]) == reads
    body = {url: body for url, body, _ in reads}
    assert len(body[f"{AUDIT}/journal?limit=1000"]) == count
    assert body[f"{API}/participation?on=2025-01-01&known_at={FAR_FUTURE}"]["count"] > 20
    assert body[f"{API}/participation/ES?known_at={FAR_FUTURE}"]["periods"]
    assert len(body[f"{AGREEMENTS}?per_page=100"]) >= 6 and body[f"{ENLARGEMENTS}?per_page=100&sort=state"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_lines_read_from_the_stored_json_equal_lines_from_decoded_events(stores, backend, monkeypatch):
    """The export reads most events straight from their stored JSON (bootstrap.services.describe_stored); every
    line must equal
    the line built from the event decoded by the library's mapper, for every event type the demo, the
    published record and the access events hold."""
    store = stores[backend]
    seed(store, history=True)
    read_from_json = []
    real = wiring.stored_record
    monkeypatch.setattr(wiring, "stored_record", lambda stored: read_from_json.append(1) or real(stored))
    fast = store.export().splitlines()
    assert len(read_from_json) == len(fast), "every event of today's classes is read from its stored JSON"
    seen = {json.loads(line)["type"] for line in fast}
    assert {"created", "record_signature", "enter_into_force", "access_token_created"} <= seen, seen

    def refuse(stored):
        raise NotPlain("read it decoded")

    monkeypatch.setattr(wiring, "stored_record", refuse)  # every event through the mapper
    assert store.export().splitlines() == fast


@pytest.mark.parametrize(("source", "target"), DIRECTIONS, ids=lambda b: b)
def test_an_imported_store_goes_on_recording_after_the_imported_head(stores, source, target):
    origin, copy = stores[source], stores[target]
    seed(origin)
    head = origin.services.app.recorder.max_notification_id()
    import_lines(copy.services.app.recorder, origin.export().splitlines(keepends=True))

    copy.services.access.issue_token(Actor("pytest@cli", Role.ADMIN), "hana", Role.AUDITOR)

    result = verify(copy.services.app.recorder)
    assert result.ok, result.problems
    assert result.head_position == head + 2, "a user-directory event and a token, after the imported head"


def test_gaps_in_the_positions_survive_a_round_trip(stores):
    """A refused write uses up a PostgreSQL position: the gap is kept by the import into SQLite."""
    origin, copy = stores["postgres"], stores["sqlite"]
    seed(origin)
    created = next(line for line in map(json.loads, origin.export().splitlines())
                   if line["topic"] == "accord.agreement:Created")
    lose_a_race(origin.services, uuid.UUID(created["aggregate_id"]))
    origin.services.access.issue_token(Actor("pytest@cli", Role.ADMIN), "hana", Role.AUDITOR)
    exported = origin.export()
    positions = [json.loads(t)["position"] for t in exported.splitlines()]
    assert positions[-1] > len(positions), "a gap in the positions"

    import_lines(copy.services.app.recorder, exported.splitlines(keepends=True))

    assert copy.export() == exported
    assert verify(copy.services.app.recorder) == verify(origin.services.app.recorder)
    copy.services.access.issue_token(Actor("pytest@cli", Role.ADMIN), "ines", Role.AUDITOR)
    after = verify(copy.services.app.recorder)
    assert after.ok and after.head_position == positions[-1] + 2, after


# ---- refusals --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_an_import_into_a_store_that_is_not_empty_is_refused(stores, backend):
    store = stores[backend]
    seed(store)
    before = verify(store.services.app.recorder)
    with pytest.raises(ImportRefusedError, match="not empty"):
        import_lines(store.services.app.recorder, store.export().splitlines(keepends=True))
    after = verify(store.services.app.recorder)
    assert (after.ok, after.head_position, after.head_hash) == (True, before.head_position, before.head_hash)


def swap_with_next(lines: list[str], number: int) -> None:
    lines[number - 1], lines[number] = lines[number], lines[number - 1]


TAMPERED_EXPORTS = {
    # name: (edit the list of lines at line number n, what the refusal at line n says)
    "changed_byte": (lambda lines, n: lines.__setitem__(n - 1, edit_line(lines[n - 1], 1, flip_actor_initial)),
                     "the event's content does not match its hash"),
    "line_removed": (lambda lines, n: lines.pop(n - 1), "is broken"),
    "lines_swapped": (swap_with_next, "is broken"),
    "running_hash_changed": (
        lambda lines, n: lines.__setitem__(n - 1, edit_line(
            lines[n - 1], 1, lambda line: line.__setitem__("running_hash", "0" * 64))), "the global chain is broken"),
}


@pytest.mark.parametrize("tamper", list(TAMPERED_EXPORTS))
@pytest.mark.parametrize(("source", "target"), DIRECTIONS, ids=lambda b: b)
def test_an_import_of_a_tampered_export_stops_at_the_line(stores, source, target, tamper):
    edit, says = TAMPERED_EXPORTS[tamper]
    origin, copy = stores[source], stores[target]
    seed(origin)
    lines = origin.export().splitlines(keepends=True)
    number = len(lines) // 2
    edit(lines, number)
    with pytest.raises(ImportRefusedError) as refused:
        import_lines(copy.services.app.recorder, lines)
    message = str(refused.value)
    line = json.loads(lines[number - 1])
    assert message.startswith(f"line {number} (position {line['position']}, {line['aggregate_id']} v{line['version']})"
                              ), message
    assert says in message



@pytest.mark.parametrize("garbage", ["{not json", '{"position": 1}', '["a", "list"]',
                                     '{"position": 1, "aggregate_id": "x", "version": 1, "stored": "{}"}'])
def test_an_import_of_a_line_that_is_not_an_export_line_is_refused_by_number(stores, garbage):
    origin, copy = stores["sqlite"], stores["postgres"]
    seed(origin)
    lines = origin.export().splitlines(keepends=True)[:3]
    lines.insert(2, garbage + "\n")
    with pytest.raises(ImportRefusedError, match=r"^line 3: not a line of an Accord export"):
        import_lines(copy.services.app.recorder, lines)
    assert not copy.services.app.recorder.max_notification_id(), "the lines before it were not yet written"


# ---- the command line and HTTP ------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), DIRECTIONS, ids=lambda b: b)
def test_accord_audit_export_then_import_copies_a_store_into_an_empty_one(stores, source, target, monkeypatch,
                                                                          tmp_path):
    origin, copy = stores[source], stores[target]
    tokens = seed(origin, history=True)
    runner = CliRunner()
    path = tmp_path / "accord-export.jsonl"

    use_store(monkeypatch, origin.storage)
    exported = runner.invoke(main, ["audit", "export", str(path)], catch_exceptions=False)
    assert exported.exit_code == 0, exported.output
    assert path.read_text(encoding="utf-8") == origin.export()

    refused = runner.invoke(main, ["audit", "import", str(path)], catch_exceptions=False)
    assert refused.exit_code == 1 and "not empty" in refused.output, refused.output

    use_store(monkeypatch, copy.storage)
    imported = runner.invoke(main, ["audit", "import", str(path)], catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    digest = verify(origin.services.app.recorder).head_hash
    assert f"imported {len(origin.export().splitlines())} events; head digest {digest}" in imported.output
    assert copy.export() == origin.export()
    assert answers(copy, tokens["eva"]) == answers(origin, tokens["eva"]), "the command rebuilt the views"


def test_accord_audit_import_of_a_tampered_export_names_the_line(stores, monkeypatch, tmp_path):
    seed(stores["sqlite"])
    lines = stores["sqlite"].export().splitlines(keepends=True)
    lines[9] = edit_line(lines[9], 1, flip_actor_initial)
    path = tmp_path / "tampered.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    use_store(monkeypatch, stores["postgres"].storage)
    refused = CliRunner().invoke(main, ["audit", "import", str(path)], catch_exceptions=False)
    assert refused.exit_code == 1, refused.output
    assert "line 10 (position" in refused.output and "does not match its hash" in refused.output


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_get_audit_export_streams_the_same_lines_as_export_lines(stores, backend):
    store = stores[backend]
    tokens = seed(store)
    response = store.get(f"{AUDIT}/export", tokens["eva"])
    assert response.mimetype == "application/x-ndjson"
    assert "accord-export.jsonl" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == store.export()
    with store.app.test_client() as client:
        for user in ("farid", "alice"):
            assert client.get(f"{AUDIT}/export", headers={"Authorization": f"Bearer {tokens[user]}"}
                              ).status_code == 403


# ---- the offline verifier ---------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def exported(request, stores, tmp_path) -> tuple[Store, dict[str, str], Path]:
    """A seeded store, its tokens, and its export in a file."""
    store = stores[request.param]
    tokens = seed(store)
    path = tmp_path / "accord-export.jsonl"
    path.write_text(store.export(), encoding="utf-8")
    return store, tokens, path


def test_the_offline_verifier_prints_the_servers_digest(exported):
    store, tokens, path = exported
    server = store.get(f"{AUDIT}/verify", tokens["eva"]).get_json()
    status, summary, problems = offline_verify(path)
    assert (status, problems) == (0, [])
    assert summary == {"ok": True, "events_checked": server["events_checked"],
                       "head_position": server["head_position"], "head_hash": server["head_hash"]}


def test_the_offline_verifier_exits_1_on_a_tampered_export(exported):
    _, _, path = exported
    path.write_text(edit_line(path.read_text(encoding="utf-8"), 7, flip_actor_initial), encoding="utf-8")
    status, summary, problems = offline_verify(path)
    assert status == 1 and summary["ok"] is False
    assert problems[0].startswith("problem: line 7, position 7,") and "does not match its hash" in problems[0]


def test_the_offline_verifier_proves_a_saved_digest(exported):
    store, tokens, path = exported
    position = store.services.app.recorder.max_notification_id() // 2
    saved = verify(store.services.app.recorder, up_to=position).head_hash
    assert offline_verify(path, "--position", str(position), "--hash", saved)[0] == 0
    status, _, problems = offline_verify(path, "--position", str(position), "--hash", "0" * 64)
    assert status == 1
    assert problems == [f"problem: the log up to position {position} differs from the saved digest"]
    status, _, problems = offline_verify(path, "--position", str(10**9), "--hash", saved)
    assert (status, problems) == (1, [f"problem: the export has no event at position {10**9}"])


def test_the_offline_verifier_catches_a_consistent_rewrite_against_a_saved_digest(exported):
    """Rewrite one line's content and recompute its hash, every running hash after it, and any later event of the
    same aggregate: the export verifies on its own, but not against the digest saved before."""
    from domain.chain import event_hash, running_hash  # the documented encoding, as an attacker would use it

    store, _, path = exported
    head = verify(store.services.app.recorder)
    lines = [json.loads(t) for t in path.read_text(encoding="utf-8").splitlines()]
    target = next(line for line in lines if line["topic"].endswith(":Created") and line["position"] > 10)
    hashes: dict[str, str] = {}
    running = "0" * 64
    for line in lines:
        stored = json.loads(line["stored"])
        if line["aggregate_id"] == target["aggregate_id"]:
            if line is target:
                stored["title"] = "A different agreement altogether"
                line["data"]["title"] = stored["title"]
            stored["prev_hash"] = hashes.get(line["aggregate_id"], stored["prev_hash"])
            stored["hash"] = event_hash(line["aggregate_id"], line["version"], line["topic"],
                                        stored["timestamp"]["_data_"], stored["prev_hash"], stored)
            hashes[line["aggregate_id"]] = stored["hash"]
            line.update(stored=json.dumps(stored, separators=(",", ":"), ensure_ascii=False),
                        hash=stored["hash"], prev_hash=stored["prev_hash"])
        running = line["running_hash"] = running_hash(running, stored["hash"])
    path.write_text("".join(json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
                            for line in lines), encoding="utf-8")

    status, summary, problems = offline_verify(path)
    assert (status, problems) == (0, []) and summary["head_hash"] != head.head_hash
    status, _, problems = offline_verify(path, "--position", str(head.head_position), "--hash", head.head_hash)
    assert status == 1 and problems == [
        f"problem: the log up to position {head.head_position} differs from the saved digest"]


@pytest.mark.parametrize("field", ["data", "recorded_at"])
def test_the_offline_verifier_catches_edited_decoded_content(exported, field):
    _, _, path = exported
    text = path.read_text(encoding="utf-8")
    number = next(n for n, t in enumerate(text.splitlines(), start=1)
                  if json.loads(t)["topic"].endswith("EnteredIntoForce"))

    def edit(line: dict[str, Any]) -> None:
        if field == "data":
            line["data"]["effective_on"] = "1999-01-01"
        else:
            line["recorded_at"] = "2001-01-01T00:00:00+00:00"

    path.write_text(edit_line(text, number, edit), encoding="utf-8")
    assert offline_verify(path)[0] == 1
