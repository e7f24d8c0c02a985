"""What the records service raises: validation, permission, conflict and not-found errors.

Every error carries data (codes and params), never prose; the edge (API, web, CLI)
renders it in the user's language. Nothing else escapes the service for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from loom.errors import LoomError

from .messages import render


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one value: ``field`` is a path such as ``lines.0.amount``."""

    field: str
    code: str
    params: Mapping[str, Any] = dc_field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return render(self.code, self.params, lang)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message(lang)}


class RecordError(LoomError):
    """Base of the records service's errors."""

    code = "error"

    def __init__(self, message: str = "", **params: Any) -> None:
        self.params = params
        super().__init__(message or self.code)

    def message(self, lang: str = "en") -> str:
        return render(self.code, self.params, lang)


class ValidationFailed(RecordError):
    code = "invalid_record"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} invalid value(s)", count=len(errors))


class NotFound(RecordError):
    code = "not_found"


class Conflict(RecordError):
    """A stale version, or a delete that other records still refer to."""

    code = "conflict"


class Stale(Conflict):
    """The record changed since the writer read it: says who changed what, and when.

    ``changed`` (user id and name, time, field names) is also sent as data by the API.
    """

    code = "stale"

    def __init__(self, *, changed: Mapping[str, Any], **params: Any) -> None:
        self.changed = changed
        super().__init__(**params)


class IntegrityConflict(Conflict):
    """A write broke a database constraint that another writer satisfied first."""

    code = "integrity"


class InApproval(Conflict):
    """The record is being approved: only the flow may change it now."""

    code = "in_approval"


class Locked(Conflict):
    """The record's approval ended in a status that makes it read-only (see ``locks``)."""

    code = "locked"


class Referenced(Conflict):
    code = "referenced"


class PermissionDenied(RecordError):
    code = "forbidden"
