"""Amounts of money as people read them, with Babel's CLDR data.

The currency symbol is the one the site's own locale writes: a Chinese company's yuan are
``¥`` for its English readers too (English CLDR writes ``CN¥``, meant for readers abroad).
The digits follow the reader's language. Tables show the full amount (``¥178,300.00``);
number cards and charts show it short, in the reader's own units: ``¥17.83万`` and ``¥1.2亿``
in Chinese, ``¥178.3K`` and ``¥1.2M`` in English. The chart script shortens axis ticks it
makes up itself with :func:`compact_steps`, the same CLDR table Babel shortens with here.
"""

from __future__ import annotations

import decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_compact_currency
from babel.numbers import format_currency
from babel.numbers import get_currency_symbol

DEFAULT_CURRENCY = "CNY"
DEFAULT_LOCALE = "zh_CN"
READERS = {"zh": "zh_CN", "en": "en"}  # the portal's languages as Babel locales
Number = int | float | decimal.Decimal


def currency_symbol(currency: str, site_locale: str = DEFAULT_LOCALE) -> str:
    """The symbol the site's locale writes for ``currency``: ``¥`` for CNY on a zh_CN site."""
    return get_currency_symbol(currency, _locale(site_locale))


def format_money(value: Number, currency: str, lang: str, *, symbol: str, compact: bool = False) -> str:
    """``value`` in ``currency`` for a reader of ``lang``, written with ``symbol`` (see
    :func:`currency_symbol`); ``compact`` for cards and charts (at most two decimals)."""
    reader = _locale(READERS.get(lang, lang))
    if compact:
        text = format_compact_currency(value, currency, locale=reader, fraction_digits=2)
    else:
        text = format_currency(value, currency, locale=reader)
    return text.replace(get_currency_symbol(currency, reader), symbol, 1)


def compact_steps(lang: str) -> list[tuple[float, float, str]]:
    """The reader's short units as (from, divide by, suffix), smallest first: for Chinese
    (1e4, 1e4, "万"), (1e8, 1e8, "亿"), …; for English (1e3, 1e3, "K"), (1e6, 1e6, "M"), …"""
    return list(_steps(READERS.get(lang, lang)))


@lru_cache(maxsize=8)
def _steps(name: str) -> tuple[tuple[float, float, str], ...]:
    patterns = _locale(name).compact_decimal_formats["short"]["other"]
    steps: list[tuple[float, float, str]] = []
    for magnitude, pattern in sorted(patterns.items(), key=lambda item: int(item[0])):
        suffix = pattern.suffix[0].strip()  # (positive, negative)
        if not suffix:
            continue  # "0": shown in full
        zeros = pattern.pattern.count("0")
        divisor = float(int(magnitude) // 10 ** (zeros - 1))
        if not steps or steps[-1][1:] != (divisor, suffix):
            steps.append((float(magnitude), divisor, suffix))
    return tuple(steps)


@lru_cache(maxsize=8)
def _locale(name: str) -> Locale:
    return Locale.parse(name)
