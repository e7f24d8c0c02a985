"""The demo company: its department tree and about 25 people with logins, managers, heads and roles.

Roles are wished for by name; a person gets only the roles the installed packages declare,
so the chart keeps working while the packages gain or drop roles (a ``legal`` role, say).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection
from werkzeug.security import generate_password_hash

from ..actor import Actor
from ..identity import Identity

COMPANY = "杭州云织科技有限公司"
PASSWORD = "loom2026"  # every demo login's password: the site is for trying Loom out


@dataclass(frozen=True, slots=True)
class Department:
    key: str
    name: str
    parent: str | None


@dataclass(frozen=True, slots=True)
class Person:
    login: str
    name: str
    title: str
    department: str
    roles: tuple[str, ...] = ()
    head: bool = False


DEPARTMENTS = (
    Department("company", COMPANY, None),
    Department("gm_office", "总经办", "company"),
    Department("sales", "销售部", "company"),
    Department("sales_1", "销售一组", "sales"),
    Department("sales_2", "销售二组", "sales"),
    Department("finance", "财务部", "company"),
    Department("hr_admin", "人事行政部", "company"),
    Department("support", "技术支持部", "company"),
)

PEOPLE = (
    Person("wangjianguo", "王建国", "总经理", "gm_office", ("general_manager", "crm_bi_viewer"), head=True),
    Person("lixiuying", "李秀英", "总经理助理", "gm_office", ("admin", "oa_admin", "admin_office")),
    Person("tangning", "唐宁", "法务专员", "gm_office", ("legal",)),
    Person(
        "zhangwei",
        "张伟",
        "销售总监",
        "sales",
        ("crm_sales_manager", "crm_admin"),
        head=True,
    ),
    Person("liuyang", "刘洋", "销售一组组长", "sales_1", ("crm_sales_manager",), head=True),
    Person("chenjing", "陈静", "销售代表", "sales_1", ("crm_sales",)),
    Person("yanglei", "杨磊", "销售代表", "sales_1", ("crm_sales",)),
    Person("zhaomin", "赵敏", "销售代表", "sales_1", ("crm_sales",)),
    Person("zhoujie", "周杰", "销售二组组长", "sales_2", ("crm_sales_manager",), head=True),
    Person("wuting", "吴婷", "销售代表", "sales_2", ("crm_sales",)),
    Person("xupeng", "徐鹏", "销售代表", "sales_2", ("crm_sales",)),
    Person("sunli", "孙丽", "销售代表", "sales_2", ("crm_sales",)),
    Person("malihua", "马丽华", "财务总监", "finance", ("finance_director", "crm_finance"), head=True),
    Person("zhulin", "朱琳", "会计", "finance", ("finance", "crm_finance")),
    Person("hujun", "胡军", "会计", "finance", ("finance",)),
    Person("guofang", "郭芳", "出纳", "finance", ("cashier",)),
    Person("hejing", "何静", "人事行政经理", "hr_admin", ("hr", "admin_office"), head=True),
    Person("lintao", "林涛", "人事专员", "hr_admin", ("hr",)),
    Person("gaoyan", "高燕", "行政专员", "hr_admin", ("admin_office", "seal_keeper")),
    Person("luoming", "罗明", "前台", "hr_admin", ()),
    Person("zhengqiang", "郑强", "技术支持经理", "support", ("crm_service",), head=True),
    Person("liangchao", "梁超", "技术支持工程师", "support", ("crm_service",)),
    Person("xiefei", "谢飞", "技术支持工程师", "support", ("crm_service",)),
    Person("songjia", "宋佳", "客服专员", "support", ("crm_service",)),
    Person("hanbing", "韩冰", "实施工程师", "support", ()),
)


@dataclass(frozen=True, slots=True)
class Member:
    """A demo person as created, with the actor they act as (their id, roles and department)."""

    person: Person
    actor: Actor

    @property
    def id(self) -> int:
        return self.actor.id or 0


@dataclass(frozen=True, slots=True)
class Company:
    members: tuple[Member, ...]
    department_ids: dict[str, int]

    def holders(self, roles: set[str]) -> list[Member]:
        """The people holding any of ``roles`` (every person holds ``employee``)."""
        return [m for m in self.members if roles & set(m.actor.roles)]

    def member(self, user_id: int | None) -> Member | None:
        return next((m for m in self.members if m.id == user_id), None)


def build_company(conn: Connection, identity: Identity, phone_of: dict[str, str]) -> Company:
    """Create the departments and people; heads are set once everyone exists."""
    known = identity.known_roles()
    department_ids: dict[str, int] = {}
    for department in DEPARTMENTS:
        parent = department_ids.get(department.parent) if department.parent else None
        department_ids[department.key] = identity.create_department(conn, department.name, parent)
    head_login = {p.department: p.login for p in PEOPLE if p.head}
    head_login["company"] = head_login["gm_office"]
    parents = {d.key: d.parent for d in DEPARTMENTS}
    ids: dict[str, int] = {}
    # One scrypt hash for all: hashing 25 times would take seconds of the demo's budget.
    password_hash = generate_password_hash(PASSWORD)
    for person in PEOPLE:
        ids[person.login] = identity.create_user(
            conn,
            person.login,
            person.name,
            email=f"{person.login}@yunzhi-tech.cn",
            phone=phone_of[person.login],
            department_id=department_ids[person.department],
            roles=[r for r in person.roles if r in known],
            password_hash=password_hash,
        )
    for person in PEOPLE:
        manager = _manager_of(person, head_login, parents)
        if manager is not None:
            identity.update_user(conn, ids[person.login], {"manager_id": ids[manager]})
    for key, login in head_login.items():
        identity.set_head(conn, department_ids[key], ids[login])
    members = []
    for person in PEOPLE:
        actor = identity.actor(conn, ids[person.login])
        assert actor is not None  # just created, active
        members.append(Member(person, actor))
    return Company(tuple(members), department_ids)


def _manager_of(person: Person, head_login: dict[str, str], parents: dict[str, str | None]) -> str | None:
    """The head of the person's department, or of the one above when they head it themselves."""
    department: str | None = person.department
    while department is not None:
        head = head_login.get(department)
        if head is not None and head != person.login:
            return head
        department = parents.get(department)
    return None
