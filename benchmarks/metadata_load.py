"""How long Loom takes to load, validate and build the Catalog of app packages.

Run from the repository (or anywhere Loom is installed)::

    python benchmarks/metadata_load.py                      # builtin apps + 500 x 30 package
    python benchmarks/metadata_load.py --entities 100 --fields 20
    python benchmarks/metadata_load.py --format json        # for machines
    python benchmarks/metadata_load.py --skip-generated --runs 20

Measured, each as the best and median of several runs in one process:

* the builtin OA and CRM apps: files to validated Catalog, as ``validate_paths`` does it
  (``read_sources`` then ``validate_sources``); target < 300 ms;
* a generated package of ``--entities`` entities x ``--fields`` fields, written as YAML to a
  temporary folder (or ``--package-dir``), one entity per file: fields of varied types,
  selects with options, links between entities, a rollup, a computed field and a rule per
  entity, list settings with views, permissions; a form and a flow for every tenth entity.
  Target < 5 s at the default 500 x 30 (no target for other sizes);
* a baseline for each: what a hand-written minimal loader costs — read every file,
  ``yaml.load`` it with libyaml's CSafeLoader (when PyYAML has it) and validate it with
  jsonschema-rs (the validator Loom itself uses for valid documents) against Loom's JSON
  schemas. Loom and the baseline run in turn, round after round, so a drift in the machine's
  speed touches both; the ratio is the median of the per-round ratios, with its spread;
* Loom's time by stage: reading and parsing YAML (with positions), JSON Schema checks,
  and everything else (semantic checks, CEL, Catalog).

Compiled CEL programs are cached per process; the cache is cleared before every timed
run so each run compiles its expressions as a fresh ``loom validate`` would. The first
run in the process (which also loads and compiles the JSON schemas) is untimed and shown
apart. Exit status: 0, or 1 when the generated package is not valid (then the timing would
be that of reporting problems) or, with ``--check``, when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

import loom
from loom.metadata import Result
from loom.metadata import validate_sources
from loom.metadata import validator as loom_validator
from loom.metadata.expressions import compile_expression
from loom.metadata.loader import BUILTIN_APPS
from loom.metadata.loader import read_sources
from loom.metadata.schema_check import KINDS
from loom.metadata.schema_check import load_schema

BUILTIN_TARGET_MS = 300.0
GENERATED_TARGET_MS = 5000.0
DEFAULT_ENTITIES = 500
DEFAULT_FIELDS = 30
MIN_FIELDS = 8  # title, amount, quantity, stage, total, parent, related, children_amount
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KeysAsText(YAML_LOADER):  # type: ignore[misc,valid-type]
    """libyaml, with mapping keys kept as written (``on:`` stays "on"), as Loom reads them."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        return {
            key.value if isinstance(key, yaml.ScalarNode) else self.construct_object(key, deep): (
                self.construct_object(value, deep)
            )
            for key, value in node.value
        }


# -- the generated package -----------------------------------------------------------------------

FIELD_TYPES = (
    "string",
    "integer",
    "money",
    "select",
    "date",
    "text",
    "decimal",
    "boolean",
    "multiselect",
    "user",
    "percent",
    "datetime",
    "email",
    "phone",
    "url",
    "department",
    "file",
    "region",
    "json",
    "time",
)


def _label(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _field(name: str, kind: str, j: int) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "label": _label(f"字段{j}", f"Field {j}"), "type": kind}
    if kind in ("string", "email", "phone", "url"):
        item["max_length"] = 64 + j
    elif kind == "text":
        item["max_length"] = 2000
    elif kind == "integer":
        item.update(min=0, max=1_000_000)
    elif kind in ("decimal", "percent"):
        item.update(precision=12, scale=4)
    elif kind == "money":
        item.update(precision=16, scale=2, currency="CNY", min=0)
    elif kind in ("select", "multiselect"):
        item["options"] = [
            {"key": f"o{k}", "label": _label(f"选项{k}", f"Option {k}"), "color": "blue"} for k in range(5)
        ]
        if kind == "select":
            item["default"] = "o0"
    elif kind in ("user", "department", "file"):
        item["multiple"] = j % 2 == 0
    elif kind == "region":
        item["levels"] = "city"
    if j % 7 == 0:
        item["help"] = _label("填写说明", "How to fill this in")
    return item


def entity_document(i: int, entities: int, fields: int) -> dict[str, Any]:
    """Entity ``e{i}``: ``fields`` fields of varied types, links, a rule, a computed field."""
    name = f"e{i:04d}"
    items: list[dict[str, Any]] = [
        {
            "name": "title",
            "label": _label("标题", "Title"),
            "type": "string",
            "required": True,
            "search": True,
        },
        {"name": "amount", "label": _label("金额", "Amount"), "type": "money", "scale": 2, "min": 0},
        {"name": "quantity", "label": _label("数量", "Quantity"), "type": "integer", "min": 0},
        {
            "name": "stage",
            "label": _label("阶段", "Stage"),
            "type": "select",
            "options": ["draft", "open", "won", "lost"],
            "default": "draft",
        },
        {
            "name": "total",
            "label": _label("合计", "Total"),
            "type": "computed",
            "result": "money",
            "scale": 2,
            "compute": "double(quantity) * amount",
        },
    ]
    if i > 0:
        items.append(
            {
                "name": "parent",
                "label": _label("上级", "Parent"),
                "type": "link",
                "entity": f"e{i - 1:04d}",
                "on_delete": "set_null",
                "filter": 'stage != "lost"',
            }
        )
    if i > 1:
        other = f"e{(i * 7919) % 1009 % i:04d}"  # a pseudo-random earlier entity
        items.append({"name": "related", "label": _label("相关", "Related"), "type": "link", "entity": other})
    if i < entities - 1:
        items.append(
            {
                "name": "children_amount",
                "label": _label("下级金额", "Children amount"),
                "type": "rollup",
                "rollup": {"of": f"e{i + 1:04d}", "via": "parent", "aggregate": "sum", "field": "amount"},
            }
        )
    for j in range(len(items), fields):
        kind = FIELD_TYPES[(i + j) % len(FIELD_TYPES)]
        items.append(_field(f"f{j:02d}_{kind}", kind, j))
    names = [item["name"] for item in items]
    return {
        "kind": "entity",
        "name": name,
        "label": _label(f"实体{i}", f"Entity {i}"),
        "title_field": "title",
        "fields": items,
        "rules": [
            {
                "name": "amount_positive",
                "check": "amount >= 0.0 && quantity >= 0",
                "when": 'stage != "draft"',
                "field": "amount",
                "message": _label("金额不能为负", "The amount cannot be negative"),
            }
        ],
        "indexes": [["stage"], {"fields": ["title"], "unique": False}],
        "list": {
            "columns": names[:6],
            "filters": ["stage", "created_at"],
            "sort": ["-created_at", "title"],
            "page_size": 50,
            "views": [
                {"name": "mine", "label": _label("我的", "Mine"), "filter": "owner == current_user"},
                {"name": "open", "label": _label("进行中", "Open"), "filter": 'stage == "open"'},
            ],
        },
        "permissions": [
            {"role": "employee", "create": True, "read": "own", "write": "own", "submit": "own"},
            {"role": "admin", "read": "all", "write": "all", "delete": "all", "export": True},
        ],
    }


def form_document(entity: dict[str, Any]) -> dict[str, Any]:
    names = [item["name"] for item in entity["fields"]]
    return {
        "kind": "form",
        "name": entity["name"],
        "label": entity["label"],
        "entity": entity["name"],
        "sections": [
            {
                "name": "basic",
                "label": _label("基本信息", "Basics"),
                "columns": 2,
                "fields": [names[0], {"field": names[1], "span": 2}, *names[2:5]],
            },
            {
                "name": "more",
                "label": _label("更多", "More"),
                "visible_when": 'stage != "draft"',
                "fields": [
                    {"field": name, "required_when": "amount > 1000.0"} if k % 3 == 0 else name
                    for k, name in enumerate(names[5:])
                ],
            },
        ],
    }


def flow_document(entity: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "flow",
        "name": f"{entity['name']}_approval",
        "label": _label("审批", "Approval"),
        "entity": entity["name"],
        "nodes": [
            {
                "name": "manager",
                "label": _label("主管", "Manager"),
                "approve": {"manager": 1},
                "empty": "admin",
            },
            {
                "name": "by_amount",
                "label": _label("按金额", "By amount"),
                "branch": [
                    {
                        "name": "large",
                        "label": _label("大额", "Large"),
                        "when": "amount >= 10000.0",
                        "nodes": [
                            {
                                "name": "admin_review",
                                "label": _label("管理员", "Admin"),
                                "approve": {"role": "admin"},
                            }
                        ],
                    },
                    {"name": "small", "label": _label("小额", "Small"), "else": []},
                ],
            },
            {"name": "cc_admin", "label": _label("抄送", "Copy"), "cc": {"role": "admin"}},
        ],
    }


def write_package(folder: Path, entities: int, fields: int, every: int = 10) -> int:
    """Write the generated package under ``folder``; returns the number of documents."""
    manifest = {"kind": "app", "name": "bench", "label": _label("基准", "Benchmark"), "version": "1.0.0"}
    documents: dict[str, dict[str, Any]] = {"app.yaml": manifest}
    for i in range(entities):
        entity = entity_document(i, entities, fields)
        documents[f"entities/{entity['name']}.yaml"] = entity
        if i % every == 0:
            documents[f"forms/{entity['name']}.yaml"] = form_document(entity)
            documents[f"flows/{entity['name']}.yaml"] = flow_document(entity)
    for relative, data in documents.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return len(documents)


# -- timing -------------------------------------------------------------------------------------

STAGES = (
    "read + parse YAML with positions",
    "JSON Schema checks",
    "semantic checks, CEL, Catalog",
)


@dataclass
class Timing:
    """Milliseconds of each timed run."""

    runs: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "best_ms": round(self.best, 2),
            "median_ms": round(self.median, 2),
            "runs_ms": [round(r, 2) for r in self.runs],
        }


@contextmanager
def schema_check_timer(total: list[float]) -> Iterator[None]:
    """Add the seconds spent in Loom's JSON Schema checks to ``total[0]`` while inside."""
    real = loom_validator.check_document

    def timed(document: Any) -> Any:
        start = time.perf_counter()
        try:
            return real(document)
        finally:
            total[0] += time.perf_counter() - start

    loom_validator.check_document = timed
    try:
        yield
    finally:
        loom_validator.check_document = real


def loom_run(paths: list[Path]) -> tuple[float, dict[str, float], Result]:
    """One ``validate_paths`` (read_sources, then validate_sources), timed by stage."""
    compile_expression.cache_clear()
    gc.collect()
    schema = [0.0]
    start = time.perf_counter()
    sources = read_sources(paths, with_builtin=False)
    read = time.perf_counter()
    with schema_check_timer(schema):
        result = validate_sources(sources)
    end = time.perf_counter()
    parts = ((read - start) * 1000, schema[0] * 1000, (end - read - schema[0]) * 1000)
    stages = dict(zip(STAGES, parts, strict=True))
    return (end - start) * 1000, stages, result


@dataclass
class Case:
    name: str
    paths: list[Path]
    documents: int
    target_ms: float | None
    runs: int
    loom: Timing = field(default_factory=Timing)
    baseline: Timing = field(default_factory=Timing)
    first_ms: float | None = None
    stages: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.problems:
            return "INVALID"
        if self.target_ms is None:
            return "-"
        return "PASS" if self.loom.median < self.target_ms else "OVER"

    @property
    def ratios(self) -> list[float]:
        """Loom / baseline, round by round (each pair measured back to back)."""
        return [a / b for a, b in zip(self.loom.runs, self.baseline.runs, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "documents": self.documents,
            "runs": self.runs,
            "target_ms": self.target_ms,
            "status": self.status,
            "loom": self.loom.as_dict(),
            "first_run_ms": round(self.first_ms, 2) if self.first_ms is not None else None,
            "baseline": self.baseline.as_dict(),
            "ratio_loom_to_baseline": round(self.ratio, 2),
            "ratio_spread": [round(min(self.ratios), 2), round(max(self.ratios), 2)],
            "stages_median_ms": {k: round(v, 2) for k, v in self.stages.items()},
            "problems": self.problems,
        }


def run_case(case: Case, warm_up: bool) -> None:
    """Time Loom and the baseline on ``case`` in alternate rounds; ``warm_up`` runs each once
    untimed first."""
    files = baseline_files(case.paths)
    if warm_up:
        case.first_ms, _, _ = loom_run(case.paths)
        baseline_once(files)
    stages: list[dict[str, float]] = []
    for _ in range(case.runs):
        ms, split, result = loom_run(case.paths)
        case.loom.runs.append(ms)
        stages.append(split)
        gc.collect()
        start = time.perf_counter()
        baseline_once(files)
        case.baseline.runs.append((time.perf_counter() - start) * 1000)
    case.problems = [p.render() for p in result.problems[:20]]
    case.stages = {stage: statistics.median(s[stage] for s in stages) for stage in STAGES}


# -- the baseline: libyaml + jsonschema-rs -------------------------------------------------------


@cache
def baseline_validators() -> dict[str, Any]:
    schemas = {name: load_schema(name) for name in (*KINDS, "common")}
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
    return {kind: jsonschema_rs.validator_for(schemas[kind], registry=registry) for kind in KINDS}


def baseline_files(paths: list[Path]) -> list[Path]:
    return sorted(p for root in paths for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


def baseline_once(files: list[Path]) -> int:
    """Read, parse and schema-check every document; returns the number of invalid ones."""
    validators = baseline_validators()
    invalid = 0
    for path in files:
        for data in yaml.load_all(path.read_text("utf-8"), Loader=KeysAsText):
            invalid += not validators[data["kind"]].is_valid(data)
    return invalid


# -- output -------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return f"{value:,.1f} ms" if value is not None else ""


def print_text(cases: list[Case], info: dict[str, str]) -> None:
    print("Loom metadata load benchmark")
    print("  " + " | ".join(f"{key} {value}" for key, value in info.items()))
    print("  times are best and median of the runs; CEL's compile cache is cleared before each run;")
    print("  Loom and the baseline alternate; the ratio is the median of the rounds' ratios (min-max)")
    for case in cases:
        print()
        print(f"{case.name}: {case.documents} documents, {case.runs} runs")
        target = _ms(case.target_ms) if case.target_ms is not None else "-"
        print(f"  {'':<38} {'best':>12} {'median':>12} {'target':>12}  status")
        print(
            f"  {'Loom: files -> validated Catalog':<38} {_ms(case.loom.best):>12} "
            f"{_ms(case.loom.median):>12} {target:>12}  {case.status}"
        )
        print(
            f"  {'baseline: libyaml + jsonschema-rs':<38} {_ms(case.baseline.best):>12} "
            f"{_ms(case.baseline.median):>12}"
        )
        spread = f"{min(case.ratios):.2f}-{max(case.ratios):.2f}"
        print(f"  {'Loom / baseline (per round)':<38} {spread:>12} {case.ratio:>11.2f}x")
        if case.first_ms is not None:
            print(f"  {'Loom, first run in the process':<38} {_ms(case.first_ms):>12}")
        print("  Loom by stage (median):")
        for stage, ms in case.stages.items():
            share = ms / sum(case.stages.values()) * 100
            print(f"    {stage:<36} {'':>12} {_ms(ms):>12} {share:>11.0f}%")
        if case.problems:
            print("  the package is not valid, so Loom's time is that of reporting problems:")
            for problem in case.problems:
                print(f"    {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=DEFAULT_ENTITIES, help="generated entities (500)")
    parser.add_argument("--fields", type=int, default=DEFAULT_FIELDS, help="fields per entity (30, min 8)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs on the builtin apps (5)")
    parser.add_argument("--generated-runs", type=int, default=3, help="timed runs on the generated one (3)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--skip-generated", action="store_true", help="measure the builtin apps only")
    parser.add_argument("--package-dir", type=Path, help="write the generated package here and keep it")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if min(args.entities, args.runs, args.generated_runs) < 1 or args.fields < MIN_FIELDS:
        parser.error(f"--entities and the run counts must be at least 1, --fields at least {MIN_FIELDS}")

    pyyaml = f"{yaml.__version__} ({'libyaml' if YAML_LOADER is not yaml.SafeLoader else 'pure Python'})"
    info = {
        "loom": loom.__version__,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "PyYAML": pyyaml,
        "jsonschema-rs": version("jsonschema-rs"),
        "machine": f"{platform.machine()} {platform.system()}",
    }
    builtin = [BUILTIN_APPS / "oa", BUILTIN_APPS / "crm"]
    cases = [
        Case("builtin apps (oa, crm)", builtin, len(baseline_files(builtin)), BUILTIN_TARGET_MS, args.runs)
    ]
    with tempfile.TemporaryDirectory(prefix="loom-bench-") as tmp:
        if not args.skip_generated:
            folder = args.package_dir or Path(tmp) / "bench"
            count = write_package(folder, args.entities, args.fields)
            default_size = (args.entities, args.fields) == (DEFAULT_ENTITIES, DEFAULT_FIELDS)
            cases.append(
                Case(
                    f"generated package ({args.entities} entities x {args.fields} fields)",
                    [folder],
                    count,
                    GENERATED_TARGET_MS if default_size else None,
                    args.generated_runs,
                )
            )
        for i, case in enumerate(cases):
            if args.format == "text":
                print(f"measuring {case.name} ...", file=sys.stderr, flush=True)
            run_case(case, warm_up=i == 0)

    if args.format == "json":
        report = {"info": info, "cases": [case.as_dict() for case in cases]}
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_text(cases, info)
    failed = ("OVER", "INVALID") if args.check else ("INVALID",)
    return 1 if any(case.status in failed for case in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
