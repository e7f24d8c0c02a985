"""The validator's corpus: packages with one mistake each, and valid packages that use everything.

``corpus/invalid/<case>/`` holds an app package (or a folder of packages) and ``expect.yaml``,
the problems the validator must report as ``{code, file, line, pointer}`` (``pointer`` and
``message``, a substring of the English text, are optional). The harness demands exactly
that set of (code, file, line): a case catches a missing problem, a cascade of extra ones
and a wrong location alike.

``corpus/valid/<case>/`` must validate without problems into a Catalog; the tests below
then look inside it, because "no problems" alone would not show that references were
resolved, and check that the valid cases together use every construct the schemas define.

In both, a top-level ``overlays/`` folder holds site overlays, passed as ``overlays=``. A
case documenting a known validator bug has ``expect.yaml`` as a mapping ``{xfail: reason,
problems: [...]}``: it states the correct behaviour, xfails while the bug lasts, and fails
once the bug is fixed, so that the marker gets removed.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from loom.metadata import Catalog
from loom.metadata import Problem
from loom.metadata import Result
from loom.metadata import validate_paths
from loom.metadata.catalog import thaw
from loom.metadata.expressions import Expression
from loom.metadata.schema_check import KINDS
from loom.metadata.schema_check import load_schema
from loom.metadata.source import parse_documents
from loom.platform.flows.nodes import walk

CORPUS = Path(__file__).parent / "corpus"
INVALID = sorted(p for p in (CORPUS / "invalid").iterdir() if p.is_dir())
VALID = sorted(p for p in (CORPUS / "valid").iterdir() if p.is_dir())
NOT_PACKAGE_FILES = {"expect.yaml", "overlays"}


@dataclass(frozen=True, slots=True)
class Expected:
    code: str
    file: str
    line: int
    pointer: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Reported:
    """A problem as reported, its file relative to the case folder."""

    problem: Problem
    file: str

    @property
    def key(self) -> tuple[str, str, int | None]:
        return self.problem.code, self.file, self.problem.location.line

    def __str__(self) -> str:
        p = self.problem
        return f"{{code: {p.code}, file: {self.file}, line: {p.location.line}, pointer: {p.pointer!r}}}"


def load_expect(case: Path) -> tuple[list[Expected], str | None]:
    """The problems ``case`` must produce, and its xfail reason if it documents a bug."""
    path = case / "expect.yaml"
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
    if isinstance(data, dict):
        return [Expected(**p) for p in data.get("problems", [])], data["xfail"]
    return [Expected(**p) for p in data], None


def validate_case(case: Path, workdir: Path) -> tuple[Result, list[Reported]]:
    """Validate ``case`` as a user would: its packages, and ``overlays/`` as site overlays.

    The case is copied without ``expect.yaml`` and ``overlays/`` first, because the loader
    reads every YAML file of a package folder; a package's copy is named after its app,
    as packages are laid out on disk.
    """
    root = workdir / _app_name(case)
    shutil.copytree(case, root, ignore=_case_files(case))
    overlays = [case / "overlays"] if (case / "overlays").is_dir() else []
    result = validate_paths([root], overlays)
    return result, [Reported(p, _relative(p.location.file, root, case)) for p in result.problems]


def _case_files(case: Path) -> Callable[[str, list[str]], set[str]]:
    """``copytree``'s ignore: ``expect.yaml`` and ``overlays/`` at the top of the case only."""
    return lambda folder, names: NOT_PACKAGE_FILES & set(names) if Path(folder) == case else set()


def _app_name(case: Path) -> str:
    manifest = case / "app.yaml"
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) if manifest.exists() else None
    except yaml.YAMLError:
        data = None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name.isidentifier() else case.name


def _relative(file: str, *bases: Path) -> str:
    path = Path(file).resolve()
    for base in bases:
        if path.is_relative_to(base.resolve()):
            return path.relative_to(base.resolve()).as_posix()
    return file


def mismatches(case: Path, workdir: Path, expected: list[Expected]) -> list[str]:
    """Every way validating ``case`` differs from ``expected``; empty when they agree."""
    try:
        result, reported = validate_case(case, workdir)
    except Exception as exc:  # validation must never raise: report it like any mismatch
        return [f"validation raised {exc!r}"]
    keys = {r.key for r in reported}
    wanted = {(e.code, e.file, e.line) for e in expected}
    errors = [f"missing: {code} at {file}:{line}" for code, file, line in sorted(wanted - keys)]
    errors += [f"unexpected: {r}  # {r.problem.message()}" for r in reported if r.key not in wanted]
    for e in expected:
        same = [r.problem for r in reported if r.key == (e.code, e.file, e.line)]
        if same and e.pointer is not None and all(p.pointer != e.pointer for p in same):
            errors.append(f"pointer of {e.code}: want {e.pointer!r}, got {[p.pointer for p in same]}")
        if same and e.message is not None and all(e.message not in p.message("en") for p in same):
            errors.append(f"message of {e.code}: want {e.message!r} in {same[0].message('en')!r}")
    for r in reported:
        english, chinese = r.problem.message("en"), r.problem.message("zh")
        if not english or not chinese or english == chinese:
            errors.append(f"{r.problem.code} is not rendered in both languages: {english!r}, {chinese!r}")
    if (result.catalog is None) != bool(result.problems):
        errors.append("a Catalog must be built exactly when there are no problems")
    return errors


def settle(errors: list[str], xfail: str | None) -> None:
    """Pass, fail, or xfail a case: an xfail case that now passes must lose its marker."""
    if xfail is not None:
        assert errors, f"the validator gets this right now: remove 'xfail' from expect.yaml ({xfail})"
        pytest.xfail(xfail)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_case(case: Path, tmp_path: Path) -> None:
    expected, xfail = load_expect(case)
    assert expected, "an invalid case expects at least one problem"
    settle(mismatches(case, tmp_path, expected), xfail)


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_case(case: Path, tmp_path: Path) -> None:
    expected, xfail = load_expect(case)
    assert not expected, "a valid case expects no problems"
    settle(mismatches(case, tmp_path, []), xfail)


# --- what the valid cases contain -----------------------------------------------------

SOUND = [case for case in VALID if load_expect(case)[1] is None]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Catalog]:
    """The Catalog of a valid case by name, built once per module."""

    @functools.cache
    def build(name: str) -> Catalog:
        result, _ = validate_case(CORPUS / "valid" / name, tmp_path_factory.mktemp(name))
        assert result.catalog is not None, [p.render() for p in result.problems]
        return result.catalog

    return build


def corpus_catalogs(catalog: Callable[[str], Catalog]) -> list[Catalog]:
    return [catalog(case.name) for case in SOUND]


def schema_keys(kind: str, *path: str) -> set[str]:
    """The enum values, or else the property names, of the schema of ``kind`` at ``path``."""
    node: Any = load_schema(kind)
    for step in path:
        node = node[int(step)] if isinstance(node, list) else node[step]
    return set(node["enum"]) if "enum" in node else set(node["properties"])


def test_valid_cases_use_every_kind() -> None:
    kinds = {
        doc.kind
        for case in SOUND
        for path in case.rglob("*.yaml")
        if path.name != "expect.yaml"
        for doc in parse_documents(path.read_text(encoding="utf-8"), str(path))[0]
    }
    assert kinds == set(KINDS)


def test_valid_cases_use_every_field_type(catalog: Callable[[str], Catalog]) -> None:
    used = {f.type for c in corpus_catalogs(catalog) for e in c.entities.values() for f in e.fields}
    assert used >= schema_keys("entity", "$defs", "field", "properties", "type")


def test_valid_cases_use_every_flow_construct(catalog: Callable[[str], Catalog]) -> None:
    flows = [f for c in corpus_catalogs(catalog) for f in c.of_kind("flow")]
    nodes = [n for f in flows for n in walk(thaw(f.spec["nodes"]))]
    node_kinds = schema_keys("flow", "$defs", "node") - {"name", "label"}
    assert {k for n in nodes for k in n if k in node_kinds} == node_kinds
    approvers = {k for n in nodes for k in n.get("approve", {})} - {"scope"}
    assert approvers == schema_keys("flow", "$defs", "approvers") - {"scope"}
    assert {n["mode"] for n in nodes if "mode" in n} == schema_keys(
        "flow", "$defs", "node", "allOf", "0", "then", "properties", "mode"
    )
    assert {k for n in nodes for k in n.get("action", {})} == schema_keys(
        "flow", "$defs", "node", "properties", "action"
    )
    assert any("else" in b for n in nodes for b in n.get("branch", ()))
    assert any("cc" in n for n in nodes)


def test_valid_cases_use_every_automation_trigger_and_action(catalog: Callable[[str], Catalog]) -> None:
    automations = [a.spec for c in corpus_catalogs(catalog) for a in c.of_kind("automation")]
    assert {k for a in automations for k in a["on"]} == schema_keys("automation", "$defs", "trigger")
    actions = {k for a in automations for action in a["do"] for k in action}
    assert actions == schema_keys("automation", "$defs", "action")


def test_references_are_qualified(catalog: Callable[[str], Catalog]) -> None:
    store = catalog("every_field_type")
    order = store.entity("store.purchase_order")
    assert (order.qualified_name, order.table_name) == ("store.purchase_order", "store_purchase_order")
    assert order.field("supplier").entity == "store.supplier"
    assert order.field("lines").entity == "store.order_line"
    line = store.entity("store.order_line")
    assert line.child and line.field("parts").entity == "store.line_part"
    assert [f.name for f in line.fields if f.total == "sum"] == ["quantity", "amount"]
    assert store.entity("store.supplier").field("open_amount").rollup.of == "store.purchase_order"
    assert store.definition("report", "store.spend_by_supplier").entity == "store.purchase_order"
    visits = catalog("overlays_across_packages")
    assert visits.entity("crm_plus.visit").field("customer").entity == "crm.customer"
    assert list(visits.apps) == ["oa", "crm", "crm_plus"]  # dependencies first
    purchasing = catalog("flows_and_automations")
    flow = purchasing.definition("flow", "purchasing.request_approval")
    assert flow.entity == "purchasing.purchase_request"
    assert purchasing.entity("purchasing.purchase_request").has_flow
    assert not purchasing.entity("purchasing.purchase_order").has_flow


def test_type_defaults_are_filled_in(catalog: Callable[[str], Catalog]) -> None:
    store = catalog("every_field_type")
    total = store.entity("store.purchase_order").field("total")
    assert (total.precision, total.scale, total.currency) == (18, 2, "CNY")
    assert store.entity("store.product").field("unit_price").currency == "USD"
    order = store.entity("store.purchase_order")
    assert order.field("title").max_length == 255
    assert order.field("supplier").on_delete == "restrict"
    assert order.field("buyer").on_delete == "set_null"
    assert (order.field("exchange_rate").precision, order.field("exchange_rate").scale) == (12, 6)
    priority = order.field("priority")
    assert [o.key for o in priority.options] == ["low", "normal", "high"]
    assert priority.option("high").color == "red" and priority.option("high").label.get("en") == "High"
    assert order.permissions[2].read == "none"  # read: false


def test_overlays_are_applied(catalog: Callable[[str], Catalog]) -> None:
    visits = catalog("overlays_across_packages")
    customer = visits.entity("crm.customer")  # patched by a package overlay of crm_plus
    names = [f.name for f in customer.fields]
    assert names[names.index("level") + 1] == "credit_level"
    assert not customer.has_field("website")
    assert customer.field("industry").required
    assert "credit_level" in customer.list.filters
    visit = visits.entity("crm_plus.visit")  # patched by site overlays
    assert [f.name for f in visit.fields][3:5] == ["summary", "score"]
    assert visit.field("outcome").option("lost") is not None
    assert [r.name for r in visit.rules] == ["score_in_range"]
    form = visits.definition("form", "crm_plus.visit_form")
    assert form.spec["sections"][1]["fields"] == ("outcome", "score", "contract")
    flow = visits.definition("flow", "crm.contract_approval")
    assert [n["name"] for n in flow.spec["nodes"]][-2:] == ["visit_check", "cc_owner"]


def test_expressions_are_compiled(catalog: Callable[[str], Catalog]) -> None:
    order = catalog("every_field_type").entity("store.purchase_order")
    assert isinstance(order.field("total").compute, Expression)
    assert order.field("total").compute.variables == {"lines"}
    assert isinstance(order.field("supplier").filter, Expression)
    assert [r.check.source for r in order.rules] == ["total > 0.0", "deliver_at != null"]
    assert order.rules[1].when is not None
    purchasing = catalog("flows_and_automations")
    flow = purchasing.definition("flow", "purchasing.request_approval")
    assert {"/nodes/3/branch/0/when", "/nodes/8/action/create/values/amount"} <= set(flow.expressions)
    budget = purchasing.definition("automation", "purchasing.commit_budget")
    assert budget.expressions["/do/0/update/where"].variables == {"cost_center", "record"}
