"""Texts of the console in the request's language: metadata labels and our own {zh, en} pairs.

Flask-Admin builds its views once, when the app starts, and keeps names, column labels and
filter captions on them. Handing it lazy strings keeps one set of views for every request
while each request still reads its own language. The language is the portal's choice
(``?lang=``, the switch kept in the session, ``Accept-Language``), so a user reads the
console in the language they picked anywhere on the site.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from flask import has_request_context
from flask_babel import LazyString
from markupsafe import Markup
from markupsafe import escape

from loom.metadata.catalog import Label
from loom.platform.web import wording
from loom.platform.web.i18n import current_lang

Text: TypeAlias = Label | Mapping[str, str] | str | LazyString


def lang() -> str:
    """The request's language; Chinese outside requests (Flask-Admin reads menu names at start-up)."""
    return current_lang() if has_request_context() else "zh"


def text(value: Text) -> str:
    """``value`` in the request's language, falling back to the other one."""
    if isinstance(value, Label):
        return value.get(lang())
    if isinstance(value, str | LazyString):  # a str, or the portal's words (its Babel catalogue)
        return str(value)
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

# The portal's words for approval statuses (审批中, 已驳回…), so the console says what the portal says.
FLOW_STATUSES = wording.FLOW_STATUSES

PEOPLE = {"zh": "组织与权限", "en": "People and access"}
HISTORY = {"zh": "日志", "en": "History"}
BUILTIN_ROLE_LABELS: dict[str, Mapping[str, str]] = {
    "admin": {"zh": "管理员", "en": "Administrator"},
    "employee": {"zh": "员工", "en": "Employee"},
}

# Column captions of the platform views (users, departments, tokens, audit, flows).
PLATFORM_LABELS: dict[str, Mapping[str, str]] = {
    "id": {"zh": "编号", "en": "ID"},
    "login": {"zh": "用户名", "en": "Login"},
    "name": {"zh": "名称", "en": "Name"},
    "user_name": {"zh": "姓名", "en": "Name"},
    "email": {"zh": "邮箱", "en": "Email"},
    "phone": {"zh": "电话", "en": "Phone"},
    "department": {"zh": "部门", "en": "Department"},
    "department_id": {"zh": "部门", "en": "Department"},
    "manager": {"zh": "直属主管", "en": "Manager"},
    "manager_id": {"zh": "直属主管", "en": "Manager"},
    "active": {"zh": "启用", "en": "Active"},
    "locale": {"zh": "语言", "en": "Language"},
    "roles": {"zh": "角色", "en": "Roles"},
    "role": {"zh": "角色", "en": "Role"},
    "password": {"zh": "新密码", "en": "New password"},
    "user": {"zh": "用户", "en": "User"},
    "user_id": {"zh": "用户", "en": "User"},
    "prefix": {"zh": "前缀", "en": "Prefix"},
    "created_at": {"zh": "创建时间", "en": "Created at"},
    "expires_at": {"zh": "过期时间", "en": "Expires at"},
    "last_used_at": {"zh": "最近使用", "en": "Last used"},
    "revoked_at": {"zh": "撤销时间", "en": "Revoked at"},
    "parent": {"zh": "上级部门", "en": "Parent"},
    "parent_id": {"zh": "上级部门", "en": "Parent"},
    "head": {"zh": "负责人", "en": "Head"},
    "head_id": {"zh": "负责人", "en": "Head"},
    "members": {"zh": "人数", "en": "Members"},
    "at": {"zh": "时间", "en": "When"},
    "entity": {"zh": "实体", "en": "Entity"},
    "record_id": {"zh": "记录编号", "en": "Record"},
    "action": {"zh": "操作", "en": "Action"},
    "changes": {"zh": "变更内容", "en": "Changes"},
    "note": {"zh": "备注", "en": "Note"},
    "flow": {"zh": "流程", "en": "Flow"},
    "initiator": {"zh": "发起人", "en": "Initiator"},
    "status": {"zh": "状态", "en": "Status"},
    "started_at": {"zh": "发起时间", "en": "Started at"},
    "finished_at": {"zh": "结束时间", "en": "Finished at"},
    "state": {"zh": "流程状态数据", "en": "State"},
    "message": {"zh": "说明", "en": "Message"},
    "rollback_of": {"zh": "回滚到", "en": "Rolls back to"},
    "digest": {"zh": "内容摘要", "en": "Digest"},
    "documents": {"zh": "文档", "en": "Documents"},
}
