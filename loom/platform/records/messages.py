"""Messages of the records service, by code, in English and Chinese."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"en": "This field is required.", "zh": "此项为必填。"},
    "null": {"en": "This field cannot be empty.", "zh": "此项不能为空。"},
    "invalid": {"en": "Not a valid {kind}.", "zh": "不是有效的{kind}。"},
    "unknown": {"en": "There is no such field.", "zh": "没有这个字段。"},
    "readonly": {"en": "This field cannot be changed.", "zh": "此项不可修改。"},
    "too_long": {"en": "At most {max} characters.", "zh": "最多 {max} 个字符。"},
    "too_short": {"en": "At least {min} characters.", "zh": "至少 {min} 个字符。"},
    "min": {"en": "Must be at least {min}.", "zh": "不能小于 {min}。"},
    "max": {"en": "Must be at most {max}.", "zh": "不能大于 {max}。"},
    "decimals": {"en": "At most {scale} decimal places.", "zh": "最多 {scale} 位小数。"},
    "digits": {
        "en": "Too large: at most {digits} digits before the point.",
        "zh": "数值过大：整数部分最多 {digits} 位。",
    },
    "computed_digits": {
        "en": "The computed value {value} is too large for this field: at most {digits} digits "
        "before the point; change the values it is computed from.",
        "zh": "计算结果 {value} 超出此项范围：整数部分最多 {digits} 位，请修改参与计算的数值。",
    },
    "computed_min": {
        "en": "The computed value {value} is below the minimum {min}; change the values it is computed from.",
        "zh": "计算结果 {value} 小于下限 {min}，请修改参与计算的数值。",
    },
    "computed_max": {
        "en": "The computed value {value} is above the maximum {max}; change the values it is computed from.",
        "zh": "计算结果 {value} 大于上限 {max}，请修改参与计算的数值。",
    },
    "computed_too_long": {
        "en": "The computed text is longer than {max} characters.",
        "zh": "计算出的文本超过 {max} 个字符。",
    },
    "computed_invalid": {
        "en": "The computed value is not a finite number (a division by zero?).",
        "zh": "计算结果不是有限的数值（是否除以了零？）。",
    },
    "not_option": {"en": "'{value}' is not one of: {allowed}.", "zh": "“{value}”不是可选值：{allowed}。"},
    "email": {"en": "Not a valid e-mail address.", "zh": "不是有效的电子邮箱。"},
    "url": {"en": "Not a valid URL (http or https).", "zh": "不是有效的网址（http 或 https）。"},
    "phone": {"en": "Not a valid phone number.", "zh": "不是有效的电话号码。"},
    "not_found": {"en": "No such record.", "zh": "记录不存在。"},
    "no_such_user": {"en": "No such active user.", "zh": "没有这个在职用户。"},
    "same_user": {"en": "Choose someone else to hand over to.", "zh": "请选择另一位交接人。"},
    "link_not_found": {"en": "The linked record {id} does not exist.", "zh": "关联的记录 {id} 不存在。"},
    "link_filtered": {
        "en": "Record {id} cannot be chosen here.",
        "zh": "此处不能选择记录 {id}。",
    },
    "unique": {"en": "'{value}' is already used by another record.", "zh": "“{value}”已被其他记录使用。"},
    "rows_min": {"en": "At least {min} row(s).", "zh": "至少 {min} 行。"},
    "rows_max": {"en": "At most {max} rows.", "zh": "最多 {max} 行。"},
    "rule": {"en": "{text}", "zh": "{text}"},
    "invalid_record": {"en": "{count} value(s) are invalid.", "zh": "有 {count} 项内容不正确。"},
    "conflict": {
        "en": "The record was changed by someone else (version {expected} expected, {actual} found); "
        "reload it and try again.",
        "zh": "记录已被他人修改（期望版本 {expected}，当前版本 {actual}），请刷新后重试。",
    },
    "stale": {
        "en": "{name} changed this record at {at} after you opened it ({fields}); "
        "reload it to see their changes, then try again.",
        "zh": "您打开后，{name}于 {at} 修改了此记录（{fields}），请刷新查看后再试。",
    },
    "referenced": {
        "en": "Other records still refer to this one; remove those references first.",
        "zh": "仍有其他记录引用此记录，请先解除引用。",
    },
    "integrity": {
        "en": "Another change got there first (a unique value or a reference); reload and try again.",
        "zh": "其他修改抢先完成（唯一值或引用冲突），请刷新后重试。",
    },
    "file_too_large": {"en": "The file is larger than {limit} bytes.", "zh": "文件超过 {limit} 字节的上限。"},
    "file_type": {
        "en": "Files of type {type} are not accepted here.",
        "zh": "此处不接受 {type} 类型的文件。",
    },
    "in_approval": {
        "en": "The record is in approval; withdraw it or wait for the result to change it.",
        "zh": "记录正在审批中，请撤回或等待审批结果后再修改。",
    },
    "locked": {
        "en": "The record is {status}: it can no longer be changed.",
        "zh": "记录{status}，不能再修改。",
    },
    "locked_field": {
        "en": "This field cannot be changed now that the record is {status}.",
        "zh": "记录{status}，此项不能再修改。",
    },
    "flow_state": {
        "en": "This is not possible while the approval is {state}.",
        "zh": "审批处于“{state}”状态，无法进行此操作。",
    },
    "no_flow": {"en": "No approval flow applies to this record.", "zh": "没有适用于此记录的审批流程。"},
    "not_your_task": {"en": "You have no open task in this approval.", "zh": "您在此审批中没有待办任务。"},
    "revoke_not_allowed": {
        "en": "This approval cannot be revoked: its flow does not allow it.",
        "zh": "该审批流程不允许撤销已通过的审批。",
    },
    "revoke_expired": {
        "en": (
            "This approval can no longer be revoked: its flow allows revoking within {within} "
            "of the approval (until {until})."
        ),
        "zh": "已超过撤销期限：该审批流程只允许在审批通过后{within}内撤销（截至 {until}）。",
    },
    "not_your_file": {
        "en": "File {id} was not uploaded by you: upload it yourself to attach it.",
        "zh": "文件 {id} 不是您上传的，请自行上传后再附上。",
    },
    "files_max": {"en": "At most {max} files.", "zh": "最多 {max} 个文件。"},
    "not_in_chain": {
        "en": "User {id} takes no part in this approval: mention its initiator, approvers or copied people.",
        "zh": "用户 {id} 不在此审批中：只能@发起人、审批人和抄送人。",
    },
    "signature_image": {
        "en": "The signature is not a PNG image of at most 4096 × 2048 pixels and 2 MB: sign again.",
        "zh": "签名不是不超过 4096 × 2048 像素、2 MB 的 PNG 图片，请重新签名。",
    },
    "signature_required": {
        "en": "This step requires your handwritten signature.",
        "zh": "此环节需要您手写签名。",
    },
    "bad_chosen": {"en": "Choose the approvers for this step.", "zh": "请为此环节选择审批人。"},
    "bad_target": {"en": "Return only to: {allowed}.", "zh": "只能退回到：{allowed}。"},
    "forbidden": {"en": "You may not do this.", "zh": "您没有此操作的权限。"},
    "delegate_self": {"en": "Choose someone other than the person away.", "zh": "代理人不能是委托人本人。"},
    "delegation_overlap": {
        "en": "Delegation {id} already covers some of these days and approvals; end it first.",
        "zh": "委托 {id} 已覆盖其中部分日期和审批，请先结束它。",
    },
    "automation_failed": {
        "en": "Automation '{automation}' failed at action {action} ({kind}): {detail}",
        "zh": "自动化“{automation}”第 {action} 步（{kind}）失败：{detail}",
    },
    "automation_loop": {
        "en": "Automations triggered each other {depth} levels deep ({chain}); the change was undone.",
        "zh": "自动化相互触发达到 {depth} 层（{chain}），本次修改已撤销。",
    },
    "expression_failed": {
        "en": "The expression {expression} could not be evaluated: {detail}",
        "zh": "表达式 {expression} 无法求值：{detail}",
    },
    "error": {"en": "The operation failed.", "zh": "操作失败。"},
    "bad_operator": {
        "en": "Unknown operator '{op}'; use one of: {allowed}.",
        "zh": "未知的运算符“{op}”；可用：{allowed}。",
    },
    "bad_field": {"en": "'{field}' cannot be used here.", "zh": "此处不能使用“{field}”。"},
    "bad_value": {"en": "Not a valid value for '{field}'.", "zh": "“{field}”的值无效。"},
    "bad_text": {
        "en": "Text may not contain NUL characters or broken Unicode.",
        "zh": "文本不能包含 NUL 字符或无效的 Unicode 字符。",
    },
    "too_deep": {"en": "Nested at most {max} levels deep.", "zh": "嵌套不能超过 {max} 层。"},
    "too_many": {"en": "At most {max} of these.", "zh": "最多 {max} 项。"},
    "bad_input": {"en": "{count} part(s) of the request are invalid.", "zh": "请求中有 {count} 处不正确。"},
    "bad_cursor": {
        "en": "The cursor is invalid or belongs to another sort order.",
        "zh": "游标无效或与排序方式不符。",
    },
}

KINDS = {
    "integer": {"en": "whole number", "zh": "整数"},
    "number": {"en": "number", "zh": "数字"},
    "boolean": {"en": "yes/no value", "zh": "是/否值"},
    "date": {"en": "date (YYYY-MM-DD)", "zh": "日期（YYYY-MM-DD）"},
    "datetime": {"en": "date and time", "zh": "日期时间"},
    "time": {"en": "time (HH:MM)", "zh": "时间（HH:MM）"},
    "text": {"en": "text", "zh": "文本"},
    "list": {"en": "list", "zh": "列表"},
    "object": {"en": "object", "zh": "对象"},
    "id": {"en": "record id", "zh": "记录编号"},
}


def type_messages() -> Mapping[str, Mapping[str, str]]:
    """The messages of the codes field types raise themselves (``id_card_check``…).

    Imported when first needed: the field types import the input limits, which import the
    records errors and so this module.
    """
    from ..fieldtypes.registry import messages

    return messages()


def render(code: str, params: Mapping[str, Any], lang: str = "en") -> str:
    template = MESSAGES.get(code) or type_messages().get(code, MESSAGES["error"])
    values = {}
    for key, value in params.items():
        if isinstance(value, Mapping) and set(value) <= {"en", "zh"}:
            value = value.get(lang) or value.get("en", "")
        values[key] = value
    if "kind" in values and values["kind"] in KINDS:
        values["kind"] = KINDS[values["kind"]][lang if lang in ("en", "zh") else "en"]
    try:
        return (template.get(lang) or template["en"]).format(**values)
    except (KeyError, IndexError):
        return template.get(lang) or template["en"]
