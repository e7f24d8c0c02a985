"""A small package for the portal tests: an expense claim with lines and a two-step flow,
and a "kitchen sink" entity with one field of every type a form can edit."""

from __future__ import annotations

PACKAGE = {
    "roles/finance.yaml": "kind: role\nname: finance\nlabel: {zh: 财务, en: Finance}\n",
    "entities/customer.yaml": """\
        kind: entity
        name: customer
        label: {zh: 客户, en: Customer}
        title_field: name
        fields:
          - {name: name, label: {zh: 名称, en: Name}, type: string, required: true, search: true}
        permissions:
          - {role: employee, create: true, read: all, write: own}
        """,
    "entities/expense.yaml": """\
        kind: entity
        name: expense
        label: {zh: 报销单, en: Expense}
        title_field: title
        fields:
          - {name: number, label: {zh: 单号, en: Number}, type: autonumber, pattern: "EX-{####}"}
          - {name: title, label: {zh: 事由, en: Title}, type: string, required: true, search: true}
          - name: category
            label: {zh: 类别, en: Category}
            type: select
            required: true
            default: travel
            options:
              - {key: travel, label: {zh: 差旅, en: Travel}}
              - {key: entertainment, label: {zh: 招待, en: Entertainment}}
          - {name: guest_company, label: {zh: 接待单位, en: Guest company}, type: string}
          - {name: reason, label: {zh: 说明, en: Details}, type: text}
          - {name: lines, label: {zh: 明细, en: Lines}, type: table, entity: expense_line, min_rows: 1}
          - {name: total, label: {zh: 合计, en: Total}, type: money, compute: "sum(lines.map(l, l.amount))"}
          - {name: attachments, label: {zh: 附件, en: Attachments}, type: file, multiple: true}
        rules:
          - {name: total_positive, check: "total > 0.0", field: lines,
             message: {zh: 合计必须大于零, en: The total must be positive}}
        list:
          columns: [number, title, category, total, flow_status]
          filters: [category, flow_status, total]
        permissions:
          - {role: employee, create: true, read: own, write: own, submit: own, delete: own}
          - {role: finance, read: all, export: true}
        """,
    "entities/expense_line.yaml": """\
        kind: entity
        name: expense_line
        label: {zh: 明细, en: Line}
        child: true
        fields:
          - {name: day, label: {zh: 日期, en: Day}, type: date, required: true}
          - {name: amount, label: {zh: 金额, en: Amount}, type: money, required: true}
          - {name: note, label: {zh: 备注, en: Note}, type: string}
        """,
    "forms/expense.yaml": """\
        kind: form
        name: expense
        entity: expense
        default: true
        sections:
          - name: basics
            label: {zh: 基本信息, en: Basics}
            columns: 2
            fields:
              - number
              - category
              - {field: title, span: 2}
              - field: guest_company
                visible_when: 'category == "entertainment"'
                required_when: 'category == "entertainment"'
              - {field: reason, span: 2, required_when: "total > 1000.0"}
          - name: money
            label: {zh: 明细, en: Lines}
            fields: [lines, total, attachments]
        """,
    "flows/expense.yaml": """\
        kind: flow
        name: expense_approval
        label: {zh: 报销审批, en: Expense approval}
        entity: expense
        nodes:
          - {name: manager, label: {zh: 直属上级, en: Manager}, approve: {manager: 1}}
          - {name: finance, label: {zh: 财务, en: Finance}, approve: {role: finance}, mode: any}
        """,
    "entities/kitchen.yaml": """\
        kind: entity
        name: kitchen
        label: {zh: 全字段, en: Kitchen sink}
        title_field: a_string
        fields:
          - {name: a_string, type: string, max_length: 200}
          - {name: a_text, type: text}
          - {name: a_rich_text, type: rich_text}
          - {name: an_integer, type: integer}
          - {name: a_decimal, type: decimal, scale: 3}
          - {name: a_money, type: money, currency: CNY}
          - {name: a_percent, type: percent}
          - {name: a_boolean, type: boolean}
          - {name: a_date, type: date}
          - {name: a_datetime, type: datetime}
          - {name: a_time, type: time}
          - {name: a_select, type: select, options: [red, green]}
          - {name: a_multiselect, type: multiselect, options: [tea, coffee, juice]}
          - {name: a_link, type: link, entity: customer}
          - {name: a_many, type: many, entity: customer}
          - {name: a_user, type: user}
          - {name: a_department, type: department}
          - {name: a_file, type: file}
          - {name: an_image, type: image}
          - {name: an_email, type: email}
          - {name: a_phone, type: phone}
          - {name: an_url, type: url}
          - {name: a_json, type: json}
          - {name: a_region, type: region}
          - {name: a_geo, type: geo}
          - {name: rows, type: table, entity: kitchen_row}
          - {name: a_number, type: autonumber, pattern: "K-{###}"}
          - {name: a_computed, type: computed, result: string, compute: 'a_string + "!"'}
        permissions:
          - {role: employee, create: true, read: own, write: own}
        """,
    "entities/kitchen_row.yaml": """\
        kind: entity
        name: kitchen_row
        label: {zh: 行, en: Row}
        child: true
        fields:
          - {name: label, type: string}
          - {name: quantity, type: integer}
        """,
}
