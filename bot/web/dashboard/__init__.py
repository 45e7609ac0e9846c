"""The web dashboard under /admin, one module per area.

Accounts come from `humasbot admin create` or the users page; each has a role (viewer, editor,
admin) and every view states the least role it needs (`access.requires`). The session is checked
against the database on every request. Every form carries a CSRF token (Flask-WTF); every change
goes through the same domain functions the CLI and chat use, in one transaction, and is written
to the audit log as `admin:<username>`.
"""

from bot.web.dashboard import (  # noqa: F401  (importing a module registers its routes)
    access,
    amplification,
    audit_log,
    auth,
    broadcasts,
    calendar,
    calendar_entries,
    campaigns,
    content,
    groups,
    members,
    overview,
    reports,
    security,
    users,
)
from bot.web.dashboard.site import blueprint

__all__ = ["blueprint", "security"]
