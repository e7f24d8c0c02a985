"""Texts of the console in the request's language: metadata labels and our own {zh, en} pairs.

Flask-Admin builds its views once, when the app starts, and keeps names, column labels and
filter captions on them. Handing it lazy strings keeps one set of views for every request
while each request still reads its own language.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString
from markupsafe import Markup
from markupsafe import escape

from loom.metadata.catalog import Label
from loom.platform.api.i18n import lang

Text = Label | Mapping[str, str] | str


def text(value: Text) -> str:
    """``value`` in the request's language, falling back to the other one."""
    if isinstance(value, Label):
        return value.get(lang())
    if isinstance(value, str):
        return value
    return value.get(lang()) or next(iter(value.values()), "")


def lazy(value: Text) -> LazyString:
    """A string that reads ``value`` in the language of the request that renders it."""
    return LazyString(text, value)


def lazy_markup(value: Text) -> LazyString:
    """Like :func:`lazy`, escaped: Flask-Admin renders field descriptions with ``|safe``."""
    return LazyString(_escaped, value)


def _escaped(value: Text) -> Markup:
    return escape(text(value))


SYSTEM_LABELS: dict[str, Mapping[str, str]] = {
    "id": {"zh": "编号", "en": "ID"},
    "created_at": {"zh": "创建时间", "en": "Created at"},
    "created_by": {"zh": "创建人", "en": "Created by"},
    "updated_at": {"zh": "修改时间", "en": "Updated at"},
    "updated_by": {"zh": "修改人", "en": "Updated by"},
    "owner": {"zh": "所有者", "en": "Owner"},
    "version": {"zh": "版本", "en": "Version"},
    "flow_status": {"zh": "审批状态", "en": "Approval status"},
}

FLOW_STATUSES: dict[str, Mapping[str, str]] = {
    "draft": {"zh": "草稿", "en": "Draft"},
    "in_approval": {"zh": "审批中", "en": "In approval"},
    "approved": {"zh": "已通过", "en": "Approved"},
    "rejected": {"zh": "已拒绝", "en": "Rejected"},
    "withdrawn": {"zh": "已撤回", "en": "Withdrawn"},
    "returned": {"zh": "已退回", "en": "Returned"},
}
