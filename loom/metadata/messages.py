"""Message templates for every problem code, in English and Chinese.

Templates use ``str.format`` fields named after the problem's params. A code without a
template is a programming error, caught by the test that renders every code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    # reading files
    "load.not_found": {
        "en": "no such file or folder",
        "zh": "文件或目录不存在",
    },
    "load.no_manifest": {
        "en": "not an app package: app.yaml is missing",
        "zh": "不是应用包：缺少 app.yaml",
    },
    "load.unreadable": {
        "en": "cannot read the file: {detail}",
        "zh": "无法读取文件：{detail}",
    },
    "load.bad_zip": {
        "en": "not a readable zip archive: {detail}",
        "zh": "无法读取的 zip 压缩包：{detail}",
    },
    "load.too_large": {
        "en": "the document is {size} bytes; the limit is {limit}",
        "zh": "文档大小为 {size} 字节，超过上限 {limit}",
    },
    "yaml.syntax": {
        "en": "invalid YAML: {detail}",
        "zh": "YAML 语法错误：{detail}",
    },
    "yaml.duplicate_key": {
        "en": "key '{key}' appears twice in this mapping (first at line {first_line})",
        "zh": "映射中键“{key}”重复（首次出现在第 {first_line} 行）",
    },
    "yaml.tag": {
        "en": "the tag '{tag}' is not allowed in metadata",
        "zh": "元数据中不允许使用标签“{tag}”",
    },
    "yaml.merge_key": {
        "en": "merge keys ('<<') are not supported: write the keys out",
        "zh": "不支持合并键（“<<”）：请逐项写出",
    },
    "yaml.too_complex": {
        "en": "the document expands to more than {limit} nodes",
        "zh": "文档展开后超过 {limit} 个节点",
    },
    "yaml.not_mapping": {
        "en": "a document must be a mapping with 'kind' and 'name'",
        "zh": "文档必须是包含 kind 和 name 的映射",
    },
    "yaml.bad_key": {
        "en": "keys must be strings, not {actual}",
        "zh": "键必须是字符串，而不是 {actual}",
    },
    # JSON Schema
    "schema.required": {
        "en": "'{key}' is required",
        "zh": "缺少必填项“{key}”",
    },
    "schema.unknown_key": {
        "en": "unknown key '{key}'{hint}",
        "zh": "未知的键“{key}”{hint}",
    },
    "schema.enum": {
        "en": "{value} is not allowed{hint}; use one of: {allowed}",
        "zh": "不允许的值 {value}{hint}；可选值：{allowed}",
    },
    "schema.type": {
        "en": "expected {expected}, got {actual}",
        "zh": "应为 {expected}，实际为 {actual}",
    },
    "schema.name": {
        "en": "{value} is not a valid name: use lowercase snake_case (a letter, then letters, digits or '_')",
        "zh": "{value} 不是合法名称：请使用小写蛇形命名（字母开头，可含字母、数字和下划线）",
    },
    "schema.pattern": {
        "en": "{value} does not match the pattern {pattern}",
        "zh": "{value} 不符合格式 {pattern}",
    },
    "schema.min_length": {
        "en": "must not be shorter than {limit} character(s)",
        "zh": "长度不能少于 {limit} 个字符",
    },
    "schema.max_length": {
        "en": "must not be longer than {limit} characters",
        "zh": "长度不能超过 {limit} 个字符",
    },
    "schema.minimum": {
        "en": "{value} is less than the minimum {limit}",
        "zh": "{value} 小于最小值 {limit}",
    },
    "schema.maximum": {
        "en": "{value} is more than the maximum {limit}",
        "zh": "{value} 大于最大值 {limit}",
    },
    "schema.min_items": {
        "en": "needs at least {limit} item(s)",
        "zh": "至少需要 {limit} 项",
    },
    "schema.max_items": {
        "en": "allows at most {limit} item(s)",
        "zh": "最多 {limit} 项",
    },
    "schema.min_properties": {
        "en": "needs at least {limit} key(s)",
        "zh": "至少需要 {limit} 个键",
    },
    "schema.max_properties": {
        "en": "allows at most {limit} key(s); use only one of them",
        "zh": "最多允许 {limit} 个键，请只保留一个",
    },
    "schema.unique_items": {
        "en": "items must be unique",
        "zh": "列表项不能重复",
    },
    "schema.const": {
        "en": "must be {expected}",
        "zh": "必须为 {expected}",
    },
    "schema.invalid": {
        "en": "invalid value: {detail}",
        "zh": "无效的值：{detail}",
    },
    # names
    "name.duplicate": {
        "en": "{what} '{name}' is declared twice (also at {other})",
        "zh": "{what}“{name}”重复声明（另见 {other}）",
    },
    "name.reserved": {
        "en": "'{name}' is a system column that Loom adds itself; reserved: {reserved}",
        "zh": "“{name}”是 Loom 自动添加的系统列，不能使用；保留名称：{reserved}",
    },
    "name.sql_keyword": {
        "en": "'{name}' is an SQL keyword; choose another name",
        "zh": "“{name}”是 SQL 关键字，请换一个名称",
    },
    "name.too_long": {
        "en": "the database name '{ident}' would be {size} bytes; the limit is {limit}",
        "zh": "数据库标识符“{ident}”长度为 {size} 字节，超过上限 {limit}",
    },
    "name.file_mismatch": {
        "en": "the manifest names app '{name}' but the package folder is '{folder}'",
        "zh": "清单中的应用名“{name}”与包目录名“{folder}”不一致",
    },
    # references
    "ref.unknown_entity": {
        "en": "entity '{ref}' does not exist{hint}",
        "zh": "实体“{ref}”不存在{hint}",
    },
    "ref.undeclared_dependency": {
        "en": "'{ref}' belongs to app '{app}', which app '{owner}' does not list in 'depends'",
        "zh": "“{ref}”属于应用“{app}”，但应用“{owner}”的 depends 中没有声明它",
    },
    "ref.not_child": {
        "en": "a table field needs a child entity ('child: true'); '{ref}' is not one",
        "zh": "子表字段必须引用子实体（child: true）；“{ref}”不是子实体",
    },
    "ref.child_link": {
        "en": "'{ref}' is a child entity; only table fields may hold it",
        "zh": "“{ref}”是子实体，只能被子表字段引用",
    },
    "ref.unknown_field": {
        "en": "{owner} has no field '{field}'{hint}",
        "zh": "{owner}没有字段“{field}”{hint}",
    },
    "ref.field_type": {
        "en": "field '{field}' is of type {actual}; {expected} is needed here",
        "zh": "字段“{field}”的类型为 {actual}，此处需要 {expected}",
    },
    "ref.unknown_role": {
        "en": "role '{role}' does not exist{hint}",
        "zh": "角色“{role}”不存在{hint}",
    },
    "ref.unknown_report": {
        "en": "report '{ref}' does not exist{hint}",
        "zh": "报表“{ref}”不存在{hint}",
    },
    "ref.unknown_measure": {
        "en": "report '{report}' has no measure '{measure}'{hint}",
        "zh": "报表“{report}”没有指标“{measure}”{hint}",
    },
    "ref.unknown_flow": {
        "en": "flow '{ref}' does not exist{hint}",
        "zh": "流程“{ref}”不存在{hint}",
    },
    "ref.unknown_app": {
        "en": "app '{app}' is not available{hint}",
        "zh": "应用“{app}”不存在{hint}",
    },
    "ref.unknown_node": {
        "en": "flow node '{node}' does not exist{hint}",
        "zh": "流程节点“{node}”不存在{hint}",
    },
    "ref.unknown_option": {
        "en": "'{value}' is not an option of field '{field}'; options: {allowed}",
        "zh": "“{value}”不是字段“{field}”的选项；可选值：{allowed}",
    },
    "report.bad_dimension": {
        "en": "'{field}' cannot be a dimension: {reason}",
        "zh": "“{field}”不能作为维度：{reason}",
    },
    "report.granularity": {
        "en": "'{field}' is of type {actual}; only a date or datetime field takes a granularity",
        "zh": "字段“{field}”的类型为 {actual}，只有日期或日期时间字段可以设置粒度",
    },
    "report.source": {
        "en": "a report names either an entity or a platform source (approvals, approval_tasks): {detail}",
        "zh": "报表须指定实体或平台数据源（approvals、approval_tasks）之一：{detail}",
    },
    "report.scope": {
        "en": "a report's 'scope' narrows the roles of approval statistics: {detail}",
        "zh": "报表的 scope 用于限定审批统计中各角色可见的范围：{detail}",
    },
    "report.series": {
        "en": "in a report over several entities, {detail}",
        "zh": "多实体报表中，{detail}",
    },
    "report.ratio": {
        "en": "a ratio names two other measures of this report in 'of' and no 'field'; {detail}{hint}",
        "zh": "比率指标须在 of 中列出本报表的另外两个指标，且不设 field；{detail}{hint}",
    },
    "app.cycle": {
        "en": "apps depend on each other in a cycle: {cycle}",
        "zh": "应用之间存在循环依赖：{cycle}",
    },
    "app.bad_range": {
        "en": '\'{range}\' is not a version range (write e.g. ">=1.2,<2" or "^1.2")',
        "zh": '“{range}”不是版本范围（例如 ">=1.2,<2" 或 "^1.2"）',
    },
    "app.unmet_range": {
        "en": "app '{app}' is installed at version {version}, outside the range '{range}' this app needs",
        "zh": "应用“{app}”安装的版本是 {version}，不在本应用要求的范围“{range}”内",
    },
    "icon.unknown": {
        "en": "'{icon}' is not an icon of the Lucide set the portal draws (see lucide.dev/icons){hint}",
        "zh": "“{icon}”不是门户所用 Lucide 图标集中的图标（见 lucide.dev/icons）{hint}",
    },
    # expressions
    "cel.syntax": {
        "en": "the expression does not compile: {detail}",
        "zh": "表达式无法编译：{detail}",
    },
    "cel.unknown_name": {
        "en": "the expression refers to unknown field '{name}'{hint}",
        "zh": "表达式引用了不存在的字段“{name}”{hint}",
    },
    "cel.unknown_function": {
        "en": "the expression calls unknown function '{name}'",
        "zh": "表达式调用了不存在的函数“{name}”",
    },
    # entity details
    "entity.autonumber_pattern": {
        "en": "the pattern '{pattern}' needs a counter such as {{####}}",
        "zh": "编号规则“{pattern}”缺少流水号，例如 {{####}}",
    },
    "entity.autonumber_token": {
        "en": "the pattern '{pattern}' has an unknown part {{{token}}}; "
        "use YYYY, YY, MM, DD or #### (2 to 12 '#')",
        "zh": "编号规则“{pattern}”含有未知占位符 {{{token}}}；可用 YYYY、YY、MM、DD 或 ####（2 到 12 个 #）",
    },
    "entity.scale": {
        "en": "scale {scale} cannot exceed precision {precision}",
        "zh": "小数位数 {scale} 不能大于总位数 {precision}",
    },
    "entity.range": {
        "en": "min {min} is greater than max {max}",
        "zh": "最小值 {min} 大于最大值 {max}",
    },
    "entity.default_option": {
        "en": "default '{value}' is not one of the options: {allowed}",
        "zh": "默认值“{value}”不在选项中：{allowed}",
    },
    "entity.summary_syntax": {
        "en": "a summary's placeholders are {{{{ field }}}}, each opened and closed once",
        "zh": "摘要的占位符写作 {{{{ 字段 }}}}，每个都要成对出现",
    },
    "entity.summary_field": {
        "en": "field '{field}' ({type}) cannot be shown in a one-line summary",
        "zh": "字段“{field}”（{type}）无法显示在一行摘要中",
    },
    "entity.compute_and_default": {
        "en": "a computed field cannot also have a default",
        "zh": "计算字段不能同时设置默认值",
    },
    "entity.child_permissions": {
        "en": "a child entity takes its permissions from its parent; remove 'permissions'",
        "zh": "子实体沿用父记录的权限，请删除 permissions",
    },
    "entity.card_status": {
        "en": "a card's status chip shows an option: '{field}' ({type}) is neither a select nor flow_status",
        "zh": "卡片的状态标签显示选项值：字段“{field}”（{type}）不是下拉选择字段，也不是 flow_status",
    },
    "entity.total_type": {
        "en": "a column total adds numbers up: '{field}' ({type}) is not an integer, decimal or money field",
        "zh": "列合计只能累加数值：字段“{field}”（{type}）不是整数、小数或金额字段",
    },
    "entity.total_not_child": {
        "en": "totals show under a table's grid: '{field}' is not a column of a child entity (child: true)",
        "zh": "合计显示在明细表格下方：字段“{field}”不属于明细实体（child: true）",
    },
    "entity.board_field": {
        "en": "a board's columns are a select's options or a link's records: '{field}' ({type}) is neither",
        "zh": "看板的列取自下拉选择字段的选项或关联字段的记录：字段“{field}”（{type}）两者都不是",
    },
    "entity.board_select": {
        "en": "'{key}' is for a link field's records; select field '{field}' has its options as columns",
        "zh": "{key} 用于关联字段的记录；下拉选择字段“{field}”的列就是它的选项，无需 {key}",
    },
    "entity.board_group": {
        "en": "the board's group '{field}' must be a link that entity '{target}' has too, to the same entity",
        "zh": "看板的分组字段“{field}”须是关联字段，且实体“{target}”也有同名、关联同一实体的字段",
    },
    "entity.calendar_start": {
        "en": "a calendar's events start on a date or datetime field: '{field}' is a {type}",
        "zh": "日历的事件须从日期或日期时间字段开始：字段“{field}”是 {type}",
    },
    "entity.calendar_end": {
        "en": "a calendar's end must be of the start's type ({start}): '{field}' is a {type}",
        "zh": "日历的结束字段须与开始字段同类型（{start}）：字段“{field}”是 {type}",
    },
    "entity.calendar_color": {
        "en": "a calendar's colours are options': '{field}' ({type}) is not a select nor flow_status",
        "zh": "日历的颜色取自下拉选择字段的选项：字段“{field}”（{type}）不是下拉选择字段或 flow_status",
    },
    "entity.calendar_event_color": {
        "en": "an event's own colour is a colour field (a string with widget: color): '{field}' is not one",
        "zh": "事件自身的颜色须取自颜色字段（widget: color 的文本字段）：字段“{field}”不是",
    },
    "entity.calendar_all_day": {
        "en": "a calendar's all_day is a boolean field: '{field}' is a {type}",
        "zh": "日历的 all_day 须是是/否字段：字段“{field}”是 {type}",
    },
    # overlays
    "overlay.missing_target": {
        "en": "the overlay's target {target_kind} '{target}' does not exist",
        "zh": "覆盖层的目标 {target_kind}“{target}”不存在",
    },
    "overlay.not_customizable": {
        "en": "'{target}' is marked customizable: false by its package: overlays may not change it",
        "zh": "“{target}”已被其所属应用标记为不可定制（customizable: false），覆盖层不能修改",
    },
    "overlay.field_not_customizable": {
        "en": "field '{field}' of '{target}' is marked customizable: false: overlays may not change it",
        "zh": "“{target}”的字段“{field}”已被其所属应用标记为不可定制（customizable: false），覆盖层不能修改",
    },
    "overlay.missing_item": {
        "en": "cannot {action} '{item}': the target has no such item in '{key}'",
        "zh": "无法{action}“{item}”：目标的“{key}”中没有该项",
    },
    "overlay.missing_anchor": {
        "en": "'{anchor}' (named in '{where}') is not an item of '{key}'",
        "zh": "“{where}”指定的“{anchor}”不在“{key}”中",
    },
    "overlay.patch_shape": {
        "en": "cannot patch '{key}': the target holds {actual} there",
        "zh": "无法修改“{key}”：目标中该处为 {actual}",
    },
    "overlay.conflicting_anchor": {
        "en": "use either 'before' or 'after', not both",
        "zh": "before 与 after 只能选其一",
    },
    # flows
    "flow.user_field": {
        "en": "approver field '{field}' must be of type user",
        "zh": "审批人字段“{field}”必须是用户类型",
    },
    "flow.else_not_last": {
        "en": "the 'else' branch must come last",
        "zh": "else 分支必须放在最后",
    },
    "flow.return_target": {
        "en": "returns may only go to nodes before '{node}'; '{target}' is not one",
        "zh": "只能退回到“{node}”之前的节点；“{target}”不是",
    },
    "flow.revoke_within": {
        "en": "'within' limits how long revoking stays possible: it needs 'allowed: true' and a time above 0",
        "zh": "within 限定审批通过后多久内可以撤销：需要 allowed: true，且时长大于 0",
    },
    # automations
    "automation.cycle": {
        "en": "these automations trigger each other without end: {cycle}; add an 'if' that stops the chain",
        "zh": "这些自动化会无休止地相互触发：{cycle}；请添加能终止循环的 if 条件",
    },
    "automation.owner_needs_system": {
        "en": "only an automation with 'run_as: system' can give the records it creates an owner",
        "zh": "只有 run_as: system 的自动化才能为创建的记录指定 owner（负责人）",
    },
    "automation.cron": {
        "en": "'{cron}' is not a cron schedule (5 fields: minute hour day month weekday)",
        "zh": "“{cron}”不是合法的 cron 表达式（5 段：分 时 日 月 周）",
    },
}


def render_message(code: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """Render ``code`` in ``lang`` (English when the language has no template)."""
    templates = MESSAGES[code]
    template = templates.get(lang) or templates["en"]
    return template.format_map(_Params(params, lang))


class _Params(dict):
    """Format params: values are shown as given; ``hint`` is optional everywhere."""

    def __init__(self, params: Mapping[str, Any], lang: str) -> None:
        super().__init__(params)
        self.lang = lang

    def __missing__(self, key: str) -> str:
        if key == "hint":
            return ""
        raise KeyError(key)

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if isinstance(value, dict) and set(value) <= {"en", "zh"}:
            return value.get(self.lang) or value.get("en", "")
        return value
