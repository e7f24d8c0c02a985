"""Every YAML example in docs/*.md is valid, so a reader who copies one is not misled.

A block is checked according to what it is:

- a complete document (it has ``kind``) is validated with the builtin apps: an overlay as a
  site overlay; any other document at the place its first-line comment ``# file: APP/PATH``
  names in a copy of the builtin apps (replacing the builtin document of that path; an app
  that is not builtin is created). A document marked ``(shortened)`` there may leave other
  documents reading what it left out: only the problems in its own file count;
- a part of a document (no ``kind``): a list of entity fields (items with ``type``) or of flow
  nodes, or a mapping of an entity's or a flow's top-level keys, is schema-checked inside a
  minimal document of that kind; a mapping of site settings is read as a site's ``site.yaml``;
- anything else must start with the comment ``# fragment`` (a lone key, a record file) and is
  only parsed.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from loom.metadata import Catalog
from loom.metadata import validate_paths
from loom.metadata.loader import BUILTIN_APPS
from loom.metadata.schema_check import check_document
from loom.metadata.source import Document
from loom.platform.site import open_site

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^( *)```ya?ml\n(.*?)^\1```", re.S | re.M)
FILE = re.compile(r"^# file: (([a-z_]+)/\S+\.yaml)(.*)")
ENTITY_KEYS = {
    "fields", "rules", "list", "permissions", "indexes", "title_field", "summary", "audit", "child",
}  # fmt: skip
FLOW_KEYS = {"nodes", "entity", "trigger", "batch_approve", "locked", "revoke", "summary"}
SITE_KEYS = {
    "database", "apps", "locale", "time_zone", "currency", "secret_key", "max_upload_bytes", "smtp",
    "session_idle_minutes", "session_lifetime_hours", "session_cookie_secure", "trusted_proxies",
    "require_database", "require_if_match",
}  # fmt: skip


def _examples() -> list[pytest.param]:
    found = []
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            body = "\n".join(row[len(match.group(1)) :] for row in match.group(2).splitlines())
            found.append(pytest.param(body, id=f"{path.name}:{line}"))
    return found


@pytest.mark.parametrize("body", _examples())
def test_yaml_example_is_valid(body: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load(body)
    if body.startswith("# fragment"):
        return
    if isinstance(data, dict) and "kind" in data:
        _check_document(body, data, tmp_path)
    elif isinstance(data, dict) and set(data) <= SITE_KEYS:
        (tmp_path / "site.yaml").write_text(body, encoding="utf-8")
        if data.get("require_database") == "postgresql":  # as deploy.md's environment file gives it
            monkeypatch.setenv("LOOM_DATABASE_URL", "postgresql://loom@127.0.0.1/loom")
        assert open_site(tmp_path, create=False).settings.apps
    elif isinstance(data, list) and not all(isinstance(item, dict) and "type" in item for item in data):
        _check_part({"kind": "flow", "name": "example", "label": "Example", "entity": "x", "nodes": data})
    elif isinstance(data, list) or (isinstance(data, dict) and set(data) <= ENTITY_KEYS):
        fields = data if isinstance(data, list) else data.get("fields", [{"name": "x", "type": "string"}])
        entity = {**({} if isinstance(data, list) else data), "fields": fields}
        _check_part({"kind": "entity", "name": "example", "label": "Example", **entity})
    elif isinstance(data, dict) and set(data) <= FLOW_KEYS:
        nodes = [{"name": "example", "approve": {"role": "x"}}]  # when the part leaves them out
        flow = {"kind": "flow", "name": "example", "label": "Example", "entity": "x", "nodes": nodes}
        _check_part({**flow, **data})
    else:
        pytest.fail("not a document nor a known part of one: start it with '# fragment' if it is meant so")


def _check_document(body: str, data: dict, tmp_path: Path) -> None:
    if data["kind"] == "overlay":
        overlay = tmp_path / "overlay.yaml"
        overlay.write_text(body, encoding="utf-8")
        result = validate_paths([BUILTIN_APPS], [overlay])
    else:
        target = FILE.match(body)
        assert target, "a complete example starts with '# file: APP/PATH' naming where it lives"
        apps = tmp_path / "apps"
        shutil.copytree(BUILTIN_APPS, apps)
        path, app, note = apps / target.group(1), target.group(2), target.group(3)
        if not (apps / app).is_dir():
            (apps / app).mkdir()
            (apps / app / "app.yaml").write_text(f"kind: app\nname: {app}\nlabel: {app}\nversion: 1.0.0\n")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        result = validate_paths([apps], with_builtin=False)
        if "(shortened)" in note:
            result = replace(
                result, problems=tuple(p for p in result.problems if p.location.file == str(path))
            )
    assert [p.render() for p in result.problems] == []


def _check_part(data: dict) -> None:
    problems = check_document(Document(data, {}, "example.yaml"))
    assert [(p.pointer, p.code, p.params) for p in problems] == []


def _builtin_catalog() -> Catalog:
    result = validate_paths([BUILTIN_APPS])
    assert result.catalog is not None
    return result.catalog


def _doc_lines() -> list[tuple[str, str]]:
    return [
        (f"{path.name}:{number}", line)
        for path in sorted(DOCS.glob("*.md"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
    ]


def test_roles_given_in_commands_exist() -> None:
    declared = {d.name for d in _builtin_catalog().of_kind("role")} | {"admin", "employee"}
    given = [
        (where, role) for where, line in _doc_lines() for role in re.findall(r"--roles? ([a-z]\w*)", line)
    ]
    assert given, "the docs create users with roles"
    assert [(where, role) for where, role in given if role not in declared] == []


def test_records_written_in_api_examples_have_those_fields() -> None:
    """Unless the example's answer is the ``unknown`` error for that key."""
    catalog = _builtin_catalog()
    write = re.compile(r"-X (?:POST|PATCH) \$BASE/(\w+)/(\w+)(?:/\d+)? .*-d '(\{.*\})'")
    lines = _doc_lines()
    checked = []
    for (where, line), (_, answer) in zip(lines, [*lines[1:], ("", "")], strict=True):
        match = write.search(line)
        if match and f"{match[1]}.{match[2]}" in catalog.entities:
            entity = catalog.entity(f"{match[1]}.{match[2]}")
            unknown = set(json.loads(match[3])) - {f.name for f in entity.fields} - {"version"}
            refused = set(re.findall(r'"field": "(\w+)", "code": "unknown"', answer))
            checked.append((where, sorted(unknown - refused)))
    assert len(checked) >= 5
    assert [(where, unknown) for where, unknown in checked if unknown] == []
