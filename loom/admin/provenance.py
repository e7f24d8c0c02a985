"""Where each field of an entity comes from: the console's "来源" page.

A consultant looking at a field that does not behave as the package documents wants to know
which layer changed it: ``loom explain-metadata`` answers on the command line; this page gives
the same rows (revisions/provenance.py) for every field of an entity at once, with the author
and time of a published revision, so that nobody needs a shell to find them.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_admin import BaseView
from flask_admin import expose
from sqlalchemy import select

from loom.platform.api.auth import services
from loom.platform.revisions.provenance import explain_all

from .access import AdminOnly
from .labels import text

LAYERS = {
    "package": {"zh": "应用包", "en": "Package"},
    "site overlay": {"zh": "站点覆盖文件", "en": "Site overlay"},
    "revision": {"zh": "发布版本", "en": "Revision"},
}


class ProvenanceView(AdminOnly, BaseView):
    """Per field of the chosen entity: each property, its value and the layer that set it."""

    @expose("/")
    def index(self) -> str:
        runtime = services().runtime
        entities = {name: e for name, e in runtime.catalog.entities.items() if not e.child}
        chosen = request.args.get("entity", "")
        entity = entities.get(chosen) or next(iter(entities.values()), None)
        panels: list[dict[str, Any]] = []
        if entity is not None and runtime.site is not None:
            targets = {f"{entity.qualified_name}.{field.name}": field for field in entity.fields}
            explained = explain_all(runtime.site, runtime.engine, list(targets))
            authors = self._authors({row.get("author_id") for rows in explained.values() for row in rows})
            panels = [
                {"field": field, "rows": [self._row(row, authors) for row in explained[target]]}
                for target, field in targets.items()
            ]
        options = [(name, text(e.label)) for name, e in entities.items()]
        current = entity.qualified_name if entity else ""
        return self.render("loom_admin/provenance.html", options=options, current=current, panels=panels)

    def _authors(self, ids: set[Any]) -> dict[int, str]:
        users = services().runtime.schema.metadata.tables["loom_users"]
        wanted = sorted(i for i in ids if i is not None)
        with services().runtime.engine.connect() as conn:
            return dict(conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(wanted))).all())

    @staticmethod
    def _row(row: dict[str, Any], authors: dict[int, str]) -> dict[str, Any]:
        """A row as the page shows it: the layer in the reader's language and what names it."""
        layer = row["layer"]
        if layer == "package":
            detail = f"{row.get('app')} {row.get('version') or ''}".strip()
        elif layer == "revision":
            at = row["at"].isoformat(timespec="minutes") if row.get("at") else ""
            author = authors.get(row["author_id"], "") if row.get("author_id") is not None else ""
            detail = " · ".join(x for x in (f"#{row['revision']}", author, at) if x)
        else:
            detail = ""
        value = json.dumps(row["value"], ensure_ascii=False, default=str)
        return {"property": row["property"], "value": value, "layer": text(LAYERS[layer]), "detail": detail,
                "source": row["source"]}  # fmt: skip
