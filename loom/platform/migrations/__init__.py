"""The migration planner: compare the Catalog's schema with the live database, then apply.

``plan()`` diffs and classifies (safe, destructive, retired) without writing; ``render_plan``
prints the result; ``apply()`` runs it in one transaction. The designer and ``loom migrate``
both go through these three functions (ARCHITECTURE §3, issue 3).
"""

from .apply import apply as apply
from .errors import MigrationError as MigrationError
from .errors import MigrationFailed as MigrationFailed
from .errors import MigrationRefused as MigrationRefused
from .ops import Op as Op
from .ops import Plan as Plan
from .ops import Refusal as Refusal
from .planner import plan as plan
from .render import render_plan as render_plan
