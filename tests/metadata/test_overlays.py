"""Overlays: merge by name, remove, place, replace, and report what cannot apply."""

from __future__ import annotations

from loom.metadata import validate_paths

BASE = {
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: {zh: 客户, en: Customer}
        fields:
          - {name: title, type: string, required: true, label: {zh: 名称, en: Name}}
          - {name: industry, type: string}
          - {name: website, type: url}
          - {name: level, type: select, options: [a, b]}
        list: {columns: [title, industry]}
        """,
}


def overlay(patch: str, target: str = "shop.customer", extra: str = "") -> str:
    return f"kind: overlay\nname: acme\ntarget: {target}\n{extra}patch:\n{patch}"


def test_fields_merge_by_name_and_survive_in_order(write_package, tmp_path) -> None:
    package = write_package(BASE)
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme.yaml").write_text(
        overlay(
            "  fields:\n"
            "    - {name: credit_level, type: select, options: [A, B, C], after: industry}\n"
            "    - {name: website, remove: true}\n"
            "    - {name: industry, required: true, label: {zh: 行业}}\n"
            "    - {name: first, type: string, before: title}\n"
            "  list: {columns: [title]}\n"
            "  label: {zh: 顾客, en: Client}\n"
        ),
        encoding="utf-8",
    )
    result = validate_paths([package], [site])
    assert result.problems == ()
    entity = result.catalog.entity("shop.customer")
    assert [f.name for f in entity.fields] == ["first", "title", "industry", "credit_level", "level"]
    industry = entity.field("industry")
    assert industry.required and industry.type == "string" and industry.label.zh == "行业"
    assert entity.list.columns == ("title",)  # plain lists are replaced
    assert entity.label.en == "Client"


def test_problem_in_added_field_points_into_the_overlay(write_package, tmp_path) -> None:
    package = write_package(BASE)
    site = tmp_path / "site.yaml"
    site.write_text(overlay("  fields:\n    - {name: fax, type: fax_number}\n"), encoding="utf-8")
    (problem,) = validate_paths([package], [site]).problems
    assert problem.code == "schema.enum"
    assert problem.location.file.endswith("site.yaml")
    assert problem.location.line == 6


def test_missing_target_item_and_anchor_are_reported(write_package, tmp_path) -> None:
    package = write_package(BASE)
    site = tmp_path / "site.yaml"
    site.write_text(
        overlay("  fields:\n    - {name: fax, remove: true}\n    - {name: x, type: string, after: nowhere}\n")
        + "---\n"
        + overlay("  label: X\n", target="shop.supplier").replace("name: acme", "name: acme2"),
        encoding="utf-8",
    )
    problems = validate_paths([package], [site]).problems
    assert sorted((p.code, p.location.line) for p in problems) == [
        ("overlay.missing_anchor", 7),
        ("overlay.missing_item", 6),
        ("overlay.missing_target", 11),
    ]


def test_overlays_apply_in_declared_order(write_package, tmp_path) -> None:
    package = write_package(BASE)
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.yaml").write_text(overlay("  label: Second\n", extra="order: 2\n"), encoding="utf-8")
    (site / "b.yaml").write_text(
        overlay("  label: First\n", extra="order: 1\n").replace("acme", "acme_b"), encoding="utf-8"
    )
    result = validate_paths([package], [site])
    assert result.catalog.entity("shop.customer").label.en == "Second"


def test_package_overlay_patches_its_dependency(write_package, tmp_path) -> None:
    write_package(BASE, root=tmp_path)
    client = write_package(
        {"overlays/customer.yaml": overlay("  fields:\n    - {name: vip, type: boolean}\n")},
        name="acme",
        root=tmp_path,
    )
    (client / "app.yaml").write_text(
        "kind: app\nname: acme\nlabel: Acme\nversion: 1.0.0\ndepends: [shop]\n", encoding="utf-8"
    )
    result = validate_paths([tmp_path])
    assert result.problems == ()
    assert result.catalog.entity("shop.customer").has_field("vip")


FORMED = {
    **BASE,
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: {zh: 客户, en: Customer}
        fields:
          - {name: title, type: string, required: true, label: {zh: 名称, en: Name}}
          - {name: industry, type: string}
          - {name: website, type: url}
          - {name: level, type: select, options: [a, b]}
        list:
          columns: [title, industry, level]
          filters: [level]
          sort: -level
          views:
            - {name: top, label: Top, filter: 'level == "a"'}
            - {name: web, label: Web, columns: [title, level], sort: [level, title]}
        permissions:
          - {role: employee, read: all, write: all, readonly: [level]}
        """,
    "forms/customer.yaml": """\
        kind: form
        name: customer
        entity: customer
        tabs:
          - name: main
            label: Main
            sections:
              - {name: basic, fields: [title, industry]}
              - {name: rank, fields: [{field: level, span: 2}]}
          - name: more
            label: More
            sections:
              - {name: web, fields: [website]}
        """,
}


def _form_fields(catalog, name: str = "shop.customer") -> dict[str, list]:
    spec = catalog.definition("form", name).spec
    return {
        s["name"]: [i if isinstance(i, str) else i["field"] for i in s["fields"]]
        for tab in spec["tabs"]
        for s in tab["sections"]
    }


def test_removing_a_field_takes_it_out_of_forms_list_views_and_grants(write_package, tmp_path) -> None:
    package = write_package(FORMED)
    site = tmp_path / "site.yaml"
    site.write_text(
        overlay("  fields:\n    - {name: level, remove: true}\n    - {name: website, remove: true}\n")
    )
    result = validate_paths([package], [site])
    assert result.problems == ()
    entity = result.catalog.entity("shop.customer")
    assert entity.list.columns == ("title", "industry") and entity.list.filters == ()
    assert entity.list.sort == ("-created_at",)  # the default, as no sort is left
    assert [(v.name, v.columns, v.sort) for v in entity.list.views] == [("web", ("title",), ("title",))]
    assert entity.permissions[0].readonly == ()
    assert _form_fields(result.catalog) == {"basic": ["title", "industry"]}  # emptied sections and tab go


def test_a_field_still_read_elsewhere_is_reported_at_the_reader(write_package, tmp_path) -> None:
    form = FORMED["forms/customer.yaml"].replace(
        "fields: [website]", "fields: [website], visible_when: level != null"
    )
    rules = "\n        rules: [{check: 'true', field: level, message: M}]\n"
    entity = FORMED["entities/customer.yaml"].rstrip() + rules
    package = write_package({"entities/customer.yaml": entity, "forms/customer.yaml": form})
    site = tmp_path / "site.yaml"
    site.write_text(overlay("  fields:\n    - {name: level, remove: true}\n"))
    problems = validate_paths([package], [site]).problems
    assert [(p.code, p.location.file.rsplit("/", 1)[-1], p.pointer) for p in problems] == [
        ("ref.unknown_field", "customer.yaml", "/rules/0/field"),
        ("cel.unknown_name", "customer.yaml", "/tabs/1/sections/0/visible_when"),
    ]
    for problem in problems:  # each at the reference, naming the overlay line that removed the field
        assert problem.message().endswith(
            f"(removed from entity 'shop.customer' by the overlay at {site}:6:7: patch this too)"
        )


def test_added_fields_show_in_the_forms(write_package, tmp_path) -> None:
    package = write_package(FORMED)
    site = tmp_path / "site.yaml"
    site.write_text(
        overlay(
            "  fields:\n"
            "    - {name: credit, type: string, section: rank}\n"  # the section named
            "    - {name: motto, type: string, after: title}\n"  # beside its neighbour
            "    - {name: fax, type: string}\n"  # the last section
            "    - {name: secret, type: string, hidden: true}\n"  # not shown
        )
    )
    result = validate_paths([package], [site])
    assert result.problems == ()
    assert _form_fields(result.catalog) == {
        "basic": ["title", "motto", "industry"],
        "rank": ["level", "credit"],
        "web": ["website", "fax"],
    }


def test_a_form_overlay_that_places_the_new_field_wins(write_package, tmp_path) -> None:
    package = write_package(FORMED)
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.yaml").write_text(overlay("  fields:\n    - {name: fax, type: string}\n"))
    (site / "b.yaml").write_text(
        "kind: overlay\nname: acme_form\ntarget: shop.customer\ntarget_kind: form\npatch:\n"
        "  tabs:\n    - name: main\n      sections:\n"
        "        - {name: basic, fields: [title, fax, industry]}\n"
    )
    result = validate_paths([package], [site])
    assert result.problems == ()
    assert _form_fields(result.catalog)["basic"] == ["title", "fax", "industry"]
    assert _form_fields(result.catalog)["web"] == ["website"]


def test_a_change_of_a_field_the_target_lacks_is_refused_once(write_package, tmp_path) -> None:
    package = write_package(BASE)
    site = tmp_path / "site.yaml"
    site.write_text(overlay("  fields:\n    - {name: homepage, label: {zh: 官网}}\n"), encoding="utf-8")
    (problem,) = validate_paths([package], [site]).problems
    assert (problem.code, problem.location.line, problem.pointer) == (
        "overlay.missing_item",
        6,
        "/patch/fields/0",
    )
    assert "cannot change 'homepage'" in problem.message("en")


def test_what_a_package_marks_not_customizable_no_overlay_changes(write_package, tmp_path) -> None:
    locked = BASE["entities/customer.yaml"].replace(
        "- {name: website, type: url}", "- {name: website, type: url, customizable: false}"
    )
    flow = (
        "kind: flow\nname: approval\nlabel: {zh: 审批, en: Approval}\nentity: customer\ncustomizable: false\n"
        "nodes:\n  - {name: boss, approve: {role: boss}}\n"
    )
    role = "kind: role\nname: boss\nlabel: {zh: 老板, en: Boss}\n"
    package = write_package(
        {"entities/customer.yaml": locked, "flows/approval.yaml": flow, "roles/boss.yaml": role}
    )
    site = tmp_path / "site.yaml"
    site.write_text(
        overlay("  fields:\n    - {name: website, required: true}\n    - {name: industry, required: true}\n")
        + "---\n"
        + overlay("  label: {zh: 审批}\n", "shop.approval", "target_kind: flow\n").replace(
            "name: acme", "name: acme2"
        ),
        encoding="utf-8",
    )
    problems = validate_paths([package], [site]).problems
    assert sorted((p.code, p.location.line) for p in problems) == [
        ("overlay.field_not_customizable", 6),
        ("overlay.not_customizable", 11),
    ]
    site.write_text(overlay("  fields:\n    - {name: industry, required: true}\n"), encoding="utf-8")
    assert validate_paths([package], [site]).problems == ()


FLOW = {
    "flows/approval.yaml": """\
        kind: flow
        name: approval
        label: {zh: 审批, en: Approval}
        entity: customer
        withdraw: always
        nodes:
          - {name: manager, label: 主管, approve: {manager: 1}, mode: any}
          - {name: finance, label: 财务, approve: {role: admin}}
        """,
}


def test_a_replaced_key_takes_the_patch_whole(write_package, tmp_path) -> None:
    """The designer's chain replaces a flow's steps: nothing of the package's nodes is merged in
    (``mode: any`` of the manager goes), and the flow's other options stay."""
    package = write_package({**BASE, **FLOW})
    site = tmp_path / "site.yaml"
    site.write_text(
        overlay(
            "  nodes:\n"
            "    - {name: legal, label: 法务, approve: {role: admin}}\n"
            "    - {name: manager, label: 主管, approve: {manager: 2}}\n",
            "shop.approval",
            "target_kind: flow\nreplace: [nodes]\n",
        ),
        encoding="utf-8",
    )
    result = validate_paths([package], [site])
    assert result.problems == ()
    flow = result.catalog.definition("flow", "shop.approval").spec
    assert [dict(n) for n in flow["nodes"]] == [
        {"name": "legal", "label": "法务", "approve": {"role": "admin"}},
        {"name": "manager", "label": "主管", "approve": {"manager": 2}},
    ]
    assert flow["withdraw"] == "always"
