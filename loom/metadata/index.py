"""The index of a package set: documents by kind and qualified name, and reference resolution.

Semantic checks ask the index what a name refers to. Documents that failed their schema
check are registered as *broken*: references to them are not reported again, so one
mistake yields one problem, not a cascade.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from .source import Document
from .versions import dependencies

BUILTIN_ROLES = ("admin", "employee")
KIND_NAMES = {
    "app": {"en": "app", "zh": "应用"},
    "entity": {"en": "entity", "zh": "实体"},
    "form": {"en": "form", "zh": "表单"},
    "flow": {"en": "flow", "zh": "流程"},
    "automation": {"en": "automation", "zh": "自动化"},
    "role": {"en": "role", "zh": "角色"},
    "report": {"en": "report", "zh": "报表"},
    "dashboard": {"en": "dashboard", "zh": "工作台"},
    "overlay": {"en": "overlay", "zh": "覆盖层"},
    "data": {"en": "data set", "zh": "数据集"},
}
SYSTEM_COLUMNS = (
    "id",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "owner",
    "version",
    "flow_status",
)
Key = tuple[str, str, str]  # (kind, app, name)


@dataclass
class Index:
    """Valid documents by (kind, app, name), the apps' manifests, and the broken keys."""

    manifests: dict[str, Document] = dc_field(default_factory=dict)
    documents: dict[Key, Document] = dc_field(default_factory=dict)
    broken: set[Key] = dc_field(default_factory=set)
    installable: frozenset[str] = frozenset()

    def add(self, document: Document) -> None:
        if document.kind == "app":
            self.manifests[document.name] = document
        else:
            self.documents[(document.kind, document.app or "", document.name)] = document

    def of_kind(self, kind: str) -> Iterator[Document]:
        return (doc for (k, _, _), doc in self.documents.items() if k == kind)

    def depends(self, app: str) -> tuple[str, ...]:
        manifest = self.manifests.get(app)
        return tuple(dependencies(manifest.data)) if manifest else ()

    def split(self, ref: str, app: str) -> tuple[str, str]:
        """``name`` → (app, name) in the referring app; ``other.name`` → (other, name)."""
        if "." in ref:
            owner, name = ref.split(".", 1)
            return owner, name
        return app, ref

    def resolve(self, kind: str, ref: str, app: str) -> Resolution:
        owner, name = self.split(ref, app)
        key = (kind, owner, name)
        if owner != app and owner not in self.depends(app):
            # Naming an app that exists somewhere is a missing 'depends'; any other is a typo.
            exists = owner in self.manifests or owner in self.installable
            return Resolution(None, key, broken=False, undeclared=exists)
        if key in self.broken:
            return Resolution(None, key, broken=True)
        return Resolution(self.documents.get(key), key)

    def suggest(self, kind: str, ref: str, app: str) -> dict[str, str]:
        """A 'did you mean' hint among the names of ``kind`` visible from ``app``."""
        visible = [
            name if owner == app else f"{owner}.{name}"
            for (k, owner, name) in self.documents
            if k == kind and (owner == app or owner in self.depends(app))
        ]
        return did_you_mean(ref, visible)

    def role_names(self) -> set[str]:
        declared = {name for (kind, _, name) in (*self.documents, *self.broken) if kind == "role"}
        return declared | set(BUILTIN_ROLES)


@dataclass(frozen=True, slots=True)
class Resolution:
    document: Document | None
    key: Key
    broken: bool = False
    undeclared: bool = False

    @property
    def missing(self) -> bool:
        return self.document is None and not self.broken and not self.undeclared


def did_you_mean(value: Any, choices: Iterable[str]) -> dict[str, str]:
    """A localized '(did you mean …?)' hint, empty when nothing is close."""
    close = difflib.get_close_matches(value, list(choices), n=1) if isinstance(value, str) else []
    if not close:
        return {"en": "", "zh": ""}
    return {"en": f" (did you mean '{close[0]}'?)", "zh": f"（是否应为“{close[0]}”？）"}


def fields_of(entity: Document) -> dict[str, dict[str, Any]]:
    """An entity document's fields by name (first wins; duplicates are reported elsewhere)."""
    found: dict[str, dict[str, Any]] = {}
    for item in entity.data.get("fields", []):
        found.setdefault(item["name"], item)
    return found
