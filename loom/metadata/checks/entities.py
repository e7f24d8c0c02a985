"""Semantic checks of entity documents: names, references, expressions, field options."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..index import Index
from ..index import fields_of
from ..problems import Problem
from ..source import Document
from . import common
from .icons import check_icon
from .names import check_field_name
from .names import check_identifier
from .names import check_length
from .names import child_table_name
from .names import table_name

FIELD = {"en": "field", "zh": "字段"}
RULE = {"en": "rule", "zh": "规则"}
VIEW = {"en": "view", "zh": "视图"}
OPTION = {"en": "option", "zh": "选项"}
_TOKEN = re.compile(r"\{([^{}]*)\}")
_DATE_TOKENS = ("YYYY", "YY", "MM", "DD")
MOMENTS = frozenset({"date", "datetime"})  # the field types a calendar event runs between
TOTALLED = frozenset({"integer", "decimal", "money"})  # a column total; computed: by its result


def check_entity(doc: Document, index: Index) -> Iterator[Problem]:
    app = doc.app or ""
    data = doc.data
    yield from check_identifier(doc, "/name", doc.name)
    yield from check_length(doc, "/name", table_name(app, doc.name))
    yield from check_icon(doc)
    fields = fields_of(doc)
    variables = common.entity_variables(doc)
    yield from common.duplicates(doc, "/fields", data["fields"], FIELD)
    for i, item in enumerate(data["fields"]):
        yield from _check_field(doc, index, f"/fields/{i}", item, variables)
    if "title_field" in data:
        yield from common.field_ref(doc, "/title_field", data["title_field"], doc, fields)
    if "summary" in data:
        yield from common.template(doc, "/summary", data["summary"], doc, fields)
    yield from common.duplicates(doc, "/rules", data.get("rules", []), RULE)
    for i, rule in enumerate(data.get("rules", [])):
        for key in ("check", "when"):
            yield from common.expression(doc, f"/rules/{i}/{key}", rule.get(key), variables)
        if "field" in rule:
            yield from common.field_ref(doc, f"/rules/{i}/field", rule["field"], doc, fields)
    for i, spec in enumerate(data.get("indexes", [])):
        names = spec["fields"] if isinstance(spec, dict) else spec
        pointer = f"/indexes/{i}/fields" if isinstance(spec, dict) else f"/indexes/{i}"
        yield from _field_or_system(doc, pointer, names)
    yield from _check_list(doc, index, data.get("list", {}), variables)
    yield from _check_permissions(doc, index, data.get("permissions", []), variables)


def _check_field(
    doc: Document, index: Index, pointer: str, item: dict[str, Any], variables: set[str]
) -> Iterator[Problem]:
    app = doc.app or ""
    name = item["name"]
    kind = item["type"]
    yield from check_field_name(doc, f"{pointer}/name", name)
    if kind in ("table", "many"):
        yield from check_length(doc, f"{pointer}/name", child_table_name(app, doc.name, name))
    if kind in ("link", "many", "table"):
        target, problems = common.entity_ref(
            index, doc, f"{pointer}/entity", item["entity"], child=kind == "table"
        )
        yield from problems
        if "filter" in item:
            yield from common.expression(
                doc,
                f"{pointer}/filter",
                item["filter"],
                common.entity_variables(target) | {"record"},
                {"record": doc},
            )
    if "compute" in item:
        yield from common.expression(doc, f"{pointer}/compute", item["compute"], variables - {name})
        if "default" in item:
            yield doc.problem("entity.compute_and_default", f"{pointer}/default")
    if kind == "autonumber":
        yield from _check_pattern(doc, f"{pointer}/pattern", item["pattern"])
    if "scale" in item and "precision" in item and item["scale"] > item["precision"]:
        yield doc.problem(
            "entity.scale", f"{pointer}/scale", scale=item["scale"], precision=item["precision"]
        )
    for low, high in (("min", "max"), ("min_length", "max_length"), ("min_rows", "max_rows")):
        if low in item and high in item and item[low] > item[high]:
            yield doc.problem("entity.range", f"{pointer}/{low}", min=item[low], max=item[high])
    if kind in ("select", "multiselect"):
        yield from _check_options(doc, pointer, item)
    if kind == "rollup":
        yield from _check_rollup(doc, index, f"{pointer}/rollup", item["rollup"])
    if "total" in item:
        yield from _check_total(doc, f"{pointer}/total", item)


def _check_total(doc: Document, pointer: str, item: dict[str, Any]) -> Iterator[Problem]:
    """A total adds up a child's number column under its grid; percentages and ratings do not
    add up, and a parent's fields have no grid to show one under."""
    kind = item["type"]
    summed = item.get("result", "string") if kind == "computed" else kind
    if summed not in TOTALLED:
        shown = f"computed {summed}" if kind == "computed" else kind
        yield doc.problem("entity.total_type", pointer, field=item["name"], type=shown)
    elif not doc.data.get("child"):
        yield doc.problem("entity.total_not_child", pointer, field=item["name"])


def _option_keys(item: dict[str, Any]) -> list[str]:
    return [o if isinstance(o, str) else o["key"] for o in item.get("options", [])]


def _check_options(doc: Document, pointer: str, item: dict[str, Any]) -> Iterator[Problem]:
    keys = _option_keys(item)
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in first:
            other = str(doc.locate(f"{pointer}/options/{first[key]}"))
            yield doc.problem("name.duplicate", f"{pointer}/options/{i}", what=OPTION, name=key, other=other)
        first.setdefault(key, i)
    default = item.get("default")
    defaults = default if isinstance(default, list) and item["type"] == "multiselect" else [default]
    for value in defaults:
        if value is not None and (not isinstance(value, str) or value not in first):
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            yield doc.problem(
                "entity.default_option", f"{pointer}/default", value=shown, allowed=", ".join(keys)
            )


def _check_pattern(doc: Document, pointer: str, pattern: str) -> Iterator[Problem]:
    tokens = _TOKEN.findall(pattern)
    for token in tokens:
        if token not in _DATE_TOKENS and not re.fullmatch(r"#{2,12}", token):
            yield doc.problem("entity.autonumber_token", pointer, pattern=pattern, token=token)
    if not any(re.fullmatch(r"#{2,12}", t) for t in tokens):
        yield doc.problem("entity.autonumber_pattern", pointer, pattern=pattern)


def _check_rollup(doc: Document, index: Index, pointer: str, rollup: dict[str, Any]) -> Iterator[Problem]:
    related, problems = common.entity_ref(index, doc, f"{pointer}/of", rollup["of"])
    yield from problems
    if related is None:
        return
    related_fields = fields_of(related)
    via = rollup["via"]
    yield from common.field_ref(doc, f"{pointer}/via", via, related, related_fields)
    link = related_fields.get(via)
    if link is not None:
        points_here = link["type"] == "link" and _same_entity(index, related, link.get("entity", ""), doc)
        if not points_here:
            yield doc.problem(
                "ref.field_type",
                f"{pointer}/via",
                field=via,
                actual=link["type"],
                expected={"en": f"a link to {doc.name}", "zh": f"指向 {doc.name} 的关联字段"},
            )
    if "field" in rollup:
        # A rollup is stored as a number: min and max of dates are not rollups (yet).
        yield from common.aggregated_field(
            doc,
            f"{pointer}/field",
            rollup["aggregate"],
            rollup["field"],
            related,
            related_fields,
            numeric=("sum", "avg", "min", "max"),
        )
    elif rollup["aggregate"] != "count":
        yield doc.problem("schema.required", pointer, key="field")
    if "where" in rollup:
        yield from common.expression(
            doc, f"{pointer}/where", rollup["where"], common.entity_variables(related)
        )


def _same_entity(index: Index, holder: Document, ref: str, target: Document) -> bool:
    owner, name = index.split(ref, holder.app or "")
    return (owner, name) == (target.app, target.name)


def _check_list(
    doc: Document, index: Index, settings: dict[str, Any], variables: set[str]
) -> Iterator[Problem]:
    for key in ("columns", "filters"):
        yield from _field_or_system(doc, f"/list/{key}", settings.get(key, []))
    yield from _check_sort(doc, "/list/sort", settings.get("sort"))
    yield from common.duplicates(doc, "/list/views", settings.get("views", []), VIEW)
    for i, view in enumerate(settings.get("views", [])):
        yield from common.expression(doc, f"/list/views/{i}/filter", view.get("filter"), variables)
        yield from _field_or_system(doc, f"/list/views/{i}/columns", view.get("columns", []))
        yield from _check_sort(doc, f"/list/views/{i}/sort", view.get("sort"))
        for j, role in enumerate(view.get("roles", [])):
            yield from common.role_ref(index, doc, f"/list/views/{i}/roles/{j}", role)
    yield from _check_card(doc, settings.get("card", {}))
    if "board" in settings:
        yield from _check_board(doc, index, settings["board"])
    if "calendar" in settings:
        yield from _check_calendar(doc, settings["calendar"])


def _check_calendar(doc: Document, calendar: dict[str, Any]) -> Iterator[Problem]:
    """An event runs from a date to a date or from a moment to a moment (never a mix), is
    tinted by a select's options and reads as a summary-like template."""
    fields = fields_of(doc)
    start = calendar["start"]
    yield from common.field_ref(doc, "/list/calendar/start", start, doc, fields)
    kind = fields[start].get("type") if start in fields else None
    if kind is not None and kind not in MOMENTS:
        yield doc.problem("entity.calendar_start", "/list/calendar/start", field=start, type=kind)
    end = calendar.get("end")
    if end is not None:
        yield from common.field_ref(doc, "/list/calendar/end", end, doc, fields)
        other = fields[end].get("type") if end in fields else None
        if other is not None and kind in MOMENTS and other != kind:
            yield doc.problem("entity.calendar_end", "/list/calendar/end", field=end, type=other, start=kind)
    color = calendar.get("color")
    if color is not None and color != "flow_status":
        yield from common.field_ref(doc, "/list/calendar/color", color, doc, fields)
        if color in fields and fields[color].get("type") != "select":
            yield doc.problem(
                "entity.calendar_color", "/list/calendar/color", field=color, type=fields[color]["type"]
            )
    event_color = calendar.get("event_color")
    if event_color is not None:
        yield from common.field_ref(doc, "/list/calendar/event_color", event_color, doc, fields)
        spec = fields.get(event_color, {})
        if spec and (spec.get("type") != "string" or spec.get("widget") != "color"):
            yield doc.problem("entity.calendar_event_color", "/list/calendar/event_color", field=event_color)
    all_day = calendar.get("all_day")
    if all_day is not None:
        yield from common.field_ref(doc, "/list/calendar/all_day", all_day, doc, fields)
        kind = fields[all_day].get("type") if all_day in fields else "boolean"
        if kind != "boolean":
            yield doc.problem("entity.calendar_all_day", "/list/calendar/all_day", field=all_day, type=kind)
    if "title" in calendar:
        yield from common.template(doc, "/list/calendar/title", calendar["title"], doc, fields)


def _check_board(doc: Document, index: Index, board: dict[str, Any]) -> Iterator[Problem]:
    """The board's columns come from a select's options or a link's records; a group and an
    order only make sense for a link, whose records must carry the same group link."""
    fields = fields_of(doc)
    name = board["field"]
    yield from common.field_ref(doc, "/list/board/field", name, doc, fields)
    kind = fields[name].get("type") if name in fields else None
    if kind is not None and kind not in ("select", "link"):
        yield doc.problem("entity.board_field", "/list/board/field", field=name, type=kind)
    if "sum" in board:
        yield from common.aggregated_field(doc, "/list/board/sum", "sum", board["sum"], doc, fields)
    target = (
        index.resolve("entity", fields[name]["entity"], doc.app or "").document if kind == "link" else None
    )
    for key in ("group_by", "order_by"):
        if key in board and kind == "select":
            yield doc.problem("entity.board_select", f"/list/board/{key}", field=name, key=key)
    if "order_by" in board and target is not None:
        order = board["order_by"]
        keys = order if isinstance(order, list) else [order]
        for i, key in enumerate(keys):
            here = f"/list/board/order_by/{i}" if isinstance(order, list) else "/list/board/order_by"
            yield from common.field_ref(doc, here, key.lstrip("-"), target, system=True)
    group = board.get("group_by")
    if group is None or kind != "link":
        return
    yield from common.field_ref(doc, "/list/board/group_by", group, doc, fields)
    if target is None or group not in fields:
        return
    mine, theirs = fields[group], fields_of(target).get(group, {})
    same = theirs.get("type") == "link" and _same_target(index, doc, mine, target, theirs)
    if mine.get("type") != "link" or not same:
        yield doc.problem("entity.board_group", "/list/board/group_by", field=group, target=target.name)


def _same_target(
    index: Index, doc: Document, mine: dict[str, Any], target: Document, theirs: dict[str, Any]
) -> bool:
    """Whether two link fields (one of ``doc``, one of ``target``) point to the same entity."""
    return index.split(mine.get("entity", ""), doc.app or "") == index.split(
        theirs["entity"], target.app or ""
    )


def _check_card(doc: Document, card: dict[str, Any]) -> Iterator[Problem]:
    """The card names fields of the entity; its status chip needs options (or the approval status)."""
    fields = fields_of(doc)
    if "title" in card:
        yield from common.field_ref(doc, "/list/card/title", card["title"], doc, fields, system=True)
    yield from _field_or_system(doc, "/list/card/fields", card.get("fields", []))
    status = card.get("status")
    if status is None or status == "flow_status":
        return
    if status not in fields:
        yield from common.field_ref(doc, "/list/card/status", status, doc, fields)
    elif fields[status].get("type") != "select":
        yield doc.problem(
            "entity.card_status", "/list/card/status", field=status, type=fields[status].get("type")
        )


def _field_or_system(doc: Document, pointer: str, names: list[str]) -> Iterator[Problem]:
    fields = fields_of(doc)
    for i, name in enumerate(names):
        yield from common.field_ref(doc, f"{pointer}/{i}", name, doc, fields, system=True)


def _check_sort(doc: Document, pointer: str, sort: Any) -> Iterator[Problem]:
    if sort is None:
        return
    keys = sort if isinstance(sort, list) else [sort]
    fields = fields_of(doc)
    for i, key in enumerate(keys):
        here = f"{pointer}/{i}" if isinstance(sort, list) else pointer
        yield from common.field_ref(doc, here, key.lstrip("-"), doc, fields, system=True)


def _check_permissions(
    doc: Document, index: Index, grants: list[dict[str, Any]], variables: set[str]
) -> Iterator[Problem]:
    if grants and doc.data.get("child"):
        yield doc.problem("entity.child_permissions", "/permissions")
    for i, grant in enumerate(grants):
        yield from common.role_ref(index, doc, f"/permissions/{i}/role", grant["role"])
        yield from common.expression(doc, f"/permissions/{i}/also_read", grant.get("also_read"), variables)
        for key in ("hidden", "readonly"):
            yield from common.field_refs(doc, f"/permissions/{i}/{key}", grant.get(key, []), doc)
