"""Reading YAML: positions, duplicate keys, unsafe tags and size limits."""

from __future__ import annotations

from loom.metadata.source import MAX_DOCUMENT_BYTES
from loom.metadata.source import parse_documents


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def test_positions_point_at_values() -> None:
    text = "kind: entity\nname: sale\nfields:\n  - {name: a, type: string}\n  - name: b\n    type: date\n"
    (doc,), problems = parse_documents(text, "sale.yaml")
    assert problems == []
    assert doc.locate("/fields/0/type").line == 4
    loc = doc.locate("/fields/1/type")
    assert (loc.file, loc.line, loc.column) == ("sale.yaml", 6, 11)
    # An absent pointer falls back to its nearest ancestor.
    assert doc.locate("/fields/1/missing").line == 5


def test_several_documents_per_file() -> None:
    docs, problems = parse_documents("kind: role\nname: a\n---\nkind: role\nname: b\n", "roles.yaml")
    assert problems == []
    assert [d.name for d in docs] == ["a", "b"]
    assert docs[1].locate("/name").line == 5


def test_duplicate_keys_are_refused_not_overwritten() -> None:
    (doc,), problems = parse_documents("kind: role\nname: a\nname: b\n", "r.yaml")
    assert codes(problems) == ["yaml.duplicate_key"]
    assert problems[0].location.line == 3
    assert problems[0].params["first_line"] == 2
    assert doc.data["name"] == "a"


def test_python_tags_are_refused() -> None:
    _, problems = parse_documents("kind: role\nname: !!python/object:os.system x\n", "r.yaml")
    assert codes(problems) == ["yaml.tag"]


def test_on_stays_a_key_and_dates_stay_text() -> None:
    (doc,), _ = parse_documents("on: {created: x}\nwhen: 2024-01-01\n", "a.yaml")
    assert doc.data == {"on": {"created": "x"}, "when": "2024-01-01"}


def test_syntax_error_is_located() -> None:
    docs, problems = parse_documents("kind: role\nname: [a, b\nlabel: x\n", "r.yaml")
    assert docs == []
    assert codes(problems) == ["yaml.syntax"]
    # The flow sequence opened on line 2 is found unclosed where line 3 starts a mapping key.
    assert (problems[0].location.file, problems[0].location.line) == ("r.yaml", 3)


def test_non_mapping_document() -> None:
    _, problems = parse_documents("- just\n- a list\n", "r.yaml")
    assert codes(problems) == ["yaml.not_mapping"]


def test_alias_bomb_is_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    _, problems = parse_documents("\n".join(lines), "bomb.yaml")
    assert codes(problems) == ["yaml.too_complex"]


def test_size_limit() -> None:
    _, problems = parse_documents("a: " + "x" * MAX_DOCUMENT_BYTES, "big.yaml")
    assert codes(problems) == ["load.too_large"]
