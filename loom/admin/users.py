"""Users, their roles and their API tokens, written through Identity.

Users are deactivated rather than deleted: audit entries, approvals and records keep
pointing at them. Tokens are listed without their hash and revoked, never shown again.
"""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from flask_admin.form import SecureForm
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import cast
from sqlalchemy import select
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import Form
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional

from loom.platform.api.auth import services
from loom.platform.api.auth import session_key
from loom.platform.identity import IdentityError
from loom.platform.identity import WeakPassword

from . import choices
from .access import current_actor_id
from .labels import PLATFORM_LABELS
from .labels import lazy
from .labels import text
from .rows import Row
from .rows import as_id
from .tables import TableView

LOCALES = [SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")]
SIGN_OUT = {"zh": "在所有设备上退出登录", "en": "Sign out everywhere"}
SIGN_OUT_CONFIRM = {
    "zh": "结束选中用户在所有浏览器中的登录？他们需要重新登录。",
    "en": "End the selected users' sessions in every browser? They will have to sign in again.",
}
SIGNED_OUT = {"zh": "已结束 {count} 个登录会话。", "en": "{count} session(s) ended."}


def _label(column: str) -> Any:
    return lazy(PLATFORM_LABELS[column])


class UserForm(SecureForm):
    login = StringField(_label("login"), [InputRequired(), Length(max=64)])
    name = StringField(_label("user_name"), [InputRequired(), Length(max=120)])
    email = EmailField(_label("email"), [Optional(), Length(max=254)])
    phone = TelField(_label("phone"), [Optional(), Length(max=32)])
    department_id = SelectField(_label("department"), coerce=choices.optional_id)
    manager_id = SelectField(_label("manager"), coerce=choices.optional_id)
    roles = SelectMultipleField(_label("roles"))
    locale = SelectField(_label("locale"), choices=LOCALES, default="zh_CN")
    # The policy (length, not the login, not a common one) is Identity's, as for the CLI.
    password = PasswordField(_label("password"), [Optional(), Length(max=200)])


class EditUserForm(UserForm):
    login = None  # a login never changes: tokens, audit and people's habits rely on it
    active = BooleanField(_label("active"))


class UserView(TableView):
    """Users with their department and manager; roles are set here too."""

    table_name = "loom_users"
    can_create = True
    can_edit = True
    column_list = ("login", "name", "department", "manager", "email", "phone", "active", "locale")
    column_details_list = (*column_list, "roles", "created_at")
    searchable = ("login", "name", "email", "phone")
    default_sort = ("login", False)
    form = UserForm

    def query(self) -> Select:
        users, departments = self.table, self.tables["loom_departments"]
        managers = users.alias("managers")
        return select(
            users.c.id, users.c.login, users.c.name, departments.c.name.label("department"),
            managers.c.login.label("manager"), users.c.email, users.c.phone, users.c.active,
            users.c.locale, users.c.created_at, users.c.department_id, users.c.manager_id,
        ).select_from(
            users.outerjoin(departments, users.c.department_id == departments.c.id).outerjoin(
                managers, users.c.manager_id == managers.c.id
            )
        )  # fmt: skip

    def get_one(self, id: Any) -> Row | None:
        """The user with their roles (for the details page and the edit form)."""
        found = super().get_one(id)
        if found is None:
            return None
        memberships = self.tables["loom_memberships"]
        statement = select(memberships.c.role).where(memberships.c.user_id == found.id)
        with services().runtime.engine.connect() as conn:
            roles = sorted(conn.execute(statement).scalars())
        return Row({**found._values, "roles": roles})

    def get_edit_form(self) -> type[Form]:
        return EditUserForm

    def create_form(self, obj: Any = None) -> Form:
        return _with_choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Form:
        return _with_choices(super().edit_form(obj))

    def create_model(self, form: Form) -> Row | bool:
        identity = services().identity
        try:
            if form.password.data:
                identity.check_password(form.password.data, form.login.data)
            with services().runtime.engine.begin() as conn:
                user_id = identity.create_user(
                    conn, form.login.data, form.name.data, password=form.password.data or None,
                    email=form.email.data or None, phone=form.phone.data or None,
                    department_id=form.department_id.data, manager_id=form.manager_id.data,
                    roles=form.roles.data, locale=form.locale.data, by=current_actor_id(),
                )  # fmt: skip
        except WeakPassword as error:
            form.password.errors = [*form.password.errors, text(error.message)]
            return False
        except IdentityError as error:
            form.login.errors = [*form.login.errors, str(error)]
            return False
        return self.get_one(user_id) or False

    def update_model(self, form: Form, model: Row) -> bool:
        identity = services().identity
        values = {
            "name": form.name.data, "email": form.email.data or None, "phone": form.phone.data or None,
            "department_id": form.department_id.data, "manager_id": form.manager_id.data,
            "locale": form.locale.data,
        }  # fmt: skip
        # An admin changing their own password stays signed in here; every other session ends.
        by = current_actor_id()
        own = session_key() if model.id == by else None
        try:
            with services().runtime.engine.begin() as conn:
                identity.update_user(conn, model.id, values, by=by)
                identity.set_active(conn, model.id, form.active.data, by=by)
                identity.set_roles(conn, model.id, form.roles.data, by=by)
                if form.password.data:
                    identity.set_password(conn, model.id, form.password.data, keep_session=own, by=by)
        except WeakPassword as error:
            form.password.errors = [*form.password.errors, text(error.message)]
            return False
        return True

    @action("signout", lazy(SIGN_OUT), lazy(SIGN_OUT_CONFIRM))
    def sign_out_everywhere(self, ids: list[str]) -> None:
        """End every session of the selected users, in every browser (tokens stay: revoke those)."""
        with services().runtime.engine.begin() as conn:
            count = sum(
                services().identity.sessions.end_all(conn, user_id)
                for user_id in map(as_id, ids)
                if user_id is not None
            )
        flash(text(SIGNED_OUT).format(count=count), "success")


def _with_choices(form: Form) -> Form:
    form.department_id.choices = choices.departments()
    form.manager_id.choices = choices.users()
    form.roles.choices = choices.roles()
    return form


class MembershipForm(SecureForm):
    user_id = SelectField(_label("user"), coerce=choices.optional_id, validators=[InputRequired()])
    role = SelectField(_label("role"), validators=[InputRequired()])


class MembershipView(TableView):
    """Who holds which role: one row per user and role; adding or removing one keeps the others."""

    table_name = "loom_memberships"
    can_create = True
    can_delete = True
    can_view_details = False
    column_list = ("login", "user_name", "role")
    searchable = ("login", "user_name", "role")
    default_sort = ("login", False)
    form = MembershipForm

    def query(self) -> Select:
        memberships, users = self.table, self.tables["loom_users"]
        key = (cast(memberships.c.user_id, String) + ":" + memberships.c.role).label("id")
        return select(
            key, memberships.c.user_id, users.c.login, users.c.name.label("user_name"), memberships.c.role
        ).join(users, users.c.id == memberships.c.user_id)

    def get_one(self, id: Any) -> Row | None:
        user, _, role = str(id).partition(":")
        user_id = as_id(user)
        if user_id is None:
            return None
        statement = self.query().where(self.table.c.user_id == user_id, self.table.c.role == role)
        with services().runtime.engine.connect() as conn:
            found = conn.execute(statement).mappings().first()
        return Row(found) if found else None

    def create_form(self, obj: Any = None) -> Form:
        form = super().create_form(obj)
        form.user_id.choices = choices.users()
        form.role.choices = choices.roles()
        return form

    def create_model(self, form: Form) -> Row | bool:
        user_id, role = form.user_id.data, form.role.data
        self._change_roles(user_id, lambda held: [*held, role])
        return self.get_one(f"{user_id}:{role}") or False

    def delete_model(self, model: Row) -> bool:
        self._change_roles(model.user_id, lambda held: [r for r in held if r != model.role])
        return True

    def _change_roles(self, user_id: int, change: Any) -> None:
        with services().runtime.engine.begin() as conn:
            held = conn.execute(select(self.table.c.role).where(self.table.c.user_id == user_id)).scalars()
            services().identity.set_roles(conn, user_id, change(list(held)), by=current_actor_id())


REVOKE = {"zh": "撤销", "en": "Revoke"}
REVOKE_CONFIRM = {
    "zh": "撤销选中的令牌？使用它们的集成将无法再访问。",
    "en": "Revoke the selected tokens? Integrations using them lose access.",
}
REVOKED = {"zh": "已撤销 {count} 个令牌。", "en": "{count} token(s) revoked."}


class TokenView(TableView):
    """API tokens: who, what for, when used; the secret is never stored, its hash never shown."""

    table_name = "loom_tokens"
    column_list = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    searchable = ("user", "name", "prefix")
    default_sort = ("created_at", True)

    def query(self) -> Select:
        tokens, users = self.table, self.tables["loom_users"]
        return select(
            tokens.c.id, users.c.login.label("user"), tokens.c.name, tokens.c.prefix, tokens.c.created_at,
            tokens.c.expires_at, tokens.c.last_used_at, tokens.c.revoked_at,
        ).join(users, users.c.id == tokens.c.user_id)  # fmt: skip

    @action("revoke", lazy(REVOKE), lazy(REVOKE_CONFIRM))
    def revoke(self, ids: list[str]) -> None:
        with services().runtime.engine.begin() as conn:
            count = sum(
                services().identity.revoke_token(conn, token_id)
                for token_id in map(as_id, ids)
                if token_id is not None
            )
        flash(text(REVOKED).format(count=count), "success")
