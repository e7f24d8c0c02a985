"""Text for a string field, by what its name and its entity's name say it holds.

Two ordered tables: field-name hints (``mobile``, ``address``, ``tax_number``…), then, for
title fields, entity-name hints (``customer``, ``contract``, ``ticket``…). The first match
wins; a field nothing matches gets a plausible business phrase.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

from . import words

if TYPE_CHECKING:
    from .values import Faker

Matcher = Callable[[str], bool]
Make = Callable[["Faker", Entity], str]
TITLE_FIELDS = frozenset({"name", "title", "subject", "topic"})


def part(*parts: str) -> Matcher:
    """A name containing one of ``parts``."""
    return lambda name: any(p in name for p in parts)


def word(*options: str) -> Matcher:
    """A name with one of ``options`` between its underscores (``no`` in ``doc_no``, not ``note``)."""
    return lambda name: any(w in name.split("_") for w in options)


def pick(options: tuple[str, ...]) -> Make:
    return lambda fake, _entity: fake.rng.choice(options)


is_company = part("customer", "company", "supplier", "vendor", "partner", "competitor")
is_person = part("contact", "person", "employee", "staff", "member")
is_prose = part(
    "reason", "remark", "note", "description", "summary", "content", "comment", "detail", "feedback",
    "result", "suggestion", "agenda",
)  # fmt: skip

FIELD_HINTS: tuple[tuple[Matcher, Make], ...] = (
    (part("invoice_title", "payer", "buyer"), lambda f, _: f.company()),
    (part("phone", "mobile", "tel"), lambda f, _: f.mobile()),
    (part("address", "location"), lambda f, _: f.address()),
    (part("email", "mail"), lambda f, _: f.email()),
    (part("logistics", "tracking", "express"), lambda f, _: f"SF{f.rng.randrange(10**11, 10**12)}"),
    (part("invoice"), lambda f, _: f.invoice_no()),
    (part("bank_name", "opening_bank"), pick(words.BANKS)),
    (part("account", "bank"), lambda f, _: f.bank_account()),
    (part("wechat", "weixin"), lambda f, _: f.wechat()),
    (word("qq"), lambda f, _: f.qq()),
    (part("tax", "credit_code"), lambda f, _: f.tax_number()),
    (part("website", "url", "homepage"), lambda f, _: f.url()),
    (part("doc_number", "doc_word", "doc_no", "dispatch_no"), lambda f, _: f.doc_number()),
    (part("version"), lambda f, _: f"V{f.rng.randrange(1, 4)}.{f.rng.randrange(10)}"),
    (part("color", "colour"), pick(words.COLORS)),
    (part("floor"), lambda f, _: f"{f.rng.randrange(1, 21)}楼"),
    (part("building"), pick(("A座", "B座", "1号楼", "研发楼"))),
    (word("room"), lambda f, _: f"{f.rng.randrange(1, 21)}{f.rng.randrange(1, 30):02d}室"),
    (word("unit"), pick(words.UNITS)),
    (part("spec", "model"), pick(words.SPECS)),
    (part("budget"), pick(words.BUDGETS)),
    (part("device"), pick(words.DEVICES)),
    (part("send", "recipients"), pick(words.ORG_UNITS)),
    (word("city"), lambda f, _: f.rng.choice(words.CITY_PREFIXES)),
    (part("document", "file_name"), pick(words.DOCUMENTS)),
    (part("keyword"), pick(words.KEYWORDS)),
    (word("next"), pick(words.NEXT_STEPS)),
    (part("post", "position", "job"), pick(words.JOB_TITLES)),
    (part("product", "item"), pick(words.PRODUCTS)),
    (part("company", "guest", "supplier", "vendor", "customer", "org"), lambda f, _: f.company()),
    (part("contact", "person", "receiver", "recipient", "handler", "linkman"), lambda f, _: f.person()),
    (word("code", "no", "number", "sn"), lambda f, _: f.code()),
    (lambda name: name in TITLE_FIELDS, lambda f, entity: title_for(f, entity)),
    (is_prose, pick(words.SENTENCES)),
)

ENTITY_TITLES: tuple[tuple[Matcher, Make], ...] = (
    (is_company, lambda f, _: f.company()),
    (is_person, lambda f, _: f.person()),
    (part("opportunit", "deal", "project", "lead"), lambda f, _: f.deal("项目")),
    (part("contract", "order", "quot"), lambda f, _: f.deal("采购合同")),
    (part("announcement", "notice", "news"), pick(words.ANNOUNCEMENTS)),
    (part("doc", "dispatch", "file", "archive"), pick(words.DOC_TITLES)),
    (part("campaign", "activity", "event"), pick(words.CAMPAIGNS)),
    (part("ticket", "issue", "complaint"), pick(words.TICKETS)),
    (part("room"), lambda f, _: f"{f.rng.choice(words.ROOMS)}会议室"),
    (part("seal"), pick(words.SEALS)),
    (part("schedule", "meeting", "booking"), pick(words.MEETINGS)),
    (part("report"), lambda f, _: f"{f.today.year}年第{f.today.isocalendar().week}周工作周报"),
    (part("product", "item"), pick(words.PRODUCTS)),
)


def text_value(field: Field, entity: Entity, fake: Faker) -> str:
    """Text for ``field``, cut to its maximum length."""
    make = next((m for matches, m in FIELD_HINTS if matches(field.name)), pick(words.PURPOSES))
    text = make(fake, entity)
    if (
        field.unique
        and field.name in TITLE_FIELDS
        and not (is_company(entity.name) or is_person(entity.name))
    ):
        text = f"{text}{fake.rng.randrange(100, 1000)}"  # titles from short lists would repeat
    return text[: field.max_length] if field.max_length else text


def title_for(fake: Faker, entity: Entity) -> str:
    """A record title that fits what the entity holds."""
    make = next((m for matches, m in ENTITY_TITLES if matches(entity.name)), pick(words.PURPOSES))
    return make(fake, entity)
