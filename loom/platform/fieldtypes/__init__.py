"""Field types: one object per type owns what the platform does with its values.

``of(field.type)`` is the way in; ``types()`` lists them all. See ``base.FieldType``.
"""

from __future__ import annotations

from .base import FieldType as FieldType
from .base import Show as Show
from .base import Widget as Widget
from .registry import of as of
from .registry import types as types
