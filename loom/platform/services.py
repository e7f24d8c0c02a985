"""The services of one runtime, built once and shared by every request and command."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .automations.service import AutomationService
from .files import FileStore
from .flows.delegations import Delegations
from .flows.service import FlowService
from .flows.visibility import StepHiding
from .identity import Identity
from .personal_views import PersonalViews
from .records.service import RecordService
from .records.sharing import Sharing
from .revisions import store
from .runtime import Runtime
from .site import DEFAULT_MAX_UPLOAD


@dataclass(frozen=True)
class Services:
    runtime: Runtime
    records: RecordService
    identity: Identity
    files: FileStore
    flows: FlowService
    automations: AutomationService
    sharing: Sharing
    delegations: Delegations
    personal_views: PersonalViews

    @classmethod
    def build(
        cls, runtime: Runtime, uploads: Path | None = None, clock: Callable[[], dt.datetime] | None = None
    ) -> Services:
        """The services of ``runtime``; ``clock`` (the site's local time by default) lets tests fix "now"."""
        site = runtime.site
        folder = uploads or (site.uploads_dir if site else Path("uploads"))
        limit = site.settings.max_upload_bytes if site else DEFAULT_MAX_UPLOAD
        records = RecordService(runtime, clock)
        files = FileStore(runtime, folder, limit)
        flows = FlowService(runtime, records, files)
        automations = AutomationService(runtime, records, flows)
        # How the services call each other, in the order each list runs its entries:
        records.hiding_rules.append(StepHiding(flows))  # an approver's step hides fields from them
        records.after_write.append(automations.record_written)  # after rollups, which come built in
        flows.engine.on_finish.append(automations.flow_finished)  # flow_finished triggers
        identity, sharing, delegations = (
            Identity(runtime, records.clock),
            Sharing(records),
            Delegations(records),
        )
        views = PersonalViews(records)
        return cls(runtime, records, identity, files, flows, automations, sharing, delegations, views)

    def at_current_revision(self) -> Services:
        """These services, or new ones if the site has published a newer metadata revision since
        they were built (long-running processes such as the job runner call it as they go)."""
        site = self.runtime.site
        if site is None or store.head(self.runtime.engine) == self.runtime.revision:
            return self
        newer = Runtime.for_site(site, self.runtime.engine)
        return Services.build(newer, self.files.folder, self.records.clock)
