"""The shapes of flow operation bodies: checked before anything runs, so a wrong shape
is a field error (422), never a crash or a comment stored as a list."""

from __future__ import annotations

from typing import Any

from ..limits import COMMENT_FILES
from ..records.errors import FieldError
from ..records.errors import ValidationFailed
from ..records.schemas import MAX_ID

POSITIONS = ("before", "after", "with")  # where add_approver puts the added approvers
MODES = ("all", "any")  # how the approvers add_approver adds decide: all of them, or any one
_PAYLOAD_TYPES: dict[str, tuple[type, ...]] = {
    "comment": (str, type(None)),
    "values": (dict,),
    "users": (list,),
    "attachments": (list,),
    "mentions": (list,),
    "signature": (int, type(None)),
    "to": (str, int),
    "position": (str,),
    "mode": (str,),
    "task": (int,),
    "then": (str,),
    "chosen": (dict,),
}


def checked_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Operation bodies of the wrong shape are field errors, never crashes."""
    errors = [
        FieldError(key, "invalid", {"kind": {"comment": "text", "signature": "id"}.get(key, "object")})
        for key, kinds in _PAYLOAD_TYPES.items()
        if key in payload and (not isinstance(payload[key], kinds) or isinstance(payload[key], bool))
    ]
    for key in ("users", "attachments", "mentions"):
        if isinstance(payload.get(key), list) and not all(_is_id(i) for i in payload[key]):
            errors.append(FieldError(key, "invalid", {"kind": "id"}))
    if isinstance(payload.get("attachments"), list) and len(payload["attachments"]) > COMMENT_FILES:
        errors.append(FieldError("attachments", "files_max", {"max": COMMENT_FILES}))
    for key in ("task", "to", "signature"):  # `to` is a user's id, or the name of a node to return to
        if isinstance(payload.get(key), int) and not _is_id(payload[key]):
            errors.append(FieldError(key, "invalid", {"kind": "id"}))
    for key, allowed in (("position", POSITIONS), ("mode", MODES)):
        if isinstance(payload.get(key), str) and payload[key] not in allowed:
            options = {"value": payload[key], "allowed": ", ".join(allowed)}
            errors.append(FieldError(key, "not_option", options))
    if isinstance(payload.get("chosen"), dict):
        errors += [
            FieldError(f"chosen.{node}", "invalid", {"kind": "id"})
            for node, users in payload["chosen"].items()
            if not (isinstance(users, list) and all(_is_id(u) for u in users))
        ]
    if errors:
        raise ValidationFailed(errors)
    return payload


def _is_id(value: Any) -> bool:
    """An id a row can have: a whole number from 1 to the 64-bit maximum."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
