"""Money as Chinese and English readers of a Chinese site read it: the site's ¥ in both
languages, full amounts in tables, 万/亿 or K/M in cards and charts."""

from __future__ import annotations

import decimal

import pytest

from loom.platform.money import compact_steps
from loom.platform.money import currency_symbol
from loom.platform.money import format_money

YUAN = currency_symbol("CNY", "zh_CN")


@pytest.mark.parametrize(
    ("value", "lang", "full", "short"),
    [
        (178300, "zh", "¥178,300.00", "¥17.83万"),
        (178300, "en", "¥178,300.00", "¥178.3K"),
        (decimal.Decimal("1783000000"), "zh", "¥1,783,000,000.00", "¥17.83亿"),
        (1783000000, "en", "¥1,783,000,000.00", "¥1.78B"),
        (-250000, "zh", "-¥250,000.00", "-¥25万"),
        (9500.5, "zh", "¥9,500.50", "¥9500.5"),
        (0, "en", "¥0.00", "¥0"),
    ],
)
def test_amounts_in_tables_and_in_cards(value, lang: str, full: str, short: str) -> None:
    assert format_money(value, "CNY", lang, symbol=YUAN) == full
    assert format_money(value, "CNY", lang, symbol=YUAN, compact=True) == short


def test_the_symbol_is_the_sites_locales_and_the_digits_the_readers() -> None:
    assert YUAN == "¥" and currency_symbol("CNY", "en") == "CN¥"
    assert currency_symbol("USD", "zh_CN") == "US$" and currency_symbol("USD", "en_US") == "$"
    dollars = currency_symbol("USD", "en_US")
    assert format_money(1234.5, "USD", "zh", symbol=dollars) == "$1,234.50"
    assert format_money(2_500_000, "USD", "zh", symbol=dollars, compact=True) == "$250万"


def test_the_chart_scripts_steps_are_the_units_babel_shortens_with() -> None:
    assert compact_steps("zh")[:2] == [(1e4, 1e4, "万"), (1e8, 1e8, "亿")]
    assert compact_steps("en")[:3] == [(1e3, 1e3, "K"), (1e6, 1e6, "M"), (1e9, 1e9, "B")]
    for lang in ("zh", "en"):  # shortening by a step gives what Babel writes
        for value in (12_346, 178_300, 98_765_432, 1_783_000_000):
            _start, divisor, suffix = [s for s in compact_steps(lang) if value >= s[0]][-1]
            text = f"{round(value / divisor, 2):g}{suffix}"
            assert format_money(value, "CNY", lang, symbol="¥", compact=True) == "¥" + text
