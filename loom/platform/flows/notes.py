"""What an approval comment carries besides its text: files, @mentions and a signature.

DingTalk's approvers attach photos of an invoice, @ a colleague of the chain to ask them
something, and sign by hand where the company wants it. Each is checked before anything
changes: files must be the actor's own uploads (an id guessed from someone else's upload
would otherwise hand that file to everyone who reads this record), mentions must be people of
the approval (the initiator, its approvers, those copied), and a signature must be a PNG the
actor uploaded. Once the event is written, the files are linked to the approval (so readers
of the record may download them) and the mentioned people are notified.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy import select

from ..limits import COMMENT_FILES
from ..records.errors import FieldError
from ..records.errors import ValidationFailed
from .engine import Engine
from .engine import Run

# The operations whose comment may carry files and mentions; only approving is signed.
NOTED = frozenset({"approve", "reject", "return", "comment"})
KEYS = ("attachments", "mentions", "signature")
SIGNATURE_TYPE = "image/png"


class Notes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        tables = engine.runtime.schema.metadata.tables
        self.files = tables["loom_files"]
        self.links = tables["loom_flow_files"]

    def checked(self, run: Run, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The notes of ``payload`` as the event records them (mentions without repeats);
        a field error for each one that is not allowed."""
        given = {key: payload[key] for key in KEYS if payload.get(key) not in (None, [])}
        allowed = KEYS if operation == "approve" else KEYS[:2] if operation in NOTED else ()
        errors = [FieldError(key, "unknown") for key in given if key not in allowed]
        files = given.get("attachments", [])
        if len(files) > COMMENT_FILES:  # refused before a query looks them up
            raise ValidationFailed([*errors, FieldError("attachments", "files_max", {"max": COMMENT_FILES})])
        owned = self._uploads(run, [*files, *([given["signature"]] if "signature" in given else [])])
        errors += [FieldError("attachments", "not_your_file", {"id": f}) for f in files if f not in owned]
        signature = given.get("signature")
        if signature is not None and signature not in owned:
            errors.append(FieldError("signature", "not_your_file", {"id": signature}))
        elif signature is not None and owned[signature] != SIGNATURE_TYPE:
            errors.append(FieldError("signature", "file_type", {"type": owned[signature]}))
        mentions = list(dict.fromkeys(given.get("mentions", [])))
        chain = self.chain(run) if mentions else set()
        errors += [FieldError("mentions", "not_in_chain", {"id": u}) for u in mentions if u not in chain]
        if errors:
            raise ValidationFailed(errors)
        notes: dict[str, Any] = {"attachments": list(dict.fromkeys(files))} if operation in NOTED else {}
        if mentions:
            notes["mentions"] = mentions
        if signature is not None:
            notes["signature"] = signature
        return notes

    def chain(self, run: Run) -> set[int]:
        """The people of the approval: its initiator and everyone given a task in it (approvers,
        those they stood in for, those copied)."""
        tasks = self.engine.tasks
        rows = run.conn.execute(
            select(tasks.c.assignee_id, tasks.c.on_behalf_of).where(tasks.c.instance_id == run.instance["id"])
        )
        found = {run.initiator}
        for assignee, behalf in rows:
            found.update(u for u in (assignee, behalf) if u is not None)
        return found

    def keep(self, run: Run, node: str | None, notes: dict[str, Any], comment: str | None) -> None:
        """Link the files to the approval and tell the mentioned people (not the writer)."""
        files = [*notes.get("attachments", []), *([notes["signature"]] if "signature" in notes else [])]
        linked = set(
            run.conn.execute(
                select(self.links.c.file_id).where(self.links.c.instance_id == run.instance["id"])
            ).scalars()
        )
        fresh = [f for f in dict.fromkeys(files) if f not in linked]
        if fresh:
            run.conn.execute(
                insert(self.links), [{"instance_id": run.instance["id"], "file_id": f} for f in fresh]
            )
        for user in notes.get("mentions", []):
            if user != run.actor.id:
                self.engine.notify(run, user, "mention", node=node, comment=comment, by=run.actor.id)

    def _uploads(self, run: Run, ids: list[int]) -> dict[int, str]:
        """Of ``ids``, the files the actor uploaded, with their content types."""
        if not ids:
            return {}
        query = select(self.files.c.id, self.files.c.content_type).where(
            self.files.c.id.in_(set(ids)), self.files.c.uploaded_by == run.actor.id
        )
        return {file_id: content_type for file_id, content_type in run.conn.execute(query)}
