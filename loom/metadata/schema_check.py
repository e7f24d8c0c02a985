"""JSON Schema checks of documents, with jsonschema's errors turned into Loom problems.

The schemas in ``schemas/`` are the reference of the language. Field schemas branch on
``type`` with ``if``/``then`` so users are told which key is wrong, never that a value
"is not valid under any of the given schemas".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing import Resource

from .index import did_you_mean
from .problems import Problem
from .source import Document
from .source import join_pointer

KINDS = ("app", "entity", "form", "flow", "automation", "role", "report", "dashboard", "overlay", "data")
_SCHEMA_FILES = (*KINDS, "common")
_NAME_PATTERN = "^[a-z][a-z0-9_]*$(?!\n)"
_TYPE_NAMES = {
    "object": {"en": "a mapping", "zh": "映射"},
    "array": {"en": "a list", "zh": "列表"},
    "string": {"en": "text", "zh": "文本"},
    "integer": {"en": "a whole number", "zh": "整数"},
    "number": {"en": "a number", "zh": "数字"},
    "boolean": {"en": "true or false", "zh": "布尔值"},
    "null": {"en": "nothing", "zh": "空值"},
}


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a kind (or ``common``), as shipped in ``schemas/``."""
    text = resources.files(__package__).joinpath(f"schemas/{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validators() -> dict[str, Draft202012Validator]:
    schemas = {name: load_schema(name) for name in _SCHEMA_FILES}
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return {kind: Draft202012Validator(schemas[kind], registry=registry) for kind in KINDS}


@cache
def _fast_validators() -> dict[str, Any]:
    """jsonschema-rs validators, which only answer "valid or not", several times faster.

    Most documents are valid; only the others need jsonschema's detailed errors.
    """
    schemas = {name: load_schema(name) for name in _SCHEMA_FILES}
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
    return {kind: jsonschema_rs.validator_for(schemas[kind], registry=registry) for kind in KINDS}


def check_document(document: Document) -> list[Problem]:
    """Every schema problem of ``document``; an unknown kind is itself the problem."""
    kind = document.data.get("kind")
    if kind not in KINDS:
        if "kind" not in document.data:
            return [document.problem("schema.required", "", key="kind")]
        return [document.problem("schema.enum", "/kind", value=_show(kind), allowed=", ".join(KINDS))]
    try:
        if _fast_validators()[kind].is_valid(document.data):
            return []
    except (ValueError, TypeError, OverflowError):
        pass  # values the fast validator cannot take (huge ints, lone surrogates): ask jsonschema
    validator = _validators()[kind]
    problems = (_to_problem(document, error) for error in _leaf_errors(validator.iter_errors(document.data)))
    # Keyed by message too: one place may miss several keys, each its own problem.
    unique = {(*p.sort_key(), p.message("en")): p for p in problems if p is not None}
    return [unique[key] for key in sorted(unique)]


def _leaf_errors(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    """Replace anyOf/oneOf failures by the sub-error of the branch the author meant."""
    for error in errors:
        while error.validator in ("anyOf", "oneOf") and error.context:
            error = _intended(error.context)
        yield error


def _intended(candidates: list[ValidationError]) -> ValidationError:
    """Prefer a branch that failed on content over one whose type did not even match."""
    on_content = [e for e in candidates if e.validator != "type"]
    return best_match(on_content or candidates)


def _to_problem(document: Document, error: ValidationError) -> Problem | None:
    pointer = join_pointer("", *error.absolute_path)
    keyword = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    if keyword == "required":
        missing = next((key for key in value if key not in instance), value[0])
        return document.problem("schema.required", pointer, key=missing)
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return _unknown_key(document, error, pointer)
    if keyword == "enum":
        allowed = ", ".join(_show(v) for v in value)
        return document.problem(
            "schema.enum",
            pointer,
            value=_show(instance),
            allowed=allowed,
            hint=did_you_mean(instance, [v for v in value if isinstance(v, str)]),
        )
    if keyword == "const":
        return document.problem("schema.const", pointer, expected=_show(value))
    if keyword == "type":
        names = [_TYPE_NAMES[t] for t in _as_list(value)]
        expected = {
            lang: (" or " if lang == "en" else "或").join(n[lang] for n in names) for lang in ("en", "zh")
        }
        return document.problem("schema.type", pointer, expected=expected, actual=_type_of(instance))
    if keyword == "pattern":
        code = "schema.name" if value == _NAME_PATTERN or "[a-z][a-z0-9_]*" in value else "schema.pattern"
        return document.problem(code, pointer, value=_show(instance), pattern=value)
    simple = {
        "minLength": "schema.min_length",
        "maxLength": "schema.max_length",
        "minItems": "schema.min_items",
        "maxItems": "schema.max_items",
        "minProperties": "schema.min_properties",
        "maxProperties": "schema.max_properties",
        "minimum": "schema.minimum",
        "maximum": "schema.maximum",
    }
    if keyword in simple:
        return document.problem(simple[keyword], pointer, limit=value, value=_show(instance))
    if keyword == "uniqueItems":
        return document.problem("schema.unique_items", pointer)
    return document.problem("schema.invalid", pointer, detail=error.message)


def _unknown_key(document: Document, error: ValidationError, pointer: str) -> Problem | None:
    """The first truly unknown key; None when the error only echoes a failed branch."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    known = _known_keys(error.schema if isinstance(error.schema, dict) else {}, instance)
    unknown = [key for key in instance if key not in known]
    if not unknown:
        return None
    key = unknown[0]
    close = did_you_mean(key, sorted(known))
    if close["en"]:
        hint = close
    else:
        names = ", ".join(sorted(known))
        hint = {"en": f"; allowed here: {names}", "zh": f"；此处可用：{names}"}
    return document.problem("schema.unknown_key", join_pointer(pointer, key), key=key, hint=hint)


def _known_keys(schema: dict[str, Any], instance: dict[str, Any]) -> set[str]:
    """Keys a schema allows for this instance: its own, its header's, its matching branches'."""
    keys = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "if" in part and Draft202012Validator(part["if"]).is_valid(instance):
            keys |= set(part.get("then", {}).get("properties", {}))
    if "$ref" in schema and schema["$ref"].endswith("/header"):
        keys |= {"kind", "name", "label", "description"}
    return keys


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _type_of(value: Any) -> dict[str, str]:
    if isinstance(value, bool):
        return _TYPE_NAMES["boolean"]
    for python_type, name in (
        (dict, "object"),
        (list, "array"),
        (str, "string"),
        (int, "integer"),
        (float, "number"),
    ):
        if isinstance(value, python_type):
            return _TYPE_NAMES[name]
    return _TYPE_NAMES["null"]


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
