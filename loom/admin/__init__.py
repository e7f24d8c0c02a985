"""The admin console (Flask-Admin) at ``/admin/``: a client of the platform's services."""

from .console import init_admin as init_admin
from .console import inline_handlers as inline_handlers
