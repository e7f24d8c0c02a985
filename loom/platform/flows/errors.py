"""What flow operations raise beyond the records service's errors.

They are records errors so that every interface maps them as it maps the others (409, 403);
``code`` says which, for clients and translations.
"""

from __future__ import annotations

from ..records.errors import Conflict
from ..records.errors import PermissionDenied


class FlowError(Conflict):
    """A flow operation that does not fit the instance's state (409)."""

    code = "flow_state"


class NoFlow(Conflict):
    """The entity has no flow, or none of its flows applies to the record (409)."""

    code = "no_flow"


class NotYourTask(PermissionDenied):
    """The actor holds no task here, or is not the one an operation is for (403)."""

    code = "not_your_task"
