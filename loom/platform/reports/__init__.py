"""Reports: a ``report`` document run as one scoped aggregate query, for the API and portal.

Sits after the records service in the data flow: it reads the Catalog's report
definitions, and runs each through the records service's read scope, field visibility and
CEL-to-SQL filter, so a report never counts what its viewer could not list.
"""

from .model import Report as Report
from .results import Result as Result
from .service import ReportService as ReportService
from .service import Request as Request
