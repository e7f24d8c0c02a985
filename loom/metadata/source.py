"""Reading YAML and JSON text into documents that remember where every value came from.

PyYAML's safe composer builds the node tree (libyaml when available); we construct the
data ourselves so that every value gets a JSON pointer → (line, column) entry, duplicate
keys are refused instead of silently overwritten, and aliases cannot blow up memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import cast

import yaml
from yaml.constructor import ConstructorError
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode
from yaml.nodes import Node
from yaml.nodes import ScalarNode
from yaml.nodes import SequenceNode

from .problems import Location
from .problems import Problem

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_NODES = 500_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)


@dataclass(frozen=True, slots=True)
class Document:
    """One metadata document: its data and the source location of every value in it.

    ``positions`` maps JSON pointers to locations. Documents built by merging overlays
    hold locations in several files, which is why each entry names its file.
    """

    data: dict[str, Any]
    positions: Mapping[str, Location]
    file: str
    app: str | None = None

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    def locate(self, pointer: str) -> Location:
        """The location of ``pointer``, or of its nearest ancestor that has one."""
        return self.source_of(pointer)[0]

    def source_of(self, pointer: str) -> tuple[Location, str]:
        """The location of ``pointer`` and the pointer of the same value in its own file.

        They differ only in documents merged from overlays, where a field added at
        ``/patch/fields/0`` of an overlay may sit at ``/fields/4`` of the merged entity.
        """
        matched = pointer
        while True:
            found = self.positions.get(matched)
            if found is not None:
                origin = found.pointer if found.pointer is not None else matched
                return found, origin + pointer[len(matched) :]
            if not matched:
                return Location(self.file), pointer
            matched = matched.rsplit("/", 1)[0]

    def problem(self, code: str, pointer: str = "", **params: Any) -> Problem:
        location, origin = self.source_of(pointer)
        return Problem(code, location, origin, params)


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(base: str, *tokens: str | int) -> str:
    return base + "".join("/" + escape_pointer_token(t) for t in tokens)


class _TooComplex(Exception):
    pass


class _Builder:
    """Builds plain data from a YAML node tree, recording positions and problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[str, Location] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self.scalars = SafeConstructor()

    def location(self, node: Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def build(self, node: Node, pointer: str) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooComplex
        self.positions[pointer] = self.location(node)
        if isinstance(node, MappingNode | SequenceNode) and node.tag not in _COLLECTION_TAGS:
            self.problems.append(self._tag_problem(node, pointer))
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, pointer)
        if isinstance(node, SequenceNode):
            return [self.build(item, f"{pointer}/{i}") for i, item in enumerate(node.value)]
        return self._scalar(cast(ScalarNode, node), pointer)

    def _tag_problem(self, node: Node, pointer: str) -> Problem:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        return Problem("yaml.tag", self.location(node), pointer, {"tag": tag})

    def _mapping(self, node: MappingNode, pointer: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.problems.append(Problem("yaml.merge_key", self.location(key_node), pointer))
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    Problem("yaml.bad_key", self.location(key_node), pointer, {"actual": "a collection"})
                )
                continue
            # Keys are names, never YAML 1.1 booleans: `on:` must stay "on".
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first_lines:
                self.problems.append(
                    Problem(
                        "yaml.duplicate_key",
                        self.location(key_node),
                        join_pointer(pointer, key),
                        {"key": key, "first_line": first_lines[key]},
                    )
                )
                continue
            first_lines[key] = line
            result[key] = self.build(value_node, join_pointer(pointer, key))
        return result

    def _scalar(self, node: ScalarNode, pointer: str) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.problems.append(self._tag_problem(node, pointer))
            return None
        if node.tag == _TIMESTAMP_TAG:
            # Dates stay text: metadata never wants a date object (nor JSON Schema), and an
            # impossible one such as 2024-02-30 is then the validator's to judge, not a crash.
            return node.value
        try:
            return self.scalars.construct_object(node)
        except (ConstructorError, ValueError, OverflowError) as exc:
            detail = exc.problem if isinstance(exc, ConstructorError) else str(exc)
            self.problems.append(
                Problem("yaml.syntax", self.location(node), pointer, {"detail": detail or ""})
            )
            return None


def parse_documents(text: str, file: str, app: str | None = None) -> tuple[list[Document], list[Problem]]:
    """Parse every YAML/JSON document in ``text``; never raises for bad input."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        return [], [
            Problem("load.too_large", Location(file), "", {"size": size, "limit": MAX_DOCUMENT_BYTES})
        ]
    documents: list[Document] = []
    problems: list[Problem] = []
    try:
        for node in _compose_all(text):
            document, found = _build_document(node, file, app)
            problems.extend(found)
            if document is not None:
                documents.append(document)
    except yaml.YAMLError as exc:
        problems.append(_syntax_problem(exc, file))
    return documents, problems


def _compose_all(text: str) -> Iterator[Node]:
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    finally:
        loader.dispose()


def _build_document(node: Node, file: str, app: str | None) -> tuple[Document | None, list[Problem]]:
    builder = _Builder(file)
    try:
        data = builder.build(node, "")
    except _TooComplex:
        return None, [Problem("yaml.too_complex", builder.location(node), "", {"limit": MAX_NODES})]
    except RecursionError:
        return None, [Problem("yaml.too_complex", builder.location(node), "", {"limit": MAX_NODES})]
    if not isinstance(data, dict):
        return None, [*builder.problems, Problem("yaml.not_mapping", builder.location(node), "")]
    return Document(data, builder.positions, file, app), builder.problems


def _syntax_problem(exc: yaml.YAMLError, file: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    detail = " ".join(
        str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part
    )
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    return Problem("yaml.syntax", location, "", {"detail": detail or str(exc)})
