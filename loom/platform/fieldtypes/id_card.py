"""Chinese resident identity numbers (居民身份证号码, GB 11643-1999).

Eighteen characters: a six-digit region code, the birth date (YYYYMMDD), a three-digit
sequence whose last digit is odd for men and even for women, and a check character
(ISO 7064 MOD 11-2: a digit or X). A number is refused, by field, when it is not 18
characters, its check character is wrong or its birth date does not exist; a lowercase x
is taken as X.

Expressions read a number as its parts (``id_number.birth_date``, ``id_number.sex``,
``id_number.region``, ``id_number.number``), so an age or a sex is a computed field or a
rule away. Lists, search results and exports show it masked (3301**********1234); the
record page shows it whole to whoever may read the record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from marshmallow import fields as mf
from sqlalchemy import String
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Field

from .base import Fake
from .base import FieldType
from .base import Show
from .base import Widget
from .base import storable

LENGTH = 18
SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2**(17-i) mod 11
CHECK = "10X98765432"  # the check character for each remainder of the weighted sum mod 11
SHOWN = 4  # characters shown at each end of a masked number


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def birth_date(number: str) -> dt.date:
    """The birth date a number carries (ValueError when there is no such day)."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex(number: str) -> str:
    """``male`` or ``female``: the parity of the 17th digit (the keys of a sex select)."""
    return "male" if int(number[16]) % 2 else "female"


def masked(number: str) -> str:
    """The number with all but its first and last four characters hidden."""
    if len(number) <= 2 * SHOWN:
        return "*" * len(number)
    return number[:SHOWN] + "*" * (len(number) - 2 * SHOWN) + number[-SHOWN:]


def check(number: str) -> None:
    """Refuse a number that is not a resident identity number, with a code saying why."""
    storable(number)
    if not SHAPE.match(number):
        raise ValidationError("id_card")
    if check_character(number[:17]) != number[17]:
        raise ValidationError("id_card_check")
    try:
        birth_date(number)
    except ValueError:
        raise ValidationError("id_card_birth") from None


class IdCardField(mf.String):
    """Text, trimmed and with a lowercase x taken as the check character X."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


class IdCard(FieldType):
    searchable = False
    list_filter = "eq"  # a part of a number finds nobody in particular
    widget = Widget("input", template="fields/id_card.html")
    console_shows_stored = False
    messages = MappingProxyType(
        {
            "id_card": {
                "en": "Not a resident identity number: 18 characters, digits with a last digit or X.",
                "zh": "不是有效的身份证号码：应为 18 位，由数字组成，最后一位可为 X。",
            },
            "id_card_check": {
                "en": "The last character does not match the identity number: check each digit.",
                "zh": "身份证号码校验位不符，请逐位核对。",
            },
            "id_card_birth": {
                "en": "The identity number holds no valid birth date.",
                "zh": "身份证号码中的出生日期无效。",
            },
        }
    )

    def column(self, field: Field) -> TypeEngine:
        return String(LENGTH)

    def schema_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return IdCardField(validate=check, allow_none=True)

    def filter_field(self, field: Field, zone: ZoneInfo) -> mf.Field:
        return IdCardField()

    def cel(self, field: Field, value: Any) -> Any:
        if not isinstance(value, str) or not SHAPE.match(value):
            return value
        try:
            born = birth_date(value).isoformat()
        except ValueError:
            return value
        return {"number": value, "birth_date": born, "sex": sex(value), "region": value[:6]}

    def cell(self, field: Field, value: Any, show: Show) -> str:
        return masked(str(value))

    def demo(self, field: Field, fake: Fake, values: Mapping[str, Any]) -> Any:
        """A valid number of someone born 22 to 55 years before the demo's today, in Hangzhou."""
        rng = fake.rng
        born = fake.today - dt.timedelta(days=rng.randrange(22 * 365, 55 * 365))
        region = rng.choice(("330102", "330105", "330106", "330108"))
        first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
        return first17 + check_character(first17)


TYPES = (IdCard("id_card"),)
