"""Report pages: the reports the user may open, and one page per report with its filters,
time presets, chart, table and exports.

The table is rendered here from the same presented result the API returns; the chart is
drawn by ``static/reports.js`` from the API's JSON (the page names it in a ``data-`` attribute,
so no script is inline). Every number links to the list of the records behind it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for

from loom.metadata.catalog import Label

from ..api.reports import report_body
from ..api.reports import reports_of
from ..records.errors import ValidationFailed
from ..reports.model import Report
from ..reports.periods import OFFERED
from ..reports.periods import PRESETS
from ..reports.present import format_value
from .auth import actor
from .i18n import current_lang
from .i18n import label
from .lists import list_filters
from .portal import services
from .references import References
from .references import target_of

bp = Blueprint("reports", __name__)
PICKED = ("link", "user", "department")
CHART_NAMES = {
    "table": Label("表格", "Table"),
    "bar": Label("柱状图", "Bar"),
    "stacked_bar": Label("堆叠柱状图", "Stacked bar"),
    "horizontal_bar": Label("条形图", "Horizontal bar"),
    "line": Label("折线图", "Line"),
    "area": Label("面积图", "Area"),
    "pie": Label("饼图", "Pie"),
    "donut": Label("环形图", "Donut"),
    "funnel": Label("漏斗图", "Funnel"),
    "number": Label("指标卡", "Number"),
    "pivot": Label("透视表", "Pivot"),
}
PERIOD_NAMES = {
    **PRESETS,
    "last_7_days": Label("最近 7 天", "Last 7 days"),
    "last_30_days": Label("最近 30 天", "Last 30 days"),
    "last_90_days": Label("最近 90 天", "Last 90 days"),
    "custom": Label("自定义", "Custom range"),
}


def visible_by_app() -> dict[str, list[Report]]:
    """The reports the signed-in user may open, by app, in the Catalog's order."""
    found: dict[str, list[Report]] = {}
    for report in reports_of(current_app).visible(actor()):
        found.setdefault(report.app, []).append(report)
    return found


@bp.get("/reports")
def index() -> str:
    catalog = services().runtime.catalog
    by_app = visible_by_app()
    apps = [(app, by_app[name]) for name, app in catalog.apps.items() if by_app.get(name)]
    return render_template("reports.html", apps=apps)


@bp.get("/reports/<app>/<name>")
def show(app: str, name: str) -> str:
    report = reports_of(current_app).report(f"{app}.{name}", actor())
    entity = services().runtime.catalog.entity(report.entity) if report.entity else None
    filters = list_filters(entity) if entity is not None else []
    refs = References(services(), actor())
    for control in filters:  # the titles of the records, people and departments chosen in pickers
        chosen = request.args.get(control.name, "")
        if control.field.type in PICKED and chosen.isdigit():
            refs.want(target_of(control.field), [int(chosen)])
    error = None
    body: dict[str, Any] | None
    try:
        body = report_body(app, name, request.args)
    except ValidationFailed as failed:
        body, error = None, "; ".join(e.message(current_lang()) for e in failed.errors)
    args: dict[str, Any] = request.args.to_dict()
    return render_template(
        "report.html",
        report=report,
        body=body,
        error=error,
        filters=filters,
        refs=refs,
        picked=PICKED,
        entity=entity,
        periods=[(key, label(PERIOD_NAMES[key])) for key in OFFERED],
        charts=[(key, label(CHART_NAMES[key])) for key in (body["report"]["charts"] if body else ())],
        chart_name=lambda key: label(CHART_NAMES[key]),
        show=lambda value, unit: format_value(value, unit, current_lang()),
        data_url=url_for("api.reports.show_report", app=app, name=name, **args),
        export_url=lambda fmt: url_for("api.reports.export_report", app=app, name=name, fmt=fmt, **args),
    )
