"""What the validator and the migration planner say, in a business admin's words.

The validator speaks of documents, pointers and entities; the designer shows each problem
next to the input it is about (the form's names, a field's row) and calls things 表单, 字段
and 发布. The migration plan becomes sentences: what is created, and how many other steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
    matched = FIELD_POINTER.match(problem.pointer)
    if matched and int(matched.group(1)) < len(design.fields):
        return f"fields-{matched.group(1)}"
    if problem.location.file.endswith("/app.yaml"):
        return "new_app_name"
    return PLACES.get(problem.pointer, "")


def plain(message: str, lang: str) -> str:
    for jargon, word in JARGON[lang]:
        message = message.replace(jargon, word)
    return message


def plan(planned: Plan, design: FormDesign) -> list[str]:
    """What publishing does, one sentence a step that matters to the admin."""
    table = f"{design.app_name}_{design.entity_name}"
    said: list[str] = []
    if not design.app:
        said.append(_("A new app %(name)s is added to the site.", name=design.new_app_label))
    ours = [step for step in planned.pending if step.table == table or step.table.startswith(f"{table}__")]
    if ours:
        said.append(
            ngettext(
                "The form %(name)s is created, with %(num)d field.",
                "The form %(name)s is created, with %(num)d fields.",
                len(design.fields),
                name=design.label_zh,
            )
        )
    elsewhere = len(planned.pending) - len(ours)
    if elsewhere:
        said.append(ngettext("%(num)d other step is done.", "%(num)d other steps are done.", elsewhere))
    else:
        said.append(_("Existing forms and their records do not change."))
    return said


def change_plan(planned: Plan, change: FormChange) -> list[str]:
    """What publishing a changed form does: its new fields by name, how many fields change."""
    said: list[str] = []
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
    said.append(_("The records the form holds are kept; new fields are empty on them."))
    if edited > 0:
        said.append(ngettext("%(num)d other step is done.", "%(num)d other steps are done.", edited))
    return said


def refusals(planned: Plan) -> str:
    lang = current_lang()
    return "; ".join(plain(getattr(r.reason, lang), lang) for r in planned.refused)
