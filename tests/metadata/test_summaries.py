"""An entity's ``summary`` is checked like every expression: each placeholder of each language
names a field that reads as short text, and each problem is located at its file, line and
language."""

from __future__ import annotations

from pathlib import Path

from loom.metadata import validate_paths

LEAVE = """\
    kind: entity
    name: leave
    label: {zh: 请假, en: Leave}
    summary:
      zh: "{{ kind }} {{ dayz }}天 · {{ start }}"
      en: "{{ kind }} · {{ notes }} · {{ days }"
    fields:
      - {name: kind, type: select, options: [annual, sick]}
      - {name: days, type: decimal}
      - {name: start, type: date}
      - {name: notes, type: rich_text}
    """


def problems(write_package, files: dict[str, str]) -> list[tuple[str, str, int, str]]:
    folder = write_package(files)
    result = validate_paths([folder])
    return [
        (p.code, str(Path(p.location.file).relative_to(folder)), p.location.line, p.pointer)
        for p in result.problems
    ]


def test_each_bad_placeholder_is_located(write_package) -> None:
    found = problems(write_package, {"entities/leave.yaml": LEAVE})
    assert sorted(found) == [
        ("entity.summary_field", "entities/leave.yaml", 6, "/summary/en"),  # rich text is no one-liner
        ("entity.summary_syntax", "entities/leave.yaml", 6, "/summary/en"),  # "{{ days }" is not closed
        ("ref.unknown_field", "entities/leave.yaml", 5, "/summary/zh"),  # dayz
    ]


def test_the_messages_say_how_a_placeholder_is_written(write_package) -> None:
    result = validate_paths([write_package({"entities/leave.yaml": LEAVE})])
    messages = {p.code: (p.message("en"), p.message("zh")) for p in result.problems}
    assert (
        messages["ref.unknown_field"][0] == "entity 'shop.leave' has no field 'dayz' (did you mean 'days'?)"
    )
    assert messages["entity.summary_syntax"] == (
        "a summary's placeholders are {{ field }}, each opened and closed once",
        "摘要的占位符写作 {{ 字段 }}，每个都要成对出现",
    )


def test_a_summary_may_name_system_fields(write_package) -> None:
    lines = LEAVE.splitlines(keepends=True)
    lines[4] = '      zh: "{{ kind }} {{ days }}天 · {{ start }} · {{ created_by }}"\n'
    lines[5] = '      en: "{{ kind }} · {{ days }} days · {{created_at}}"\n'
    assert problems(write_package, {"entities/leave.yaml": "".join(lines)}) == []
