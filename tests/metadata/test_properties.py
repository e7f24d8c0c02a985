"""Property-based tests: the validator never raises, whatever the metadata looks like.

The builtin OA and CRM packages, plus a few site overlays on them, are parsed once. Each
example then breaks them a little — a value replaced by random JSON-ish data, a key
deleted or added, a list item duplicated, a name renamed, a subtree moved somewhere it
does not belong, or random text spliced into a file's YAML before parsing — and
validates the result in memory. Whatever happens, validation must return a Result whose
problems are Problems with a known code, rendered in English and Chinese, located in one
of the input files; and a Catalog exactly when there are no problems.

Speed: JSON Schema checks dominate validation time, and ``check_document`` is a pure function
of one document. The unmutated originals are schema-valid (``test_unmutated_corpus_is_valid``
checks them for real), so while a mutated corpus is validated, the schema check is skipped
for exactly those original data objects (by identity); every changed, re-parsed or merged
document is checked for real. ``LOOM_PROPERTY_EXAMPLES=2000`` runs a longer hunt.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from loom.metadata import Catalog
from loom.metadata import Location
from loom.metadata import Problem
from loom.metadata import Result
from loom.metadata import validate_sources
from loom.metadata import validator
from loom.metadata.loader import APP
from loom.metadata.loader import BUILTIN_APPS
from loom.metadata.loader import MANIFEST
from loom.metadata.loader import SUFFIXES
from loom.metadata.loader import Package
from loom.metadata.loader import Sources
from loom.metadata.messages import MESSAGES
from loom.metadata.problems import LANGS
from loom.metadata.source import Document
from loom.metadata.source import parse_documents

APPS = ("oa", "crm")
SITE = "site"
PROPERTY = settings(
    max_examples=int(os.environ.get("LOOM_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Site overlays on the builtin apps, so that mutations reach the overlay merger too.
SITE_OVERLAYS = {
    f"{SITE}/expense_claim.yaml": """\
kind: overlay
name: site_expense_claim
target: oa.expense_claim
patch:
  label: {zh: 报销单, en: Claim}
  fields:
    - name: cost_center
      label: {zh: 成本中心, en: Cost center}
      type: select
      options: [rd, sales, admin]
      after: department
    - {name: reason, max_length: 4000, required: true}
    - {name: urgent, type: boolean, before: number}
  list:
    page_size: 50
    columns: [number, title, cost_center, total]
""",
    f"{SITE}/forms.yaml": """\
kind: overlay
name: site_expense_form
target: oa.expense_claim
target_kind: form
order: 2
patch:
  sections:
    - name: basic
      columns: 3
    - name: extra
      label: {zh: 附加, en: Extra}
      before: details
      fields: [invoice_count]
---
kind: overlay
name: site_crm_app
target: crm.crm
target_kind: app
patch:
  label: {zh: 客户管理, en: Customers}
""",
}


@dataclass(frozen=True, slots=True)
class SourceFile:
    folder: str  # the package folder (an app's), or SITE for site overlays
    name: str  # the file name problems are located in
    text: str


def _read_files() -> tuple[SourceFile, ...]:
    files = []
    for app in APPS:
        root = BUILTIN_APPS / app
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name.endswith(SUFFIXES):
                name = f"{app}/{path.relative_to(root).as_posix()}"
                files.append(SourceFile(app, name, path.read_text("utf-8")))
    files.extend(SourceFile(SITE, name, text) for name, text in SITE_OVERLAYS.items())
    return tuple(files)


FILES = _read_files()
FILE_NAMES = frozenset(f.name for f in FILES) | frozenset(APPS)


def _parse_all() -> dict[str, list[Document]]:
    parsed = {}
    for file in FILES:
        documents, problems = parse_documents(file.text, file.name)
        assert problems == [], [p.render() for p in problems]
        parsed[file.name] = documents
    return parsed


PARSED = _parse_all()
ORIGINAL_DATA = {id(d.data): d.data for docs in PARSED.values() for d in docs}
_real_check_document = validator.check_document


def _check_changed_documents(document: Document) -> list[Problem]:
    """``check_document``, known to be empty for the unchanged originals."""
    if ORIGINAL_DATA.get(id(document.data)) is document.data:
        return []
    return _real_check_document(document)


def validate_mutated(sources: Sources) -> Result:
    with mock.patch.object(validator, "check_document", _check_changed_documents):
        result = validate_sources(sources)
    # Shown by --hypothesis-show-statistics: which stages the mutations reach.
    event("valid: a Catalog was built" if result.ok else "problems found")
    for code in sorted({p.code.split(".")[0] for p in result.problems}):
        event(f"problem family: {code}")
    return result


def build_sources(documents: Mapping[str, list[Document]], problems: tuple[Problem, ...] = ()) -> Sources:
    """Packages as ``loader.load_package`` would assemble them from these parsed files."""
    packages: dict[str, Package] = {}
    found = list(problems)
    for app in APPS:
        manifest: Document | None = None
        rest: list[Document] = []
        for file in FILES:
            if file.folder != app:
                continue
            docs = documents[file.name]
            if file.name == f"{app}/{MANIFEST}" and docs:
                manifest = docs[0]
                rest.extend(docs[1:])
            else:
                rest.extend(docs)
        if manifest is None:
            found.append(Problem("load.no_manifest", Location(app)))
            continue
        name = manifest.name or app
        if name in packages:  # as read_sources reports a second package of one name
            first = packages[name].manifest.locate("/name")
            found.append(manifest.problem("name.duplicate", "/name", what=APP, name=name, other=str(first)))
            continue
        bound = tuple(Document(d.data, d.positions, d.file, name) for d in rest)
        packages[name] = Package(
            name, app, Document(manifest.data, manifest.positions, manifest.file, name), bound
        )
    overlays = tuple(d for file in FILES if file.folder == SITE for d in documents[file.name])
    return Sources(tuple(packages.values()), overlays, tuple(found))


def assert_well_formed(result: Any) -> None:
    """The contract of the validator, whatever it was given."""
    assert isinstance(result, Result)
    assert isinstance(result.problems, tuple)
    for problem in result.problems:
        assert isinstance(problem, Problem), problem
        assert problem.code in MESSAGES, problem.code
        for lang in LANGS:
            message = problem.message(lang)
            assert isinstance(message, str) and message.strip(), (problem.code, lang)
            assert problem.render(lang)
        json.dumps(problem.as_dict(), ensure_ascii=False)
        location = problem.location
        assert isinstance(location, Location)
        assert location.file in FILE_NAMES, location
        assert location.line is None or location.line >= 1, location
        assert isinstance(problem.pointer, str)
    assert list(result.problems) == sorted(result.problems, key=Problem.sort_key)
    assert result.ok == (not result.problems)
    if result.problems:
        assert result.catalog is None
    else:
        assert isinstance(result.catalog, Catalog)


# -- values ---------------------------------------------------------------------------------------

JsonPath = tuple[str | int, ...]


def _walk(value: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _walk(child, (*path, i))


def _corpus() -> tuple[list[Any], list[str], list[str]]:
    subtrees, keys, names = [], set(), set()
    for documents in PARSED.values():
        for document in documents:
            for path, value in _walk(document.data):
                if path:
                    subtrees.append(value)
                if path and isinstance(path[-1], str):
                    keys.add(path[-1])
                if isinstance(value, str) and len(value) < 40 and value.replace(".", "_").isidentifier():
                    names.add(value)
    return subtrees, sorted(keys), sorted(names)


SUBTREES, KEYS, NAMES = _corpus()
NAMES.extend(f"{app}.{name}" for app in APPS for name in list(NAMES) if "." not in name)

CEL = [
    "",
    " ",
    "1 +",
    "total > 0.0",
    "record.amount > 1000.0",
    "old.stage != record.stage",
    "sum(lines.map(l, l.amount))",
    "lines.all(l, l.amount > 0.0) && size(lines) > 0",
    "[1, 2, 3].exists(x, x > 2)",
    "days_between(start, end) <= 30",
    "current_user == claimant",
    "today - duration('24h')",
    "has(record.nothing)",
    "x ? y : z",
    "a ? b",
    "no_such_function(1)",
    "'unterminated",
    '"\\u0000"',
    "{'a': 1}.a",
    "1/0",
    "9" * 40,
    "(" * 120 + "1" + ")" * 120,
    "!" * 200 + "a",
    "a." * 200 + "b",
    "record.名字 == '值'",
]

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(CEL),
    st.sampled_from(NAMES),
    st.from_regex(r"[a-z][a-z0-9_]{0,70}", fullmatch=True),
)
_keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=10))
json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)
new_values = st.one_of(json_values, st.sampled_from(SUBTREES).map(copy.deepcopy))
# Almost-names: what a stray character in a YAML scalar would leave behind.
NAME_SUFFIXES = ["", "\n", "\r\n", " ", "\t", "-", ".", "X", "é", "\u00a0"]
near_names = st.tuples(st.sampled_from(NAMES), st.sampled_from(NAME_SUFFIXES)).map("".join)
new_names = st.one_of(
    st.sampled_from(NAMES),
    near_names,
    st.from_regex(r"[a-z][a-z0-9_]{0,70}", fullmatch=True),
    st.text(),
)


# -- mutations ------------------------------------------------------------------------------------

NAME_KEYS = frozenset(
    {"name", "entity", "field", "role", "target", "of", "via", "title_field", "key", "after", "before"}
)


def _get(data: Any, path: JsonPath) -> Any:
    for token in path:
        data = data[token]
    return data


def _mutate_data(draw: st.DrawFn, data: dict[str, Any]) -> str:
    """Change ``data`` in place one way; returns what was done, for the failure report."""
    paths = [path for path, _ in _walk(data)]
    operation = draw(st.sampled_from(["replace", "delete", "duplicate", "rename", "add_key"]))
    if operation == "rename":
        candidates = [
            p
            for p in paths
            if p
            and isinstance(_get(data, p), str)
            and (p[-1] in NAME_KEYS or isinstance(p[-1], int) or (len(p) > 1 and p[-2] in NAME_KEYS))
        ]
        if candidates:
            path = draw(st.sampled_from(candidates))
            value = draw(new_names)
            _get(data, path[:-1])[path[-1]] = value
            return f"rename {path} to {value!r}"
        operation = "replace"
    if operation == "duplicate":
        candidates = [p for p in paths if p and isinstance(p[-1], int)]
        if candidates:
            path = draw(st.sampled_from(candidates))
            parent = _get(data, path[:-1])
            parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
            return f"duplicate {path}"
        operation = "replace"
    if operation == "add_key":
        candidates = [p for p in paths if isinstance(_get(data, p), dict)]
        path = draw(st.sampled_from(candidates))
        key = draw(_keys)
        value = draw(new_values)
        _get(data, path)[key] = value
        return f"add {key!r}: {value!r} at {path}"
    path = draw(st.sampled_from(paths[1:] or [("kind",)]))
    parent = _get(data, path[:-1])
    if operation == "delete":
        del parent[path[-1]]
        return f"delete {path}"
    value = draw(new_values)
    parent[path[-1]] = value
    return f"replace {path} with {value!r}"


_FRAGMENTS = [
    "\n",
    ": ",
    ":",
    "- ",
    "---\n",
    "...\n",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "&a ",
    "*a",
    "&a [*a]",
    "<<: *a\n",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!custom ",
    "? ",
    "? [a, b]\n: c\n",
    "|\n",
    ">-\n",
    "'",
    '"',
    "# ",
    "%YAML 1.1\n",
    "\t",
    "  ",
    "    ",
    "~",
    "null",
    "yes",
    "on",
    "2024-02-30",
    "2024-01-01T10:00:00Z",
    "0x1F",
    "0o17",
    "1_000",
    ".nan",
    "-.inf",
    "1e400",
    "\ufeff",
    "\x00",
    "\x85",
    "\u2028",
    "\ud7ff",
    "中文",
    "kind: entity\n",
    "kind: overlay\n",
    "name: oa\n",
    "fields: []\n",
    "- name: extra\n  type: string\n",
    "  - {name: x, type: select, options: [a, a]}\n",
]
yaml_fragments = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=6)), max_size=6).map(
    "".join
)


def _splice(draw: st.DrawFn, text: str) -> tuple[str, str]:
    position = draw(st.integers(0, len(text)))
    if draw(st.booleans()):  # at a line start, where YAML structure lives
        position = text.rfind("\n", 0, position) + 1
    if draw(st.booleans()):
        fragment = draw(yaml_fragments)
        return text[:position] + fragment + text[position:], f"insert {fragment!r} at {position}"
    end = draw(st.integers(position, min(len(text), position + 40)))
    fragment = draw(st.one_of(st.just(""), yaml_fragments))
    return text[:position] + fragment + text[end:], f"replace [{position}:{end}] with {fragment!r}"


@dataclass(frozen=True)
class Case:
    """Sources to validate, shown in a failure report as the steps that made them."""

    sources: Sources
    steps: tuple[str, ...]

    def __repr__(self) -> str:
        return "Case(" + "; ".join(self.steps) + ")"


@st.composite
def mutated_sources(draw: st.DrawFn, text_only: bool = False) -> Case:
    """The parsed files, broken by one to three mutations."""
    documents = {name: list(docs) for name, docs in PARSED.items()}
    texts = {file.name: file.text for file in FILES}
    parse_problems: dict[str, list[Problem]] = {}
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        if text_only or draw(st.integers(0, 4)) == 0:
            file = draw(st.sampled_from([f.name for f in FILES]))
            texts[file], done = _splice(draw, texts[file])
            documents[file], parse_problems[file] = parse_documents(texts[file], file)
            steps.append(f"{file}: {done}")
            continue
        file = draw(st.sampled_from([name for name, docs in documents.items() if docs]))
        i = draw(st.integers(0, len(documents[file]) - 1))
        original = documents[file][i]
        data = copy.deepcopy(original.data)
        done = _mutate_data(draw, data)
        documents[file][i] = Document(data, original.positions, original.file, original.app)
        steps.append(f"{file}#{i}: {done}")
    problems = tuple(p for found in parse_problems.values() for p in found)
    return Case(build_sources(documents, problems), tuple(steps))


def renamed(documents: Mapping[str, list[Document]], file: str, path: JsonPath, value: str) -> dict:
    """``documents`` with the name at ``path`` in the (only) document of ``file`` replaced."""
    (original,) = documents[file]
    data = copy.deepcopy(original.data)
    _get(data, path[:-1])[path[-1]] = value
    return {**documents, file: [Document(data, original.positions, original.file, original.app)]}


def renamed_case(renames: list[tuple[str, JsonPath, str]]) -> Case:
    documents: dict[str, list[Document]] = dict(PARSED)
    for file, path, value in renames:
        documents = renamed(documents, file, path, value)
    return Case(build_sources(documents), tuple(f"{f}: rename {p} to {v!r}" for f, p, v in renames))


@st.composite
def renamed_sources(draw: st.DrawFn) -> Case:
    """The parsed files with one or two names (of apps, entities, fields…) almost renamed."""
    renames = []
    for _ in range(draw(st.integers(1, 2))):
        file = draw(st.sampled_from([name for name, docs in PARSED.items() if len(docs) == 1]))
        data = PARSED[file][0].data
        paths = [p for p, v in _walk(data) if p and p[-1] == "name" and isinstance(v, str)]
        renames.append((file, draw(st.sampled_from(paths)), draw(near_names)))
    return renamed_case(renames)


IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


def catalog_identifiers(catalog: Catalog) -> Iterator[str]:
    """Names the runtime turns into table and column names, URLs and permission keys."""
    for app in catalog.apps.values():
        yield app.name
    for entity in catalog.entities.values():
        yield entity.app
        yield entity.name
        yield from (f.name for f in entity.fields)
    for definition in catalog.definitions.values():
        yield definition.app
        yield definition.name


# -- tests ----------------------------------------------------------------------------------------

# Scalars the property tests found crashing PyYAML's constructor (ValueError, not ConstructorError).
MALFORMED_SCALARS = [
    "a: 2024-02-30",
    "a: 2024-13-01",
    "a: 2024-01-01T25:00:00",
    "a: 2024-01-01 10:00:00 -24:00",
    "a: 0x_",
    "a: -0x_",
    "a: 0b_",
    "kind: entity\nname: sale\nfields:\n  - {name: signed_on, type: date, default: 2024-02-30}\n",
]


def test_unmutated_corpus_is_valid() -> None:
    result = validate_sources(build_sources(PARSED))
    assert [p.render() for p in result.problems] == []
    assert_well_formed(result)
    assert result.catalog is not None
    assert result.catalog.entity("oa.expense_claim").field("cost_center").type == "select"


@PROPERTY
@given(mutated_sources())
def test_mutated_documents_never_crash_the_validator(case: Case) -> None:
    assert_well_formed(validate_mutated(case.sources))


@PROPERTY
@given(mutated_sources(text_only=True))
def test_damaged_yaml_never_crashes_the_validator(case: Case) -> None:
    assert_well_formed(validate_mutated(case.sources))


@PROPERTY
@example(renamed_case([("oa/entities/announcement.yaml", ("name",), "announcement\n")]))
@example(renamed_case([("oa/entities/expense_line.yaml", ("fields", 0, "name"), "note\n")]))
@given(renamed_sources())
def test_a_catalog_holds_only_plain_identifiers(case: Case) -> None:
    """Names must be snake_case as a whole: 'sale\\n' would become a table name."""
    result = validate_mutated(case.sources)
    assert_well_formed(result)
    if result.catalog is not None:
        odd = [name for name in catalog_identifiers(result.catalog) if not IDENTIFIER.fullmatch(name)]
        assert odd == []


def _assert_parsed(documents: Any, problems: Any, file: str) -> None:
    assert isinstance(documents, list) and isinstance(problems, list)
    for document in documents:
        assert isinstance(document, Document)
        assert isinstance(document.data, dict)
        assert document.file == file
        assert document.locate("/no/such/pointer").file == file
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.code in MESSAGES
        assert problem.location.file == file
        for lang in LANGS:
            assert problem.message(lang).strip()


@PROPERTY
@given(st.text())
def test_parse_documents_never_raises_on_random_text(text: str) -> None:
    documents, problems = parse_documents(text, "random.yaml")
    _assert_parsed(documents, problems, "random.yaml")


@PROPERTY
@given(yaml_fragments | st.lists(st.sampled_from(_FRAGMENTS)).map("".join))
def test_parse_documents_never_raises_on_yaml_like_text(text: str) -> None:
    documents, problems = parse_documents(text, "random.yaml")
    _assert_parsed(documents, problems, "random.yaml")


@pytest.mark.parametrize("text", MALFORMED_SCALARS)
def test_malformed_scalars_never_crash_the_parser(text: str) -> None:
    """Found by the property tests: invalid dates and times, digitless hex/binary numbers."""
    documents, problems = parse_documents(text, "odd.yaml")
    _assert_parsed(documents, problems, "odd.yaml")
