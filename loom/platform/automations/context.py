"""The names an automation's CEL expressions read, and turning their results into values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from ..actor import Actor
from ..records.logic import cel_value


def names(
    record: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None,
    actor: Actor,
    now: dt.datetime,
    params: Mapping[str, Any] | None = None,
    created: Mapping[str, Any] | None = None,
    roles: Iterable[str] = (),
) -> dict[str, Any]:
    """``record``, ``old``, ``params``, ``user`` (with ``user_roles``, inherited ones included,
    and ``user_department``), ``now``, ``today`` and ``created``."""
    return {
        "record": cel_value(dict(record)) if record is not None else None,
        "old": cel_value(dict(old)) if old is not None else None,
        "params": cel_value(dict(params or {})),
        "user": actor.id,
        "user_roles": sorted(roles),
        "user_department": actor.department_id,
        "now": cel_value(now),
        "today": now.date().isoformat(),
        "created": cel_value(dict(created or {})),
    }
