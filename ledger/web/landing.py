"""Where a person lands after signing in, and where ``/`` takes them: the page their role starts from.

Finance starts at the finance dashboard, a project manager at their projects, an admin at the users, a
participant at their own tasks (``/my``). Someone with several roles lands on the first of these that they
hold, staff roles first: a finance officer who is also a participant is at work when they sign in. Anyone
else (a sign-in with no role yet) sees the home page's menu.
"""

from __future__ import annotations

from flask import url_for

#: (role, endpoint), in the order a person with several roles is matched.
LANDING_PAGES: tuple[tuple[str, str], ...] = (
    ("finance", "finance.dashboard"),
    ("project_manager", "projects.list_projects"),
    ("admin", "admin.users_list"),
    ("participant", "my.home"),
)


def landing_url(user) -> str | None:
    """The URL this user starts from, or None when no role gives one (the home page's menu then)."""
    roles = user.role_names
    linked = getattr(user, "participant_id", None) is not None
    for role, endpoint in LANDING_PAGES:
        if role in roles and (role != "participant" or linked):
            return url_for(endpoint)
    return None
