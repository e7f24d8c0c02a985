"""What a failing automation raises: which automation and which action, and why."""

from __future__ import annotations

from typing import Any

from loom.metadata.catalog import Label

from ..records.errors import FieldError
from ..records.errors import RecordError
from ..records.errors import ValidationFailed


class AutomationFailed(RecordError):
    """An action failed; the whole change (trigger included) is rolled back."""

    code = "automation_failed"

    def __init__(self, automation: Label, action: int, kind: str, cause: RecordError) -> None:
        self.cause = cause
        self.errors = cause.errors if isinstance(cause, ValidationFailed) else []
        detail = {lang: _detail(cause, lang) for lang in ("en", "zh")}
        label = {"en": automation.get("en"), "zh": automation.get("zh")}
        super().__init__(automation=label, action=action + 1, kind=kind, detail=detail)


class AutomationLoop(RecordError):
    """Automations kept triggering each other past the allowed depth."""

    code = "automation_loop"

    def __init__(self, chain: list[str]) -> None:
        super().__init__(chain=" → ".join(chain), depth=len(chain))


class BusinessError(ValidationFailed):
    """The error of a ``fail`` action: a rule of the business, shown like a broken record rule
    and passed on as it is, not as the failure of the automation that raised it."""

    def __init__(self, message: Any) -> None:
        text = message if isinstance(message, dict) else {"en": str(message), "zh": str(message)}
        super().__init__([FieldError("_record", "rule", {"text": text})])


def _detail(error: RecordError, lang: str) -> str:
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{e.field}: {e.message(lang)}" for e in error.errors)
    return error.message(lang)
