"""What the validator and the migration planner say, in a business admin's words.

The validator speaks of documents, pointers and entities; the designer shows each problem
next to the input it is about (the form's names, a field's row) and calls things 表单, 字段
and 发布. The migration plan becomes sentences: what is created, and how many other steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import ngettext

from loom.metadata import Problem
from loom.platform.migrations import Plan
from loom.platform.web.i18n import current_lang

from .change import FormChange
from .design import FormDesign

FIELD_POINTER = re.compile(r"^/fields/(\d+)(/|$)")
PLACES = {"/name": "name", "/label": "label_zh"}
# Words of the metadata language a business admin should not have to learn.
JARGON = {
    "zh": (("子实体", "子表单"), ("实体", "表单"), ("CEL", "公式"), ("迁移", "发布"), ("元数据", "设计")),
    "en": (("entity", "form"), ("Entity", "Form"), ("CEL", "formula"), ("migration", "publish")),
}


def problems(found: Iterable[Problem], design: FormDesign | None = None) -> dict[str, str]:
    """Problems keyed by the input of a new form's ``design`` they are about, or "" for the page
    as a whole (always so for a changed form: its documents do not follow the page's rows)."""
    lang = current_lang()
    shown: dict[str, list[str]] = {}
    for problem in found:
        key = "" if design is None else _input_of(problem, design)
        shown.setdefault(key, []).append(plain(problem.message(lang), lang))
    return {key: "；".join(texts) if lang == "zh" else "; ".join(texts) for key, texts in shown.items()}


def _input_of(problem: Problem, design: FormDesign) -> str:
    """The input a problem is about: a field's row (of the entity's fields, or the detail table
    whose child entity it is in), the new app's name, the form's names, or the page."""
    file = problem.location.file
    rows = list(design.names_by_row().items())
    if file.endswith("/app.yaml"):
        return "new_app_name"
    if file.endswith(f"/entities/{design.entity_name}.yaml"):
        matched = FIELD_POINTER.match(problem.pointer)
        if matched and int(matched.group(1)) < len(rows):
            return f"fields-{rows[int(matched.group(1))][0]}"
        return PLACES.get(problem.pointer, "")
    for number, name in rows:
        if file.endswith(f"/entities/{design.child_name(name)}.yaml"):
            return f"fields-{number}"
    return ""


def plain(message: str, lang: str) -> str:
    for jargon, word in JARGON[lang]:
        message = message.replace(jargon, word)
    return message


def plan(planned: Plan, design: FormDesign) -> list[str]:
    """What publishing does, one sentence a step that matters to the admin."""
    names = [design.entity_name] + [
        design.child_name(name) for name, row in zip(design.field_names(), design.field_rows, strict=True)
        if row.type == "table"
    ]  # fmt: skip
    tables = [f"{design.app_name}_{name}" for name in names]
    said: list[str] = []
    if not design.app:
        said.append(_("A new app %(name)s is added to the site.", name=design.new_app_label))
    ours = [
        step for step in planned.pending
        if step.table in tables or any(step.table.startswith(f"{table}__") for table in tables)
    ]  # fmt: skip
    if ours:
        said.append(
            ngettext(
                "The form %(name)s is created, with %(num)d field.",
                "The form %(name)s is created, with %(num)d fields.",
                len(design.field_rows),
                name=design.label_zh,
            )
        )
    elsewhere = len(planned.pending) - len(ours)
    if elsewhere:
        said.append(ngettext("%(num)d other step is done.", "%(num)d other steps are done.", elsewhere))
    else:
        said.append(_("Existing forms and their records do not change."))
    return said


def change_plan(planned: Plan, change: FormChange, held: Mapping[str, int] | None = None) -> list[str]:
    """What publishing a changed form does: its new fields by name, the removed ones with how
    many records hold a value in them (archived, restored by a rollback), how many fields change."""
    said: list[str] = []
    lang = current_lang()
    for removed in change.removed():
        name = removed.label_zh if lang == "zh" else removed.label_en or removed.label_zh
        count = (held or {}).get(removed.name, 0)
        if count:
            said.append(
                ngettext(
                    "The field %(name)s is removed: %(num)d record holds a value in it. The values are "
                    "archived, not deleted; rolling this publish back restores the field and its values.",
                    "The field %(name)s is removed: %(num)d records hold a value in it. The values are "
                    "archived, not deleted; rolling this publish back restores the field and its values.",
                    count, name=name,
                )
            )  # fmt: skip
        else:
            said.append(_("The field %(name)s is removed; no record holds a value in it.", name=name))
    if change.added:
        names = (
            "、".join(row.label_zh for row in change.added)
            if current_lang() == "zh"
            else ", ".join(row.label_en or row.label_zh for row in change.added)
        )
        said.append(
            ngettext(
                "%(num)d field is added: %(names)s.", "%(num)d fields are added: %(names)s.",
                len(change.added), names=names,
            )
        )  # fmt: skip
    edited = len(planned.pending) - len(change.added)
    if change.added:
        said.append(_("The records the form holds are kept; new fields are empty on them."))
    elif not change.removed():
        said.append(_("The records the form holds are kept."))
    if edited > 0:
        said.append(ngettext("%(num)d other step is done.", "%(num)d other steps are done.", edited))
    return said


def refusals(planned: Plan) -> str:
    lang = current_lang()
    return "; ".join(plain(getattr(r.reason, lang), lang) for r in planned.refused)
