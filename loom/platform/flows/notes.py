"""What an approval comment carries besides its text: files, @mentions and a signature.

DingTalk's approvers attach photos of an invoice, @ a colleague of the chain to ask them
something, and sign by hand where the company wants it. Each is checked before anything
changes: files must be the actor's own uploads (an id guessed from someone else's upload
would otherwise hand that file to everyone who reads this record), mentions must be people of
the approval (the initiator, its approvers, those copied), and a signature must be a PNG image
the actor uploaded (its bytes are read: ``signatures.check_png``). Once the event is written,
the files are linked to the approval (so readers of the record may download them) and the
mentioned people are notified.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy import select

from ..files import FileStore
from ..records.errors import FieldError
from ..records.errors import ValidationFailed
from .engine import Engine
from .engine import Run
from .signatures import MAX_BYTES
from .signatures import NotAnImage
from .signatures import check_png

# The operations whose comment may carry files and mentions; only approving is signed.
NOTED = frozenset({"approve", "reject", "return", "comment"})
KEYS = ("attachments", "mentions", "signature")
SIGNATURE_TYPE = "image/png"


class Notes:
    def __init__(self, engine: Engine, files: FileStore) -> None:
        self.engine = engine
        self.store = files
        tables = engine.runtime.schema.metadata.tables
        self.files = tables["loom_files"]
        self.links = tables["loom_flow_files"]

    def checked(self, run: Run, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The notes of ``payload`` as the event records them (mentions without repeats);
        a field error for each one that is not allowed."""
        given = {key: payload[key] for key in KEYS if payload.get(key) not in (None, [])}
        allowed = KEYS if operation == "approve" else KEYS[:2] if operation in NOTED else ()
        errors = [FieldError(key, "unknown") for key in given if key not in allowed]
        files = given.get("attachments", [])  # at most COMMENT_FILES: checked_payload says
        owned = self._uploads(run, [*files, *([given["signature"]] if "signature" in given else [])])
        errors += [FieldError("attachments", "not_your_file", {"id": f}) for f in files if f not in owned]
        signature = given.get("signature")
        if signature is not None and signature not in owned:
            errors.append(FieldError("signature", "not_your_file", {"id": signature}))
        elif signature is not None and owned[signature][0] != SIGNATURE_TYPE:
            errors.append(FieldError("signature", "file_type", {"type": owned[signature][0]}))
        elif signature is not None and not self._is_image(owned[signature][1]):
            errors.append(FieldError("signature", "signature_image"))
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
        linked = set()
        if files:
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

    def _uploads(self, run: Run, ids: list[int]) -> dict[int, tuple[str, str]]:
        """Of ``ids``, the files the actor uploaded, with their content types and hashes."""
        if not ids:
            return {}
        f = self.files
        query = select(f.c.id, f.c.content_type, f.c.sha256).where(
            f.c.id.in_(set(ids)), f.c.uploaded_by == run.actor.id
        )
        return {file_id: (kind, digest) for file_id, kind, digest in run.conn.execute(query)}

    def _is_image(self, digest: str) -> bool:
        """Whether the stored bytes are a PNG image a signature may be (not merely declared one)."""
        try:
            with self.store.path_of(digest).open("rb") as stream:
                check_png(stream.read(MAX_BYTES + 1))
        except (OSError, NotAnImage):
            return False
        return True
