"""Realistic Chinese values for a field, chosen by its type and hinted by its name.

The generator knows no entity of OA or CRM: it reads each field's type, bounds and
options from the Catalog and lets the field's name (``phone``, ``address``, ``start_date``,
``amount``) and its entity's name (``customer``, ``contract``) pick a plausible value.
That keeps the demo working as the packages grow. Database-backed fields (links, users,
departments, files, child tables) are left to the generator, which knows the records.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import random
import re
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from .. import fieldtypes
from . import words
from .text import text_value

SKIP = object()  # leave the field out: its default, or nothing, applies
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
_END_WORDS = ("end", "until", "return", "finish", "to")
_START_WORDS = ("start", "begin", "from", "depart", "departure")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")


def _has(name: str, *parts: str) -> bool:
    return any(part in name for part in parts)


def _short_name(company: str) -> str:
    """杭州恒信科技有限公司 → 恒信科技."""
    for form in sorted(words.COMPANY_FORMS, key=len, reverse=True):
        company = company.removesuffix(form)
    for city in words.CITY_PREFIXES:
        company = company.removeprefix(city)
    return company


def _is_end(name: str) -> bool:
    return any(word in _END_WORDS for word in name.split("_"))


def _is_start(name: str) -> bool:
    return any(word in _START_WORDS for word in name.split("_"))


def _iso_date(value: Any) -> dt.date | None:
    if isinstance(value, str) and _DATE.match(value):
        return dt.date.fromisoformat(value)
    return None


def _iso_moment(value: Any) -> dt.datetime | None:
    if isinstance(value, str) and _MOMENT.match(value):
        return dt.datetime.fromisoformat(value)
    return None


class Faker:
    """Chinese names, companies, places and phrases, from one seeded random source."""

    rng: random.Random
    today: dt.date

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self._place = self._new_place()
        self.subject: str | None = None
        self.parent: Mapping[str, Any] | None = None

    def new_record(self) -> None:
        """Start a record: its region, address and coordinates describe one place."""
        self._place = self._new_place()
        self.subject = None
        self.parent = None

    def person(self) -> str:
        return self.rng.choice(words.SURNAMES) + self.rng.choice(words.GIVEN_NAMES)

    def company_short(self) -> str:
        """The short name people use: the subject company's, if the record has one (see ``about``)."""
        if self.subject is not None:
            return _short_name(self.subject)
        return self.rng.choice(words.BRANDS) + self.rng.choice(words.TRADES)

    def company(self) -> str:
        """A company of the record's city, so that its name, region and address agree."""
        city = self._place[1].removesuffix("市")
        brand = self.rng.choice(words.BRANDS) + self.rng.choice(words.TRADES)
        return city + brand + self.rng.choice(words.COMPANY_FORMS)

    def under(self, parent: Mapping[str, Any]) -> None:
        """The record belongs to ``parent`` (a receivable to its contract): its amounts are parts of
        the parent's, so rules such as "no more than what is outstanding" tend to hold."""
        self.parent = parent

    def about(self, company: str) -> None:
        """The record concerns ``company`` (its customer): titles such as a contract's name it."""
        self.subject = company

    def mobile(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"

    def landline(self) -> str:
        area = self.rng.choice(("571", "21", "10", "755", "20", "25", "512", "28"))
        return f"0{area}-{self.rng.randrange(2, 9)}{self.rng.randrange(10**6, 10**7)}"

    def email(self) -> str:
        user = f"{self.rng.choice(words.PINYIN_SURNAMES)}{self.rng.randrange(10, 999)}"
        return f"{user}@{self.rng.choice(words.MAIL_DOMAINS)}"

    def url(self) -> str:
        host = self.rng.choice(words.PINYIN_SURNAMES) + self.rng.choice(("tech", "soft", "group", "data"))
        return f"https://www.{host}.com.cn"

    def place(self) -> tuple[str, str, str, str]:
        """Province, city, district and street address of the record's place."""
        return self._place

    def _new_place(self) -> tuple[str, str, str, str]:
        province, city, districts, streets = self.rng.choice(words.PLACES)
        district = self.rng.choice(districts)
        street = f"{self.rng.choice(streets)}{self.rng.randrange(1, 900)}号"
        return province, city, district, street

    def address(self) -> str:
        province, city, district, street = self.place()
        return (city if province == city else province + city) + district + street

    def invoice_no(self) -> str:
        return f"{self.rng.randrange(10**7, 10**8)}"

    def wechat(self) -> str:
        return f"{self.rng.choice(words.PINYIN_SURNAMES)}_{self.rng.randrange(1000, 99999)}"

    def qq(self) -> str:
        return str(self.rng.randrange(10**7, 10**10))

    def tax_number(self) -> str:
        """A unified social credit code's shape (18 characters)."""
        return f"91{self.rng.randrange(110000, 660000)}MA{self.rng.randrange(10**8, 10**9)}X"

    def doc_number(self) -> str:
        """An official document's number: 云织发〔2026〕12号."""
        return f"云织发〔{self.today.year}〕{self.rng.randrange(1, 120)}号"

    def code(self) -> str:
        return f"{self.rng.choice('ABCDEFGHJK')}{self.rng.randrange(10**4, 10**5)}"

    def deal(self, kind: str) -> str:
        """A project or contract named after its company and product: 恒信科技CRM 客户管理系统项目."""
        return f"{self.company_short()}{self.rng.choice(words.PRODUCTS)}{kind}"

    def bank_account(self) -> str:
        digits = " ".join(f"{self.rng.randrange(10**4):04d}" for _ in range(3))
        return f"{self.rng.choice(words.BANKS)} 6222 {digits}"

    def moment(self, day: dt.date) -> dt.datetime:
        """A time in office hours on ``day``, in China's time zone."""
        return dt.datetime.combine(
            day, dt.time(self.rng.randrange(9, 18), self.rng.choice((0, 15, 30, 45))), SHANGHAI
        )


Maker = Callable[[Field, Entity, Faker, Mapping[str, Any]], Any]


def field_value(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    """A value for ``field`` given the values chosen so far, or SKIP.

    A field type that makes its own demo values (``FieldType.demo``) is asked first; the
    types below are hinted by field and entity names, which this module knows.
    """
    own = fieldtypes.of(field.type).demo(field, fake, values)
    if own is not None:
        return own
    maker = _BY_TYPE.get(field.type)
    return SKIP if maker is None else maker(field, entity, fake, values)


def _text(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    return text_value(field, entity, fake)


def _long_text(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    text = "".join(fake.rng.sample(words.SENTENCES, 2))
    return text[: field.max_length] if field.max_length else text


def _rich_text(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    return "".join(f"<p>{s}</p>" for s in fake.rng.sample(words.SENTENCES, 3))


def _integer(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    n = field.name
    if n == "year" or n.endswith("_year"):  # the current year: balances and targets are this year's
        return _whole(fake, *_bounded(field, fake.today.year, fake.today.year))
    low, high = (1, 20) if _has(n, "quantity", "count", "qty", "copies", "number") else (1, 100)
    if _has(n, "probability"):
        low, high = 10, 90
    return _whole(fake, *_bounded(field, low, high))


def _decimal(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    n, rng = field.name, fake.rng
    if _has(n, "day", "duration"):
        span = _span(values)
        if span is not None and _within(field, span):
            return _scaled(field, span)
        choices = [d for d in (0.5, 1, 1, 1.5, 2, 3, 4, 5) if _within(field, d)]
        return _scaled(field, rng.choice(choices or [_bounded(field, 1, 5)[0]]))
    if _has(n, "quantity", "qty", "copies"):  # licences, seats and copies come whole
        return _scaled(field, _whole(fake, *_bounded(field, 1, 20)))
    if _has(n, "quota"):  # yearly days off: 5, 10 or 15 by years of work (职工带薪年休假条例)
        return _scaled(field, rng.choice([d for d in (5, 10, 15) if _within(field, d)] or [5]))
    low, high = (1, 8) if _has(n, "hour") else (1, 100)
    return _scaled(field, rng.uniform(*_bounded(field, low, high)))


def _money(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    whole = _parent_amount(fake.parent, field.name)
    if whole is not None:
        share = whole * fake.rng.choice((0.1, 0.2, 0.25, 0.3, 0.4))
        return _scaled(field, max(_bounded(field, 1, share)[0], round(share)))
    if _has(field.name, "price"):
        low, high = 100, 20_000
    elif entity.child:
        low, high = 50, 3_000
    elif _has(entity.name, "contract", "opportunit", "order", "purchase", "quot", "receivable", "plan"):
        low, high = 10_000, 400_000
    else:
        low, high = 200, 20_000
    least, most = _bounded(field, low, high)
    amount = math.exp(fake.rng.uniform(math.log(max(least, 1)), math.log(max(most, 2))))
    step = 100 if amount >= 10_000 else 1
    return _scaled(field, max(least, round(amount / step) * step))


def _parent_amount(parent: Mapping[str, Any] | None, name: str) -> float | None:
    """The parent's amount of the same name (else its ``amount``), if it has a positive one."""
    if parent is None:
        return None
    value = parent.get(name, parent.get("amount"))
    return float(value) if isinstance(value, int | float | decimal.Decimal) and value > 0 else None


def _percent(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    if _has(field.name, "discount"):
        low, high = _bounded(field, 0, 25)
        return _scaled(field, fake.rng.choice(range(math.ceil(low), math.floor(high) + 1, 5) or [low]))
    return _scaled(field, _whole(fake, *_bounded(field, 10, 90)))


def _boolean(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    return fake.rng.random() < 0.2


def _date(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    return _day(field, fake, values).isoformat()


def _datetime(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    start = _start_moment(field.name, values)
    if start is not None:
        return (start + dt.timedelta(hours=fake.rng.choice((1, 2, 3, 4, 8, 24, 48)))).isoformat()
    return fake.moment(_day(field, fake, values)).isoformat()


def _day(field: Field, fake: Faker, values: Mapping[str, Any]) -> dt.date:
    n, rng, today = field.name, fake.rng, fake.today
    start = _start_of(n, values)
    if start is not None:
        return start + dt.timedelta(days=rng.choice((0, 0, 1, 2, 3, 4)))
    if _has(n, "hire", "joined", "onboard"):  # at the company for a month to twelve years
        return today - dt.timedelta(days=rng.randrange(30, 365 * 12))
    if _has(n, "work_start", "career"):  # working life began before joining, up to 18 years before
        hired = next(
            (d for k, v in values.items() if _has(k, "hire", "joined", "onboard") and (d := _iso_date(v))),
            today,
        )
        return hired - dt.timedelta(days=rng.randrange(0, 365 * 18))
    if _has(n, "expected", "due", "deadline", "plan", "close", "expire"):
        return today + dt.timedelta(days=rng.randrange(5, 90))
    if _is_start(n):  # not before the record's other dates (a contract starts once it is signed)
        other = [d for k, v in values.items() if not _is_end(k) and (d := _iso_date(v))]
        if other:
            return max(other) + dt.timedelta(days=rng.randrange(0, 20))
        return today + dt.timedelta(days=rng.randrange(-45, 20))
    return today - dt.timedelta(days=rng.randrange(0, 90))


def _start_of(name: str, values: Mapping[str, Any]) -> dt.date | None:
    """The start date an end date must follow (``end_date`` after ``start_date``)."""
    if not _is_end(name):
        return None
    return next((d for k, v in values.items() if _is_start(k) and (d := _iso_date(v))), None)


def _start_moment(name: str, values: Mapping[str, Any]) -> dt.datetime | None:
    """The start an end must follow, for date-times (``return_at`` after ``depart_at``)."""
    if not _is_end(name):
        return None
    return next((m for k, v in values.items() if _is_start(k) and (m := _iso_moment(v))), None)


def _span(values: Mapping[str, Any]) -> int | None:
    """Days from the record's start date to its end date, both counted (a leave's length)."""
    start = next((d for k, v in values.items() if _is_start(k) and (d := _iso_date(v))), None)
    end = next((d for k, v in values.items() if _is_end(k) and (d := _iso_date(v))), None)
    return (end - start).days + 1 if start and end else None


def _time(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    """Office hours; an end time one to three hours after its start time."""
    if _is_end(field.name):
        start = next(
            (v for k, v in values.items() if _is_start(k) and isinstance(v, str) and _TIME.match(v)), None
        )
        if start is not None:
            hour = min(int(start[:2]) + fake.rng.randint(1, 3), 23)
            return dt.time(hour, int(start[3:5])).isoformat()
    return dt.time(fake.rng.randrange(8, 18), fake.rng.choice((0, 30))).isoformat()


def _select(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    return fake.rng.choice(field.options).key if field.options else SKIP


def _multiselect(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    if not field.options:
        return SKIP
    count = fake.rng.randint(1, min(2, len(field.options)))
    return [o.key for o in fake.rng.sample(field.options, count)]


def _email(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    return fake.email()


def _phone(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    companyish = _has(entity.name, "customer", "company", "supplier", "vendor", "partner")
    return fake.landline() if companyish and not _has(field.name, "mobile") else fake.mobile()


def _url(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    return fake.url()


def _region(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    province, city, district, _street = fake.place()
    region = {"province": province, "city": city, "district": district}
    depth = {"province": 1, "city": 2}.get(field.levels or "district", 3)
    return dict(list(region.items())[:depth])


def _geo(field: Field, entity: Entity, fake: Faker, values: Mapping[str, Any]) -> Any:
    rng = fake.rng
    return {
        "lng": round(rng.uniform(104, 121.5), 6),
        "lat": round(rng.uniform(22.5, 39.9), 6),
        "address": fake.address(),
    }


_BY_TYPE: dict[str, Maker] = {
    "string": _text,
    "text": _long_text,
    "rich_text": _rich_text,
    "integer": _integer,
    "decimal": _decimal,
    "money": _money,
    "percent": _percent,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "time": _time,
    "select": _select,
    "multiselect": _multiselect,
    "email": _email,
    "phone": _phone,
    "url": _url,
    "region": _region,
    "geo": _geo,
}


def _bounded(field: Field, low: float, high: float) -> tuple[float, float]:
    """The hinted range cut to the field's own bounds."""
    low = max(low, field.min) if field.min is not None else low
    high = min(high, field.max) if field.max is not None else high
    return low, max(high, low)


def _whole(fake: Faker, low: float, high: float) -> int:
    return fake.rng.randint(math.ceil(low), max(math.ceil(low), math.floor(high)))


def _within(field: Field, value: float) -> bool:
    return (field.min is None or value >= field.min) and (field.max is None or value <= field.max)


def _scaled(field: Field, value: float) -> str:
    """A decimal value as text with the field's scale, as an API client would send it."""
    scale = field.scale if field.scale is not None else 2
    return str(decimal.Decimal(str(value)).quantize(decimal.Decimal(1).scaleb(-scale)))
