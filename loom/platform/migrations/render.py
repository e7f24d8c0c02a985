"""Render a plan for people: one aligned line per step, in Chinese or English.

Columns: kind, table, column (or index/constraint), rows touched, status, detail. Widths
count display cells, so Chinese labels line up too. Refused steps follow with their reason.
"""

from __future__ import annotations

import unicodedata

from loom.metadata.catalog import Label

from .ops import DESTRUCTIVE
from .ops import RETIRED
from .ops import SAFE
from .ops import Plan

STATUS = {
    SAFE: Label("安全", "SAFE"),
    DESTRUCTIVE: Label("破坏性", "DESTRUCTIVE"),
    RETIRED: Label("已退役", "RETIRED"),
}
TEXT = {
    "header": Label("操作|表|列|涉及行数|类别|说明", "step|table|column|rows|status|detail"),
    "up_to_date": Label("数据库已是最新，无需迁移。", "The database is up to date: nothing to migrate."),
    "summary": Label(
        "共 {steps} 步：{safe} 步安全，{destructive} 步破坏性，{retired} 项已退役（数据保留）。",
        "{steps} step(s): {safe} safe, {destructive} destructive, {retired} retired (data kept).",
    ),
    "refused": Label("以下步骤被拒绝，未做任何更改：", "Refused, nothing will be changed:"),
    "needs": Label(
        "；加 --{flag} 重新运行（会先归档这些数据）", "; rerun with --{flag}, which archives the data first"
    ),
}


def render_plan(plan: Plan, lang: str = "en") -> str:
    """The plan as text; ``lang`` is ``zh`` or ``en``."""
    rows = [TEXT["header"].get(lang).split("|")]
    for step in plan.steps:
        status = STATUS[step.status].get(lang)
        rows.append(
            [step.label.get(lang), step.table, step.column or "", str(step.rows), status, step.detail]
        )
    lines = [_align(rows)] if plan.steps else []
    if plan.up_to_date:
        lines.append(TEXT["up_to_date"].get(lang))
    counts = {key: sum(step.status == key for step in plan.steps) for key in STATUS}
    if plan.steps:
        lines.append(TEXT["summary"].get(lang).format(steps=len(plan.steps), **counts))
    if plan.refused:
        lines.append(TEXT["refused"].get(lang))
    for refusal in plan.refused:
        needs = TEXT["needs"].get(lang).format(flag=refusal.flag.replace("_", "-")) if refusal.flag else ""
        step = refusal.step
        lines.append(f"  ✗ {step.label.get(lang)} {step.target}: {refusal.reason.get(lang)}{needs}")
    return "\n".join(lines)


def _align(rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    rows.insert(1, ["-" * width for width in widths])
    cells = ["  ".join(_pad(cell, widths[i], right=i == 3) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(line.rstrip() for line in cells)


def _width(text: str) -> int:
    """Display cells: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space
