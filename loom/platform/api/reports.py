"""Report routes: ``GET /reports`` (the reports the caller may open) and
``GET /reports/<app>/<name>`` (rows, totals, applied filters, chart spec, drill-down links),
with ``/reports/<app>/<name>/export.csv|xlsx``.

Parameters: ``period`` (``this_month``, ``last_30_days``, ``custom`` with ``from``/``to``),
``chart`` (another chart type), ``measure`` (the one the chart draws), ``lang``; every other
parameter filters as in record lists: ``stage=won``, ``amount__gte=1000``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request
from flask import url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound as HttpNotFound

from ..records.query import Condition
from ..reports import ReportService
from ..reports import Request
from ..reports.drill import query_string
from ..reports.model import CHARTS
from ..reports.model import Report
from ..reports.present import present
from ..reports.present import table
from ..services import Services
from .auth import require_actor
from .i18n import lang

bp = Blueprint("reports", __name__)
REPORT_PARAMETERS = frozenset({"period", "from", "to", "chart", "measure", "lang"})
MULTI_VALUE = frozenset({"in", "not_in", "between"})


def reports_of(app: Flask) -> ReportService:
    """The report service of the app's current Catalog revision, built once per revision."""
    services: Services = app.extensions["loom"]
    built = app.extensions.setdefault("loom_reports", {})
    revision = services.runtime.catalog.revision
    if revision not in built:
        built.clear()
        built[revision] = ReportService(services.records)
    return built[revision]


def report_request(args: MultiDict[str, str]) -> Request:
    """A viewer's parameters: the period, chart and filters in the records API's list syntax."""
    filters = []
    for key in args:
        if key in REPORT_PARAMETERS or key == "page":
            continue
        field, _, op = key.partition("__")
        op = op or "eq"
        for value in args.getlist(key):
            if value == "":
                continue  # an empty form control filters nothing
            parsed: Any = value.split(",") if op in MULTI_VALUE else value
            filters.append(Condition(field, op, parsed))
    return Request(
        filters=tuple(filters),
        period=args.get("period") or ("custom" if args.get("from") or args.get("to") else None),
        start=args.get("from") or None,
        end=args.get("to") or None,
        chart=args.get("chart") or None,
    )


def report_body(app_name: str, name: str, args: MultiDict[str, str]) -> dict[str, Any]:
    """The presented report for the caller, with drill-down links to the portal list and the API."""
    reports = reports_of(current_app)
    result = reports.run(f"{app_name}.{name}", require_actor(), report_request(args))
    app_part, _, entity_part = result.report.entity.partition(".")

    def links(conditions: Iterable[Condition] | None) -> dict[str, str] | None:
        if conditions is None or result.report.source:  # platform data has no list to drill to
            return None
        pairs = query_string(tuple(conditions))
        portal = url_for("web.lists.index", app=app_part, entity=entity_part)
        api = url_for("api.records.list_records", app=app_part, entity=entity_part)
        return {
            "portal": f"{portal}?{urlencode(pairs)}" if pairs else portal,
            "api": f"{api}?{urlencode([*pairs, ('count', 'exact')])}",
        }

    return present(result, lang(), links, args.get("measure"))


@bp.get("/reports")
def list_reports() -> Response:
    reports = reports_of(current_app).visible(require_actor())
    return jsonify({"items": [_summary(r) for r in reports]})


@bp.get("/reports/<app>/<name>")
def show_report(app: str, name: str) -> Response:
    return jsonify(report_body(app, name, request.args))


@bp.get("/reports/<app>/<name>/export.<fmt>")
def export_report(app: str, name: str, fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise HttpNotFound()
    return export_response(report_body(app, name, request.args), f"{app}.{name}", fmt)


def export_response(body: dict[str, Any], filename: str, fmt: str) -> Response:
    """The report's rows (labels and raw numbers) with its totals as CSV or XLSX."""
    from ..web.export import FORMATS  # the portal's writers; imported here, as the portal imports this module
    from ..web.export import as_csv
    from ..web.export import as_xlsx

    header, rows = table(body, lang())
    data = as_csv(header, rows) if fmt == "csv" else as_xlsx(header, rows, body["report"]["label"])
    response = Response(data, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _summary(report: Report) -> dict[str, Any]:
    return {
        "app": report.app,
        "name": report.name,
        "label": report.label.get(lang()),
        "description": report.description.get(lang()) if report.description else None,
        "entity": report.entity or None,
        "source": report.source,
        "chart": report.chart,
        "url": url_for("api.reports.show_report", app=report.app, name=report.name),
        "portal": url_for("web.reports.show", app=report.app, name=report.name),
    }


def openapi_paths(api: Any, problem: Any, errors: Any) -> None:
    """The report routes in the OpenAPI document; ``problem``/``errors`` build its error responses."""
    text = {"type": "string"}
    number = {"type": "number", "nullable": True}
    link = {
        "type": "object",
        "nullable": True,
        "description": "The records behind a figure: the portal list and the API list query",
        "properties": {"portal": text, "api": text},
    }
    cell = {
        "type": "object",
        "properties": {"values": {"type": "object", "additionalProperties": number}, "drill": link},
    }
    body = {
        "type": "object",
        "properties": {
            "report": {"type": "object"},
            "dimensions": {"type": "array", "items": {"type": "object"}},
            "measures": {"type": "array", "items": {"type": "object"}},
            "rows": {
                "type": "array",
                "items": {
                    "allOf": [cell],
                    "properties": {
                        "keys": {"type": "array", "items": {}},
                        "labels": {"type": "array", "items": text},
                        "others": {"type": "boolean"},
                    },
                },
            },
            "totals": cell,
            "pivot": {"type": "object", "nullable": True},
            "filters": {"type": "object"},
            "previous": {"type": "object", "nullable": True},
            "chart": {"type": "object", "description": "categories, series of numbers and a link per point"},
        },
    }
    path = [
        {"name": "app", "in": "path", "required": True, "schema": text},
        {"name": "name", "in": "path", "required": True, "schema": text},
    ]
    presets = "today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter, "
    presets += "this_year, last_year, last_<N>_days, custom (with from and to)"
    period = {"type": "string", "description": presets}
    query = [
        {"name": "period", "in": "query", "schema": period},
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "chart", "in": "query", "schema": {"type": "string", "enum": list(CHARTS)}},
        {"name": "measure", "in": "query", "schema": text},
        {
            "name": "filters",
            "in": "query",
            "style": "form",
            "explode": True,
            "schema": {"type": "object", "additionalProperties": text},
            "description": "A field the entity's list filters on, or a dimension, as field__op=value",
        },
    ]
    failures = {**errors("401", "403", "404", "422"), "400": problem("The report cannot run")}
    summary = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}
    api.path(
        path="/reports",
        operations={
            "get": {
                "summary": "The reports you may open",
                "responses": {"200": _json(summary), **errors("401")},
            }
        },
    )
    api.path(
        path="/reports/{app}/{name}",
        parameters=path,
        operations={
            "get": {
                "summary": "Run a report",
                "parameters": query,
                "responses": {"200": _json(body), **failures},
            }
        },
    )
    binary = {"type": "string", "format": "binary"}
    api.path(
        path="/reports/{app}/{name}/export.{fmt}",
        parameters=[
            *path,
            {
                "name": "fmt",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": ["csv", "xlsx"]},
            },
        ],
        operations={
            "get": {
                "summary": "A report's rows and totals as CSV or XLSX",
                "parameters": query,
                "responses": {
                    "200": {
                        "description": "The file",
                        "content": {
                            "text/csv": {"schema": binary},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": binary
                            },
                        },
                    },
                    **failures,
                },
            }
        },
    )


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}
