"""What each builtin role may read, entity by entity: a table reviewed against the domain
reference (docs/oa.md §2, docs/data.md §7, ../shared/domain/oa-crm.md §2.15), so a grant that
widens shows up here first.

Each role is asked alone (every user also holds ``employee``, whose row is its own); the scope
is the widest the role's grants, inherited ones included, give. Entities not listed: none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import loom
from loom.metadata import validate_paths
from loom.platform.actor import Actor
from loom.platform.permissions import Permissions

CATALOG = validate_paths([Path(loom.__file__).parent / "builtin_apps"]).catalog

READS = {
    "admin_office": {
        "all": {
            "oa.announcement",
            "oa.dispatch_register",
            "oa.doc_file",
            "oa.doc_folder",
            "oa.incoming_doc",
            "oa.meeting_booking",
            "oa.meeting_room",
            "oa.outgoing_doc",
            "oa.purchase_request",
            "oa.seal",
            "oa.seal_request",
            "oa.seal_use",
            "oa.trip_request",
        },
    },
    "cashier": {
        "all": {"oa.expense_claim", "oa.loan_request"},
    },
    "crm_admin": {
        "all": {
            "crm.campaign",
            "crm.contact",
            "crm.contract",
            "crm.customer",
            "crm.follow_up",
            "crm.invoice",
            "crm.lead",
            "crm.opportunity",
            "crm.opportunity_stage",
            "crm.opportunity_stage_group",
            "crm.owner_change_log",
            "crm.pool",
            "crm.product",
            "crm.product_category",
            "crm.product_unit",
            "crm.receivable",
            "crm.receivable_plan",
            "crm.return_visit",
            "crm.sales_target",
            "crm.service_ticket",
            "crm.stage_change",
            "crm.ticket_type",
            "crm.visit_plan",
        },
    },
    "crm_bi_viewer": {
        "all": {
            "crm.contact",
            "crm.contract",
            "crm.customer",
            "crm.follow_up",
            "crm.invoice",
            "crm.lead",
            "crm.opportunity",
            "crm.owner_change_log",
            "crm.receivable",
            "crm.receivable_plan",
            "crm.return_visit",
            "crm.sales_target",
            "crm.service_ticket",
            "crm.stage_change",
            "crm.visit_plan",
        },
    },
    "crm_finance": {
        "all": {"crm.contract", "crm.customer", "crm.invoice", "crm.receivable", "crm.receivable_plan"},
    },
    "crm_sales": {  # their own (负责人 = owner, kept by claims and transfers) and what is shared with them
        "own": {
            "crm.contact",
            "crm.contract",
            "crm.customer",
            "crm.follow_up",
            "crm.invoice",
            "crm.lead",
            "crm.opportunity",
            "crm.owner_change_log",
            "crm.receivable",
            "crm.receivable_plan",
            "crm.return_visit",
            "crm.sales_target",
            "crm.service_ticket",
            "crm.stage_change",
            "crm.visit_plan",
        },
    },
    "crm_sales_manager": {
        "all": {"crm.campaign"},
        "department": {
            "crm.contact",
            "crm.contract",
            "crm.customer",
            "crm.follow_up",
            "crm.invoice",
            "crm.lead",
            "crm.opportunity",
            "crm.owner_change_log",
            "crm.receivable",
            "crm.receivable_plan",
            "crm.return_visit",
            "crm.sales_target",
            "crm.service_ticket",
            "crm.stage_change",
            "crm.visit_plan",
        },
    },
    "crm_service": {
        "all": {
            "crm.contact",
            "crm.contract",
            "crm.customer",
            "crm.follow_up",
            "crm.return_visit",
            "crm.service_ticket",
        },
    },
    "employee": {
        "all": {
            "crm.campaign",
            "crm.opportunity_stage",
            "crm.opportunity_stage_group",
            "crm.pool",
            "crm.product",
            "crm.product_category",
            "crm.product_unit",
            "crm.ticket_type",
            "oa.announcement",
            "oa.doc_file",
            "oa.doc_folder",
            "oa.expense_category",
            "oa.leave_type",
            "oa.meeting_booking",
            "oa.meeting_room",
            "oa.seal",
        },
        "own": {
            "oa.attendance_correction",
            "oa.attendance_punch",
            "oa.expense_claim",
            "oa.leave_request",
            "oa.loan_request",
            "oa.outgoing_doc",
            "oa.overtime_request",
            "oa.purchase_request",
            "oa.schedule",
            "oa.seal_request",
            "oa.trip_request",
        },
        "subordinates": {"oa.employee", "oa.leave_balance", "oa.work_report"},
    },
    "finance": {
        "all": {
            "oa.expense_category",
            "oa.expense_claim",
            "oa.loan_request",
            "oa.purchase_request",
            "oa.trip_request",
        },
    },
    "finance_director": {
        "all": {
            "oa.expense_category",
            "oa.expense_claim",
            "oa.loan_request",
            "oa.purchase_request",
            "oa.trip_request",
        },
    },
    "general_manager": {
        "all": {"oa.dispatch_register", "oa.incoming_doc", "oa.outgoing_doc"},
    },
    "hr": {
        "all": {
            "oa.announcement",
            "oa.attendance_correction",
            "oa.attendance_punch",
            "oa.employee",
            "oa.leave_balance",
            "oa.leave_request",
            "oa.leave_type",
            "oa.overtime_request",
            "oa.trip_request",
        },
    },
    "legal": {
        "all": {"oa.seal_request", "oa.seal_use"},
    },
    "oa_admin": {
        "all": {
            "oa.announcement",
            "oa.attendance_correction",
            "oa.attendance_punch",
            "oa.dispatch_register",
            "oa.doc_file",
            "oa.doc_folder",
            "oa.employee",
            "oa.incoming_doc",
            "oa.leave_balance",
            "oa.leave_request",
            "oa.leave_type",
            "oa.meeting_booking",
            "oa.meeting_room",
            "oa.outgoing_doc",
            "oa.overtime_request",
            "oa.purchase_request",
            "oa.seal",
            "oa.seal_request",
            "oa.seal_use",
            "oa.trip_request",
        },
    },
    "seal_keeper": {
        "all": {"oa.seal", "oa.seal_request", "oa.seal_use"},
    },
}


# Records a role reads whoever owns them (a grant's also_read), beyond its scope above.
ALSO_READS = {
    "crm_sales": {"crm.customer": ("in_pool",), "crm.sales_target": ("target_user == current_user",)},
    "crm_sales_manager": {"crm.customer": ("in_pool",), "crm.sales_target": ("target_user == current_user",)},
    "crm_admin": {},  # reads all: nothing to add
}


def reads(role: str) -> dict[str, set[str]]:
    permissions, actor = Permissions(CATALOG), Actor(1, "someone", frozenset({role}))
    found: dict[str, set[str]] = {}
    for entity in CATALOG.entities.values():
        scope = "none" if entity.child else permissions.decide(actor, entity, "read").scope
        if scope != "none":
            found.setdefault(scope, set()).add(entity.qualified_name)
    return found


def test_the_table_names_every_role() -> None:
    assert set(READS) == {d.name for d in CATALOG.of_kind("role")} | {"employee"}


@pytest.mark.parametrize("role", sorted(READS))
def test_what_a_role_reads(role: str) -> None:
    assert reads(role) == READS[role]


@pytest.mark.parametrize("role", sorted(READS))
def test_what_a_role_also_reads(role: str) -> None:
    permissions, actor = Permissions(CATALOG), Actor(1, "someone", frozenset({role}))
    found = {
        entity.qualified_name: tuple(c.source for c in decision.also)
        for entity in CATALOG.entities.values()
        if not entity.child and (decision := permissions.decide(actor, entity, "read")).also
    }
    assert found == ALSO_READS.get(role, {})
