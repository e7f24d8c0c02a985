"""What the report runtime raises. Subclasses of the records service's errors, so the API,
the portal and the CLI already map them: a bad parameter is 422, a report or field the
viewer may not use is 403, an unknown report is 404."""

from __future__ import annotations

from typing import Any

from ..records.errors import FieldError
from ..records.errors import NotFound
from ..records.errors import PermissionDenied
from ..records.errors import RecordError
from ..records.errors import ValidationFailed

MESSAGES = {
    "report_not_found": {"en": "There is no report {report}.", "zh": "报表 {report} 不存在。"},
    "report_forbidden": {
        "en": "Report {report} is not open to your roles.",
        "zh": "您的角色无权查看报表 {report}。",
    },
    "report_hidden_field": {
        "en": "Report {report} aggregates '{field}', which is hidden from your roles.",
        "zh": "报表 {report} 统计的字段“{field}”对您的角色不可见。",
    },
    "report_not_sql": {
        "en": "The filter of report {report} cannot run in the database: use comparisons joined by &&.",
        "zh": "报表 {report} 的筛选条件无法在数据库中执行：请只用 && 连接的比较。",
    },
    "report_too_many_groups": {
        "en": "Report {report} has more than {limit} groups; narrow it with filters or coarser dates.",
        "zh": "报表 {report} 的分组超过 {limit} 个，请增加筛选条件或改用更粗的时间粒度。",
    },
}


class _Worded:
    """Messages of the report runtime's own codes."""

    code: str
    params: dict[str, Any]

    def message(self, lang: str = "en") -> str:
        template = MESSAGES[self.code]
        return (template.get(lang) or template["en"]).format(**self.params)


class ReportNotFound(_Worded, NotFound):
    code = "report_not_found"


class ReportForbidden(_Worded, PermissionDenied):
    code = "report_forbidden"


class HiddenField(_Worded, PermissionDenied):
    """A report would aggregate a field the viewer may not see: refused whole, not partly blanked."""

    code = "report_hidden_field"


class ReportNotSql(_Worded, RecordError):
    code = "report_not_sql"


class TooManyGroups(_Worded, RecordError):
    code = "report_too_many_groups"


class BadReportParameter(ValidationFailed):
    """A viewer's parameter (period, filter, chart, sort) that the report cannot take."""

    def __init__(self, parameter: str, value: str, code: str = "bad_value") -> None:
        super().__init__([FieldError(parameter, code, {"field": parameter, "value": value})])
