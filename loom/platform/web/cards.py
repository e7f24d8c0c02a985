"""Records as cards where a table would not fit (below the ``md`` breakpoint, 768 px): a title,
a few key fields and a status chip, as phone users know them from DingTalk or Feishu. A table
squeezed onto a phone shrinks every column to one Chinese character; a card reads at a glance.

The entity declares its card (``list.card``); whatever it leaves out is derived from the list:
the title from ``title_field``, the chip from the approval status or a ``status`` select
column, the fields from the first columns.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from .i18n import label

DEFAULT_FIELDS = 3
# Option colours that have a chip of their own (loom.css: dark enough for white text, 4.5:1).
CHIP_COLORS = frozenset({"blue", "cyan", "gray", "green", "orange", "purple", "red"})


@dataclass(frozen=True, slots=True)
class Card:
    """The fields one list's cards show (those the user may see)."""

    title: Field | None
    fields: tuple[Field, ...]
    status: Field | None

    @property
    def names(self) -> tuple[str, ...]:
        """Every field the card reads, for the list query."""
        return tuple(f.name for f in (self.title, *self.fields, self.status) if f is not None)


@dataclass(frozen=True, slots=True)
class Chip:
    text: str
    css: str


def card_of(entity: Entity, columns: Sequence[Field], shown: Callable[[str], Field | None]) -> Card:
    """The entity's card over the list's ``columns``; ``shown`` gives a field the user may see
    by name (``flow_status`` too), else None, so a hidden field never reaches a card."""
    declared = entity.list.card
    title = _first(shown, declared.title, entity.title_field) or next(iter(columns), None)
    if declared.status:
        status = shown(declared.status)
    elif entity.has_flow:
        status = shown("flow_status")
    else:
        status = next((c for c in columns if _is_status(c)), None)
    taken = {f.name for f in (title, status) if f is not None}
    if declared.fields:
        picked = [shown(name) for name in declared.fields]
        fields = [f for f in picked if f is not None and f.name not in taken]
    else:
        fields = [c for c in columns if c.name not in taken][:DEFAULT_FIELDS]
    return Card(title, tuple(fields), status)


def chip(field: Field, value: Any) -> Chip | None:
    """The status chip of ``value``: its option's label, coloured as the option (the approval
    status in the record page's colours)."""
    option = next((o for o in field.options if o.key == value), None)
    if option is None:
        return None
    if field.name == "flow_status":
        return Chip(label(option.label), f"loom-status-{option.key}")
    color = option.color if option.color in CHIP_COLORS else "plain"
    return Chip(label(option.label), f"loom-chip-{color}")


def _first(shown: Callable[[str], Field | None], *names: str | None) -> Field | None:
    for name in names:
        found = shown(name) if name else None
        if found is not None:
            return found
    return None


def _is_status(field: Field) -> bool:
    return field.type == "select" and (field.name == "status" or field.name.endswith("_status"))
