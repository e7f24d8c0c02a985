"""The portal's fixed vocabulary: approval statuses, operations, timeline events, audit
actions and address parts, translated through the Babel catalogue."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from loom.metadata.catalog import Label

from .i18n import label

APPROVAL_STATUS = _l("Approval status")
ALL_RECORDS = _l("All")  # the list without a saved view
FLOW_STATUSES = {
    "draft": _l("Draft"),
    "in_approval": _l("In approval"),
    "running": _l("In approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "returned": _l("Returned"),
    "revoking": _l("Revocation in approval"),
    "revoked": _l("Revoked"),
}
OPERATIONS = {
    "submit": (_l("Submit for approval"), "btn-primary"),
    "approve": (_l("Approve"), "btn-success"),
    "reject": (_l("Reject"), "btn-outline-danger"),
    "return": (_l("Return"), "btn-warning"),
    "transfer": (_l("Transfer"), "btn-outline-secondary"),
    "withdraw": (_l("Withdraw"), "btn-outline-danger"),
    "urge": (_l("Urge"), "btn-outline-secondary"),
    "comment": (_l("Comment"), "btn-outline-secondary"),
    "add_approver": (_l("Add approver"), "btn-outline-secondary"),
    "cc": (_l("Copy to"), "btn-outline-secondary"),
    "revoke": (_l("Revoke"), "btn-outline-danger"),
}
POSITIONS = {  # where 加签 puts the added approvers
    "before": _l("Before me"),
    "after": _l("After me"),
    "with": _l("Together with me"),
}
# The buttons of a revocation's approver: they decide on the revocation, not on the record.
DECISIONS = {"approve": _l("Agree to revoke"), "reject": _l("Refuse to revoke")}
EVENTS = {
    "start": _l("Submitted"),
    "resubmit": _l("Resubmitted"),
    "approve": _l("Approved"),
    "reject": _l("Rejected"),
    "return": _l("Returned"),
    "withdraw": _l("Withdrawn"),
    "transfer": _l("Transferred"),
    "add_approver": _l("Approver added"),
    "comment": _l("Commented"),
    "urge": _l("Urged"),
    "cc": _l("Copied"),
    "remind": _l("Reminded"),
    "timeout": _l("Timed out"),
    "finish": _l("Finished"),
    "auto_pass": _l("Passed automatically"),
    "dedupe": _l("Passed (already approved)"),
    "skip": _l("Skipped"),
    "to_admin": _l("Sent to the administrator"),
    "action": _l("Action"),
    "branch": _l("Branch chosen"),
    "revoke": _l("Asked to revoke"),
    "revoke_approve": _l("Agreed to revoke"),
    "revoke_reject": _l("Refused to revoke"),
}
CHAIN_NOTES = {  # what the approval-chain preview says of a step the engine passes by itself
    "skip": _l("No approver found: skipped"),
    "auto_pass": _l("You are the approver here: passes automatically"),
    "dedupe": _l("Approved at an earlier step: passes automatically"),
    "to_admin": _l("No approver found: goes to the administrator"),
}
DELEGATION_STATES = {
    "planned": _l("Planned"),
    "active": _l("Active"),
    "over": _l("Over"),
    "ended": _l("Ended"),
}
BOXES = {"todo": _l("To do"), "done": _l("Done"), "cc": _l("Copied to me"), "started": _l("Started by me")}
AUDIT_ACTIONS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "flow": _l("Approval status changed"),
}
PARTS = {
    "province": _l("Province"),
    "city": _l("City"),
    "district": _l("District"),
    "lng": _l("Longitude"),
    "lat": _l("Latitude"),
    "address": _l("Address"),
}


def helpers() -> dict[str, Any]:
    """Template functions for the words above."""
    return {
        "flow_status_label": lambda status: str(FLOW_STATUSES.get(status, status or "")),
        "operation_label": lambda op: str(OPERATIONS[op][0]),
        "decision_label": lambda op: str(DECISIONS[op]),
        "positions": {k: str(v) for k, v in POSITIONS.items()},
        "operation_style": lambda op: OPERATIONS[op][1],
        "event_label": lambda kind: str(EVENTS.get(kind, kind)),
        "chain_note": lambda code: str(CHAIN_NOTES.get(code, "")),
        "box_label": lambda box: str(BOXES.get(box, box)),
        "delegation_state": lambda state: str(DELEGATION_STATES.get(state, state)),
        "audit_label": lambda action: str(AUDIT_ACTIONS.get(action, action)),
        "part_label": lambda part: str(PARTS.get(part, part)),
        "label_of": lambda value: label(Label.of(value)) if value is not None else "",
    }
