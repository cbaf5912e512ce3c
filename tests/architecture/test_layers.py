"""The layer table of ARCHITECTURE.md, checked by reading every module's imports.

Each layer lists what it may import: our own packages by name, third-party packages by their top-level name
(the standard library is always allowed, except where a layer forbids a module of it, such as ``sqlite3``).
A module that imports anything else, or reads ``os.environ`` where a layer may not, fails the suite with
the file, the line and the rule it breaks.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("domain", "workflows", "projections", "storage", "api", "web", "bootstrap", "wsgi", "tools", "texts")
DRIVERS = ("sqlite3", "psycopg", "psycopg_pool", "eventsourcing.sqlite", "eventsourcing.postgres")


@dataclass(frozen=True)
class Layer:
    """One row of the table: the folder, what it may import, and what it must not even where allowed."""

    folder: str
    may: tuple[str, ...]
    must_not: tuple[str, ...] = ()
    reads_environment: bool = False
    why: str = ""


LAYERS = (
    Layer("domain", may=("domain", "eventsourcing.domain", "eventsourcing.utils"),
          must_not=DRIVERS + ("os.environ",),
          why="the aggregates, their events, value objects and errors: the standard library and "
              "eventsourcing.domain only"),
    Layer("texts", may=("texts", "pypdf", "defusedxml"), must_not=DRIVERS + ("eventsourcing", "os.environ"),
          why="what a document says: extraction of its paragraphs (pypdf for PDF; zipfile and defusedxml for "
              "DOCX and ODT) and the redline, pure functions of bytes with no storage and no HTTP"),
    Layer("workflows", may=("domain", "workflows", "eventsourcing", "orjson", "texts"),
          must_not=DRIVERS,
          why="definitions, the Application's domain-facing side, the command services: no driver, no HTTP"),
    Layer("projections", may=("domain", "projections", "eventsourcing", "orjson"),
          must_not=DRIVERS,
          why="read models: SQL of their own, run on a database that storage/ provides"),
    Layer("storage", may=("domain", "storage", "eventsourcing", "orjson") + DRIVERS,
          why="what talks to SQLite and PostgreSQL"),
    Layer("api", may=("api", "workflows", "projections", "domain.values", "domain.errors", "domain.records",
                      "domain.dates", "domain.text", "domain.countries", "flask", "flask_smorest", "apispec",
                      "marshmallow", "werkzeug", "orjson", "eventsourcing.persistence"),
          why="blueprints, schemas, bearer auth, the problem+json mapping: no storage, no rule of its own"),
    Layer("web", may=("web", "workflows", "projections", "domain.values", "domain.errors", "domain.records",
                      "domain.dates", "domain.text", "domain.countries", "api.schemas",
                      "flask", "flask_wtf", "wtforms", "werkzeug", "jinja2", "markupsafe", "marshmallow",
                      "argon2", "itsdangerous", "icalendar"),
          why="the browser pages: the API's schemas are the one public part of api/ they share; icalendar "
              "writes the calendar feed"),
    Layer("bootstrap", may=OURS + ("eventsourcing", "flask", "flask_smorest", "click", "gunicorn", "orjson")
          + DRIVERS, reads_environment=True, why="the composition root: everything above"),
    Layer("tools", may=("tools",), must_not=("eventsourcing",), reads_environment=True,
          why="auditors' tools run with the standard library alone"),
)
TOP_LEVEL = {"wsgi.py": ("bootstrap",)}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of each import in a module (``from a import b`` gives ``a.b`` and ``a``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.append((node.lineno, "<relative import>"))
    return found


def reads_of_environment(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            lines.append(node.lineno)
    return lines


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def is_standard_library(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names


def broken_rules(place: Path, may: tuple[str, ...], must_not: tuple[str, ...], environment: bool) -> list[str]:
    """What the modules at ``place`` (a folder, or one file) import or read that the layer does not allow."""
    problems = []
    paths = sorted(place.rglob("*.py")) if place.is_dir() else [place]
    for path in paths:
        where = path.relative_to(place.parent)
        for line, name in imports_of(path):
            if name == "<relative import>":
                problems.append(f"{where}:{line}: relative import (write the package's name)")
                continue
            allowed = under(name, may) or (is_standard_library(name) and not under(name.split(".")[0], OURS))
            # "from a import b" names a.b: a module's own name is allowed when its package is
            allowed = allowed or under(name.rsplit(".", 1)[0], may)
            if under(name, must_not) or under(name.rsplit(".", 1)[0], must_not):
                allowed = False
            if not allowed:
                problems.append(f"{where}:{line}: imports {name}")
        if not environment:
            problems += [f"{where}:{line}: reads os.environ" for line in reads_of_environment(path)]
    return problems


@pytest.mark.parametrize("layer", LAYERS, ids=[layer.folder for layer in LAYERS])
def test_each_layer_imports_only_what_the_architecture_allows(layer: Layer) -> None:
    if not (ROOT / layer.folder).is_dir():
        assert layer.folder == "web", f"no folder {layer.folder}/"
        return  # the browser pages' layer, checked from the day it has a module
    problems = broken_rules(ROOT / layer.folder, layer.may, layer.must_not, layer.reads_environment)
    assert not problems, f"{layer.folder}/ ({layer.why}):\n" + "\n".join(problems)


def test_wsgi_only_creates_the_app_from_the_composition_root() -> None:
    problems = broken_rules(ROOT / "wsgi.py", TOP_LEVEL["wsgi.py"], (), environment=False)
    assert not problems, "\n".join(problems)


def test_the_checker_names_each_import_that_breaks_a_layer(tmp_path: Path) -> None:
    """A domain module that imports flask, a driver or another layer, or reads the environment, is named."""
    package = tmp_path / "domain"
    package.mkdir()
    (package / "bad.py").write_text("import os\nimport json\nimport flask\nfrom sqlite3 import connect\n"
                                    "from api import errors\nfrom domain.values import Role\n"
                                    "HOME = os.environ['HOME']\n")
    domain = next(layer for layer in LAYERS if layer.folder == "domain")
    assert broken_rules(package, domain.may, domain.must_not, domain.reads_environment) == [
        "domain/bad.py:3: imports flask",
        "domain/bad.py:4: imports sqlite3.connect",
        "domain/bad.py:5: imports api.errors",
        "domain/bad.py:7: reads os.environ",
    ]
