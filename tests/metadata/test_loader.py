"""Reading packages: folders, zips, folders of packages, and builtin dependencies."""

from __future__ import annotations

import zipfile

from loom.metadata import validate_paths

ROLE = "kind: role\nname: buyer\nlabel: {zh: 采购员, en: Buyer}\n"


def test_zip_package_is_read_in_place(write_package, tmp_path) -> None:
    folder = write_package({"roles/buyer.yaml": ROLE, "roles/broken.yaml": "kind: role\nname: [x\n"})
    archive = tmp_path / "shop.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*.yaml"):
            zf.write(path, f"shop/{path.relative_to(folder)}")
    (problem,) = validate_paths([archive]).problems
    assert problem.code == "yaml.syntax"
    assert problem.location.file.endswith("shop.zip!/shop/roles/broken.yaml")


def test_json_documents_are_located_too(write_package) -> None:
    text = '{\n  "kind": "role",\n  "name": "Buyer",\n  "label": "x"\n}\n'
    folder = write_package({"roles/buyer.json": text})
    (problem,) = validate_paths([folder]).problems
    assert (problem.code, problem.location.line, problem.pointer) == ("schema.name", 3, "/name")


def test_missing_path_and_folder_without_manifest(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    problems = validate_paths([tmp_path / "nowhere", tmp_path / "empty"]).problems
    assert sorted(p.code for p in problems) == ["load.no_manifest", "load.not_found"]


def test_builtin_dependency_is_found_and_cross_app_links_need_depends(write_package, tmp_path) -> None:
    link = (
        "kind: entity\nname: visit\nlabel: Visit\n"
        "fields:\n  - {name: customer, type: link, entity: crm.customer}\n"
    )
    without = write_package({"entities/visit.yaml": link}, root=tmp_path / "a")
    (problem,) = validate_paths([without]).problems
    assert problem.code == "ref.undeclared_dependency"
    with_dep = write_package({"entities/visit.yaml": link}, root=tmp_path / "b")
    manifest = with_dep / "app.yaml"
    manifest.write_text(manifest.read_text() + "depends: [crm]\n")
    result = validate_paths([with_dep])
    assert result.problems == ()
    assert "crm" in result.catalog.apps
    assert result.catalog.entity("shop.visit").field("customer").entity == "crm.customer"
