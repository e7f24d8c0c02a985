"""A consultant's customizations of CRM for a fictional client (ACME): made on one site, moved to
a second, carried through an upgrade of CRM that renames and moves a field, with every value
intact; the upgrade's check points at the one overlay line it breaks."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

from click.testing import CliRunner

from loom.metadata.loader import BUILTIN_APPS
from loom.platform import migrations
from loom.platform.actor import SYSTEM
from loom.platform.app import create_app
from loom.platform.cli import cli
from loom.platform.revisions import publish
from loom.platform.runtime import Runtime
from loom.platform.site import Site
from loom.platform.site import open_site

CUSTOMER = """\
kind: overlay
name: acme_customer
label: {zh: ACME 客户字段, en: ACME customer fields}
target: crm.customer
patch:
  fields:
    - {name: wechat, label: {zh: 微信号, en: WeChat}, type: string, max_length: 64}
    - {name: website, label: {zh: 官网}}
    - {name: customer_type, remove: true}
"""
CONTRACT = """\
kind: overlay
name: acme_contract
label: {zh: ACME 合同审批, en: ACME contract approval}
target: crm.contract_approval
target_kind: flow
patch:
  nodes:
    - name: by_amount
      branch:
        - {name: large_contract, label: {zh: 5 万元及以上, en: "50,000 or more"}, when: "amount >= 50000.0"}
    - name: legal_check
      label: {zh: 法务复核, en: Legal check}
      approve: {role: legal}
      mode: any
      empty: admin
      after: manager
"""


def loom(*args: str):
    return CliRunner().invoke(cli, list(args))


def crm_site(folder: Path, url: str) -> Site:
    folder.mkdir(parents=True)
    (folder / "site.yaml").write_text(f"database: '{url}'\napps: [oa, crm]\nsecret_key: acme\n")
    site = open_site(folder, create=False)
    runtime = Runtime.for_site(site)
    migrations.apply(migrations.plan(runtime), runtime.engine)
    runtime.engine.dispose()
    return site


def next_crm(folder: Path) -> Path:
    """CRM 0.3.0: the customer's website is renamed homepage and moved to the top of its section."""
    shutil.copytree(BUILTIN_APPS / "crm", folder)
    manifest = folder / "app.yaml"
    manifest.write_text(manifest.read_text().replace("version: 0.2.0", "version: 0.3.0"))
    entity = folder / "entities" / "customer.yaml"
    entity.write_text(
        entity.read_text().replace(
            "  - {name: website, label: {zh: 网址, en: Website}, type: url}",
            "  - {name: homepage, renamed_from: website, label: {zh: 主页, en: Homepage}, type: url}",
        )
    )
    form = folder / "forms" / "customer.yaml"
    form.write_text(
        form.read_text().replace(
            "[mobile, telephone, email, website, region", "[homepage, mobile, telephone, email, region"
        )
    )
    return folder


def test_acme_customizations_move_and_survive_a_crm_upgrade(
    tmp_path: Path, database_url, postgres_schema
) -> None:
    with ExitStack() as stack:
        other_url = (
            f"sqlite:///{tmp_path / 'production.db'}"
            if database_url.startswith("sqlite")
            else stack.enter_context(postgres_schema("production"))
        )
        development = crm_site(tmp_path / "development", database_url)
        engine = Runtime.for_site(development).engine
        changes = {"overlays/acme_customer.yaml": CUSTOMER, "overlays/acme_contract.yaml": CONTRACT}
        publish.publish(development, engine, changes, parent=0, author_id=None, message="ACME 定制")
        engine.dispose()
        archive = tmp_path / "acme.zip"
        assert (
            loom("customizations", "export", str(archive), "--site", str(development.folder)).exit_code == 0
        )

        production = crm_site(tmp_path / "production", other_url)
        where = ["--site", str(production.folder)]
        imported = loom("customizations", "import", str(archive), *where)
        assert imported.exit_code == 0, imported.output
        app = create_app(production, config={"TESTING": True})
        services = app.extensions["loom"]
        made = services.records.create(
            "crm.customer",
            {"name": "杭州云栖科技", "website": "https://yunqi.example.cn", "wechat": "yunqi"},
            SYSTEM,
        )
        customer = services.runtime.catalog.entity("crm.customer")
        assert customer.field("website").label.zh == "官网"
        assert "customer_type" not in [f.name for f in customer.fields]

        package = next_crm(tmp_path / "crm-0.3.0")
        checked = loom("apps", "upgrade", str(package), "--check", *where)
        assert checked.exit_code == 1
        broken = [line for line in checked.stderr.splitlines() if line.startswith("  [")]
        assert len(broken) == 1 and broken[0].startswith(
            "  [customization] revision 1: overlays/acme_customer.yaml:8:"
        )

        fixes = tmp_path / "fixes"
        (fixes / "overlays").mkdir(parents=True)
        fixed = CUSTOMER.replace("{name: website, label: {zh: 官网}}", "{name: homepage, label: {zh: 官网}}")
        (fixes / "overlays" / "acme_customer.yaml").write_text(fixed)
        upgraded = loom("apps", "upgrade", str(package), "--with", str(fixes), *where)
        assert upgraded.exit_code == 0, upgraded.output

        client = app.test_client()  # the running app takes the upgrade up at its next request
        assert client.get("/api/v1/openapi.json").headers["X-Loom-Revision"] == "2"
        services = app.extensions["loom"]
        after = services.records.get("crm.customer", made["id"], SYSTEM)
        assert (after["homepage"], after["wechat"], after["name"]) == (
            "https://yunqi.example.cn",
            "yunqi",
            "杭州云栖科技",
        )
        catalog = services.runtime.catalog
        assert catalog.entity("crm.customer").field("homepage").label.zh == "官网"
        flow = catalog.definition("flow", "crm.contract_approval").spec
        names = [node["name"] for node in flow["nodes"]]
        assert names[:2] == ["manager", "legal_check"]
        large = next(n for n in flow["nodes"] if n["name"] == "by_amount")["branch"][0]
        assert large["when"] == "amount >= 50000.0"
        services.runtime.engine.dispose()
