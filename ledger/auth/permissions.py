"""Which roles may do what. The one table every route's permission check reads.

A participant reaches their own records through ``own_participant`` in ``requires``; no permission
below gives a participant anyone else's.
"""

from __future__ import annotations

PERMISSIONS: dict[str, frozenset[str]] = {
    "books.read": frozenset({"admin", "finance"}),
    "books.post": frozenset({"finance"}),
    "books.lock": frozenset({"finance"}),
    # Reopening a locked month: an admin asks, a second person (admin or finance, not the asker) decides.
    "books.reopen": frozenset({"admin"}),
    "books.reopen.decide": frozenset({"admin", "finance"}),
    "users.manage": frozenset({"admin"}),
    "participants.read": frozenset({"admin", "finance"}),
    "participants.write": frozenset({"finance"}),
    # Names and preferred formats only, for arranging activities and recording attendance.
    "participants.directory": frozenset({"admin", "finance", "project_manager"}),
    "projects.read": frozenset({"admin", "finance", "project_manager"}),
    "projects.write": frozenset({"finance", "project_manager"}),
    # Which project managers may see and act on a project: never the project manager themselves.
    "projects.assign": frozenset({"admin", "finance"}),
    "claims.submit": frozenset({"finance", "project_manager"}),
    "claims.approve": frozenset({"finance"}),
    "payments.manage": frozenset({"finance"}),
    "documents.finance": frozenset({"admin", "finance"}),
    # The audit log: every event, with the names of the people and users involved.
    "audit.read": frozenset({"admin", "finance"}),
    "reports.read": frozenset({"admin", "finance", "project_manager"}),
    # The rights of the person: a copy of everything held about someone, who looked at it, and erasure.
    "privacy.manage": frozenset({"admin"}),
    # Anything a signed-in user may do for themselves (their own tokens, their own records).
    "self": frozenset({"admin", "finance", "project_manager", "participant"}),
}


def allowed(roles: frozenset[str], permission: str) -> bool:
    try:
        return bool(PERMISSIONS[permission] & roles)
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}: add it to PERMISSIONS") from None
