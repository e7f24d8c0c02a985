"""How numbers read on the portal: thousands separators, except where a field says a number is
a name (a year reads 2026, not 2,026)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import loom
from loom.metadata import validate_paths
from loom.platform.web.widgets import as_text
from loom.platform.web.widgets import bare_title

CATALOG = validate_paths([Path(loom.__file__).parent / "builtin_apps"]).catalog
ZONE = ZoneInfo("Asia/Shanghai")


def test_a_year_is_shown_as_a_year_and_other_integers_grouped() -> None:
    for entity in ("oa.leave_balance", "crm.sales_target"):
        year = CATALOG.entity(entity).field("year")
        assert as_text(year, 2026, bare_title, ZONE) == "2026"
    quantity = next(
        f for e in CATALOG.entities.values() for f in e.fields if f.type == "integer" and f.name != "year"
    )
    assert quantity.grouping and as_text(quantity, 12000, bare_title, ZONE) == "12,000"
