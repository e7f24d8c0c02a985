"""The OA package speaks both languages: every label, message and option has zh and en."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

import loom

OA = Path(loom.__file__).parent / "builtin_apps" / "oa"
TEXTS = ("label", "message", "title", "confirm", "help", "description", "placeholder")
ASSIGNMENTS = ("set", "values", "records")  # field values and seed records, not texts
FIELD_NAMES = ("card",)  # a phone card's title and fields name fields, they are not texts
NAMED_LISTS = (
    "fields",
    "options",
    "nodes",
    "branch",
    "parallel",
    "views",
    "sections",
    "measures",
    "params",
    "rules",
)


def gaps(node: Any, path: str) -> Iterator[str]:
    """Paths of texts missing a language, and of named items without a label."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}/{key}"
            if key in ASSIGNMENTS or key in FIELD_NAMES:
                continue
            if key in TEXTS and not (isinstance(value, dict) and {"zh", "en"} <= set(value)):
                yield here
            elif key in NAMED_LISTS and isinstance(value, list):
                for index, item in enumerate(value):
                    text = "message" if key == "rules" else "label"
                    if isinstance(item, dict) and "field" not in item and text not in item:
                        yield f"{here}/{index}"
                    yield from gaps(item, f"{here}/{index}")
            else:
                yield from gaps(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from gaps(item, f"{path}/{index}")


def test_every_document_of_the_oa_package_is_labelled_in_chinese_and_english() -> None:
    missing = []
    for file in sorted(OA.rglob("*.yaml")):
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        if "label" not in document:
            missing.append(f"{file.relative_to(OA)}: no label")
        missing += [f"{file.relative_to(OA)}: {gap}" for gap in gaps(document, "")]
    assert missing == []
