"""The validator reports automations that would trigger each other without end."""

from __future__ import annotations

from loom.metadata import validate_paths

ENTITIES = {
    "entities/a.yaml": "kind: entity\nname: a\nlabel: A\nfields: [{name: n, type: integer}]\n",
    "entities/b.yaml": "kind: entity\nname: b\nlabel: B\nfields: [{name: n, type: integer}]\n",
}


def automation(name: str, trigger: str, action: str, guard: str = "") -> str:
    return f"kind: automation\nname: {name}\nlabel: {name}\non: {trigger}\n{guard}do:\n  - {action}\n"


def problems(write_package, automations: dict[str, str]) -> list[str]:
    files = {f"automations/{name}.yaml": text for name, text in automations.items()}
    result = validate_paths([write_package({**ENTITIES, **files})])
    return [p.render() for p in result.problems]


def test_creates_that_feed_each_other_are_a_cycle(write_package) -> None:
    found = problems(
        write_package,
        {
            "make_b": automation("make_b", "{created: a}", "create: {entity: b, values: {n: record.n}}"),
            "make_a": automation("make_a", "{created: b}", "create: {entity: a, values: {n: record.n}}"),
        },
    )
    assert len(found) == 1
    assert "make_a.yaml:4:" in found[0] and "shop.make_a → shop.make_b → shop.make_a" in found[0]


def test_a_field_fed_from_itself_on_update_is_a_cycle(write_package) -> None:
    bump = automation("bump", "{updated: a}", 'set: {n: "record.n + 1"}')
    assert [p.split(": ", 2)[-1] for p in problems(write_package, {"bump": bump})] == [
        "these automations trigger each other without end: shop.bump → shop.bump; "
        "add an 'if' that stops the chain"
    ]


def test_a_guard_or_a_converging_write_is_not_reported(write_package) -> None:
    guarded = automation("bump", "{updated: a}", 'set: {n: "record.n + 1"}', guard='if: "record.n < 10"\n')
    converging = automation("reset", "{updated: b}", 'set: {n: "0"}')
    assert problems(write_package, {"bump": guarded, "reset": converging}) == []
