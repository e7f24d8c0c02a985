"""An approval's timeline as the people in it read it: who did what at which step, and who
is awaited since when.

The flow's events (``loom_flow_events``) also record what the engine did by itself: the
branch it chose, the actions it ran, the end. Shown to people, "条件分支 超过 7 天 · 系统"
reads as if a one-day leave were over seven days (issue #18), so the page keeps the steps
that concern a person — what they did, or what happened to their task (passed because they
asked for it themselves, timed out) — and the API's timeline and the audit log keep all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from babel.dates import format_timedelta
from flask_babel import gettext as _

from loom.metadata.catalog import Label

from .i18n import BABEL_LOCALES
from .i18n import label
from .moments import JUST_NOW
from .moments import ago
from .references import References
from .summary import Reader
from .widgets import local_time

# Steps of people; the rest (branch, action, finish, skip, to_admin, remind) is the engine's.
PEOPLE_EVENTS = frozenset(
    {
        "start",
        "resubmit",
        "approve",
        "reject",
        "return",
        "withdraw",
        "transfer",
        "add_approver",
        "comment",
        "urge",
        "cc",
        "auto_pass",
        "dedupe",
        "timeout",
        "revoke",
        "revoke_approve",
        "revoke_reject",
    }
)
NAMES_SHOWN = 3  # a copy to ten people names three, then how many more


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the timeline; ``kind`` is an event's kind, or ``waiting`` for an open task."""

    kind: str
    who: str
    initials: str
    node: str
    at: dt.datetime | None
    when: str
    stamp: str
    note: str = ""
    comment: str | None = None
    # The comment in pieces, each ``(text, mentioned)``: an @name of a mentioned person is
    # marked; mentioned people the text does not name follow as ``mentioned``.
    parts: tuple[tuple[str, bool], ...] = ()
    mentioned: tuple[str, ...] = ()
    files: tuple[dict[str, Any], ...] = ()  # attached files as loom_files describes them
    signature: dict[str, Any] | None = None


def initials(name: str) -> str:
    """What an avatar shows: the given name of a Chinese name (杨磊 → 杨磊, 李秀英 → 秀英), the
    first letters of a Western one (Emma Chen → EC)."""
    name = name.strip()
    if not name:
        return "?"
    if _cjk(name):
        return name.replace(" ", "")[-2:]
    return "".join(word[0] for word in name.split()[:2]).upper()


def people_timeline(
    summary: Mapping[str, Any], nodes: Mapping[str, Label], refs: References, reader: Reader
) -> list[Step]:
    """The steps people took, oldest first, then the tasks still open."""
    steps = [_step(e, nodes, refs, reader) for e in summary["timeline"] if e["kind"] in PEOPLE_EVENTS]
    for task in summary["tasks"]:
        if task["status"] != "pending":
            continue
        since = task.get("created_at")
        waited = _waited(since, reader) if since else ""
        note = _("waiting %(time)s", time=waited) if waited else ""
        if task.get("kind") == "revoke":  # deciding on a revocation, not approving the record
            note = " · ".join(filter(None, [_("to decide on revoking"), note]))
        steps.append(
            _line(
                "waiting",
                [task["assignee_id"]],
                task["node"],
                since,
                nodes,
                refs,
                reader,
                note=note,
            )
        )
    return steps


def _step(event: Mapping[str, Any], nodes: Mapping[str, Label], refs: References, reader: Reader) -> Step:
    kind = event["kind"]
    people = event.get("users") if kind == "cc" else [event.get("actor") or event.get("user")]
    line = _line(
        kind,
        people or [],
        event.get("node"),
        event.get("at"),
        nodes,
        refs,
        reader,
        note=_note(event, nodes, refs, reader.lang),
        comment=event.get("comment"),
    )
    names = [refs.name("user", u) for u in event.get("mentions") or []]
    parts = _pieces(line.comment or "", names)
    named = {text for text, mentioned in parts if mentioned}
    files = [refs.file(f) for f in event.get("attachments") or []]
    return replace(
        line,
        parts=parts,
        mentioned=tuple(n for n in names if f"@{n}" not in named),
        files=tuple(f for f in files if f is not None),
        signature=refs.file(event.get("signature")),
    )


def _pieces(comment: str, names: list[str]) -> tuple[tuple[str, bool], ...]:
    """The comment cut around each ``@name`` of a mentioned person (longest names first, so
    @王小明 is not taken for @王小)."""
    if not comment:
        return ()
    if not names:
        return ((comment, False),)
    pattern = "|".join(re.escape(f"@{n}") for n in sorted(set(names), key=len, reverse=True))
    cut = re.split(f"({pattern})", comment)
    return tuple((piece, index % 2 == 1) for index, piece in enumerate(cut) if piece)


def _line(
    kind: str,
    people: Iterable[int | None],
    node: str | None,
    at: dt.datetime | None,
    nodes: Mapping[str, Label],
    refs: References,
    reader: Reader,
    note: str = "",
    comment: str | None = None,
) -> Step:
    names = [refs.name("user", p) for p in people if p is not None]
    return Step(
        kind=kind,
        who=_names(names, reader.lang) or _("System"),
        initials=initials(names[0]) if names else "",
        node=label(nodes.get(node)) or node if node else "",
        at=at,
        when=ago(at, reader.now, reader.tz, reader.lang) if at else "",
        stamp=f"{local_time(at, reader.tz):%Y-%m-%d %H:%M}" if at else "",
        note=note,
        comment=comment,
    )


def _note(event: Mapping[str, Any], nodes: Mapping[str, Label], refs: References, lang: str) -> str:
    """What the step did beyond its kind: to whom, for whom, back to where."""
    kind = event["kind"]
    if kind == "transfer" and event.get("to"):
        return _("to %(name)s", name=refs.name("user", event["to"]))
    if kind == "return":
        target = event.get("to")
        if target in (None, "initiator"):
            return _("back to the initiator")
        return _("back to %(node)s", node=label(nodes.get(target)) or target)
    if kind in ("add_approver", "urge") and event.get("users"):
        return _names([refs.name("user", u) for u in event["users"]], lang)
    if event.get("on_behalf_of"):
        return _("for %(name)s", name=refs.name("user", event["on_behalf_of"]))
    return ""


def _names(names: list[str], lang: str) -> str:
    """张三、李四 / Zhang San, Li Si; past three, the first three and how many more."""
    joined = ("、" if lang == "zh" else ", ").join(names[:NAMES_SHOWN])
    if len(names) <= NAMES_SHOWN:
        return joined
    return _("%(names)s and %(more)s more", names=joined, more=len(names) - NAMES_SHOWN)


def _cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _waited(since: dt.datetime, reader: Reader) -> str:
    """How long an open task has waited: 3小时 / 3 hours; nothing under a minute."""
    waited = local_time(reader.now, reader.tz) - local_time(since, reader.tz)
    if waited < JUST_NOW:
        return ""
    return format_timedelta(waited, locale=BABEL_LOCALES[reader.lang])


def files_of(summary: Mapping[str, Any]) -> set[int]:
    """Every file the timeline's comments carry (attachments, signatures), fetched in one query."""
    found: set[int] = set()
    for event in summary["timeline"]:
        found.update(event.get("attachments") or [])
        if event.get("signature"):
            found.add(event["signature"])
    return found


def users_of(summary: Mapping[str, Any]) -> set[int]:
    """Everyone a timeline names, fetched in one query."""
    found: set[int] = set()
    for event in summary["timeline"]:
        found.update(u for u in (event.get("actor"), event.get("user"), event.get("on_behalf_of")) if u)
        if event["kind"] == "transfer" and isinstance(event.get("to"), int):
            found.add(event["to"])
        found.update(event.get("users") or [])
        found.update(event.get("mentions") or [])
    found.update(t["assignee_id"] for t in summary["tasks"] if t["assignee_id"])
    return found
