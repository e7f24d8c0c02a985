"""Delivering notifications beyond the app: e-mail now, any IM through the same protocol.

The notifications table is the outbox. A pass claims unsent rows one by one (an UPDATE
that only one process can win), then hands each to every sender. Nothing is sent from
inside a business transaction, so a slow mail server never holds a record lock, and a
rolled-back approval never sends mail. Off unless ``site.yaml`` configures ``smtp``.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy import select
from sqlalchemy import update

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Label
from loom.metadata.catalog import thaw

from ..runtime import Runtime
from .nodes import node_named

log = logging.getLogger("loom.notify")
HEADLINE = {"zh": "{name}提交的{what}", "en": "{name}'s {what}"}  # as the inbox's cards say it
SUBJECTS = {
    "task": {"zh": "待您审批", "en": "Waiting for your approval"},
    "cc": {"zh": "抄送给您", "en": "Copied to you"},
    "result": {"zh": "审批结果", "en": "Approval result"},
    "urge": {"zh": "催办提醒", "en": "Reminder from the requester"},
    "remind": {"zh": "审批提醒", "en": "Approval reminder"},
    "returned": {"zh": "已退回", "en": "Returned to you"},
    "mention": {"zh": "有人@了您", "en": "You were mentioned"},
    "revoke": {"zh": "撤销待您审批", "en": "A revocation waits for your approval"},
    "revoke_refused": {"zh": "撤销未获同意", "en": "Revocation refused"},
}


class Sender(Protocol):
    """Anything that can deliver one notification to one user (e-mail, WeCom, DingTalk…)."""

    def send(self, user: Mapping[Any, Any], subject: str, body: str) -> None: ...


class SmtpSender:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.host = settings["host"]
        self.port = int(settings.get("port", 587))
        self.sender = settings.get("from", "loom@localhost")
        self.username = settings.get("user")
        self.password = settings.get("password")
        self.starttls = bool(settings.get("starttls", True))

    def send(self, user: Mapping[Any, Any], subject: str, body: str) -> None:
        if not user.get("email"):
            return
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, user["email"], subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def configured_senders(runtime: Runtime) -> list[Sender]:
    smtp = runtime.site.settings.smtp if runtime.site else None
    return [SmtpSender(smtp)] if smtp and smtp.get("host") else []


def deliver_pending(runtime: Runtime, senders: list[Sender], limit: int = 100) -> int:
    """Claim and send up to ``limit`` unsent notifications; returns how many were sent."""
    if not senders:
        return 0
    tables = runtime.schema.metadata.tables
    notifications, users = tables["loom_notifications"], tables["loom_users"]
    with runtime.engine.connect() as conn:
        rows = (
            conn.execute(
                select(notifications, users.c.email, users.c.locale, users.c.name)
                .join(users, users.c.id == notifications.c.user_id)
                .where(notifications.c.mailed_at.is_(None))
                .order_by(notifications.c.id)
                .limit(limit)
            )
            .mappings()
            .all()
        )
    sent = 0
    for row in rows:
        with runtime.engine.begin() as conn:
            claimed = conn.execute(
                update(notifications)
                .where(notifications.c.id == row["id"], notifications.c.mailed_at.is_(None))
                .values(mailed_at=dt.datetime.now(dt.UTC))
            ).rowcount
        if not claimed:
            continue  # another process took it
        subject, body = _compose(runtime, row)
        for sender in senders:
            try:
                sender.send(row, subject, body)
            except (OSError, smtplib.SMTPException):
                log.exception("could not deliver notification %s", row["id"])
        sent += 1
    return sent


def _compose(runtime: Runtime, row: Mapping[Any, Any]) -> tuple[str, str]:
    """Subject and text of one notification in the reader's language, as the inbox reads it:
    "[Loom] 待您审批：张三提交的报销单「差旅」", then the step and the other details."""
    lang = "en" if str(row.get("locale") or "").startswith("en") else "zh"
    message = dict(row["message"] or {})
    title = SUBJECTS.get(row["kind"], {"zh": "通知", "en": "Notification"})[lang]
    entity = runtime.catalog.entities.get(row["entity"] or "")
    if entity is None:
        return f"[Loom] {title}", f"{title}\n"
    with runtime.engine.connect() as conn:
        who, named = _initiator(runtime, conn, row), _title(runtime, conn, entity, row["record_id"])
    what = HEADLINE[lang].format(name=who, what=entity.label.get(lang)) if who else entity.label.get(lang)
    if named:
        what += f"「{named}」" if lang == "zh" else f" \u201c{named}\u201d"
    lines = [f"{title}{'：' if lang == 'zh' else ': '}{what}"]
    step = _step_label(runtime, message.pop("flow", None), message.pop("node", None), lang)
    if step:
        lines.append(("环节：" if lang == "zh" else "Step: ") + step)
    message.pop("task", None)
    by = message.pop("by", None)  # who @mentioned the reader, by name
    if by is not None:
        users = runtime.schema.metadata.tables["loom_users"]
        with runtime.engine.connect() as conn:
            name = conn.execute(select(users.c.name).where(users.c.id == by)).scalar()
        lines.append(("来自：" if lang == "zh" else "From: ") + str(name or by))
    lines += [f"{k}: {v}" for k, v in message.items() if v is not None]
    separator = "：" if lang == "zh" else ": "
    return f"[Loom] {title}{separator}{what}", "\n".join(lines) + "\n"


def _initiator(runtime: Runtime, conn: Connection, row: Mapping[str, Any]) -> str | None:
    tables = runtime.schema.metadata.tables
    instances, users = tables["loom_flow_instances"], tables["loom_users"]
    query = (
        select(users.c.name)
        .join(instances, instances.c.initiator_id == users.c.id)
        .where(instances.c.id == row["instance_id"])
    )
    return conn.execute(query).scalar_one_or_none() if row.get("instance_id") else None


def _title(runtime: Runtime, conn: Connection, entity: Entity, record_id: int | None) -> str | None:
    table = runtime.schema.of(entity.qualified_name).table
    if not entity.title_field or entity.title_field not in table.c or record_id is None:
        return None
    value = conn.execute(select(table.c[entity.title_field]).where(table.c.id == record_id)).scalar()
    return str(value) if isinstance(value, str) and value else None


def _step_label(runtime: Runtime, flow: str | None, node: str | None, lang: str) -> str | None:
    definition = runtime.catalog.definitions.get(("flow", flow or ""))
    if definition is None or not node:
        return node
    found = node_named(thaw(definition.spec)["nodes"], node)
    return Label.of(found.get("label"), node).get(lang) if found else node
