"""The one permission check every route goes through: ``@requires(...)`` or ``@public``.

Pages authenticate with the login cookie (and CSRF tokens on forms); the JSON API only with a
bearer token, so a cookie alone can never drive the API from another site.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ledger.auth import ratelimit
from ledger.auth.models import User
from ledger.auth.permissions import PERMISSIONS, allowed
from ledger.auth.users import CheckedToken, check_token, note_token_used
from ledger.context import get_session, settings, transaction_of_its_own
from ledger.errors import AuthenticationRequired, NotFound, PermissionDenied, TooManyRequests
from ledger.projects import assignments


def is_api_request() -> bool:
    return request.path.startswith("/api/")


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_actor() -> User | None:
    """The user making this request, or None.

    One query finds the user and their roles: a bearer token with its user, or the login cookie's user. A
    token's use is noted (at most once a minute) in a short transaction of its own, so that the time of
    use is kept even when the request itself writes nothing or fails. Why a token was refused (expired,
    revoked, its user deactivated) is kept for the 401's message.
    """
    if "actor" in g:
        return g.actor
    user = None
    g.token_scope = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            checked = _checked_token(header[len("Bearer "):].strip())
        except AuthenticationRequired as refusal:
            g.token_problem = refusal.message
        else:
            user, g.token_scope = checked.user, checked.scope
    elif not is_api_request() and current_user.is_authenticated:
        # One query: the user with their roles (the relationship's own loading would take a second).
        user = get_session().get(User, current_user.user_id, options=[joinedload(User.roles)])
        if user is not None and (not user.is_active or user.session_version != current_user.session_version):
            user = None
    g.actor = user
    return user


def _checked_token(token: str) -> CheckedToken:
    """The token checked in the request's session; its use noted, when due, in a transaction of its own."""
    session = get_session()
    checked = check_token(session, token)
    if checked.use_due:  # at most once a minute per token
        with transaction_of_its_own() as own:
            note_token_used(own, checked.token_id)
        checked = check_token(session, token)
    return checked


def check_project_access(kind: str, value: object) -> None:
    """For a record named in the request body: a project manager reaches only their assigned projects (404)."""
    assignments.check_may_reach(get_session(), signed_in_user(), kind, value)


def visible_project_ids() -> set[int] | None:
    """The projects the acting user may see, or None for every project."""
    return assignments.visible_project_ids(get_session(), signed_in_user())


def signed_in_user() -> User:
    """The user a guarded view runs for; the guard has already turned everyone else away."""
    user = current_actor()
    if user is None:
        raise AuthenticationRequired("Sign in first.")
    return user


def check_permission(permission: str, own_participant: str | None, view_args: dict,
                     project: str | None = None) -> User:
    """Return the acting user if they may use a view guarded by ``permission``; raise otherwise.

    With ``project`` (the URL argument naming a project code, an activity or a claim), a project manager
    reaches only records in the projects assigned to them; anything else answers 404.
    """
    user = current_actor()
    if user is None:
        raise AuthenticationRequired(
            "Sign in first." if not is_api_request()
            else g.get("token_problem") or "Send a valid API token in the Authorization header: 'Bearer <token>'."
        )
    if g.get("token_scope") == "read_only" and request.method not in READ_METHODS:
        raise PermissionDenied("This API token is read-only: it may only read (GET). Use a token with the "
                               "'role' scope to make changes.")
    roles = user.role_names
    if not allowed(roles, permission):
        if own_participant is None:
            raise PermissionDenied("Your role does not allow this.")
        wanted = view_args.get(own_participant)
        if "participant" not in roles or user.participant_id is None or wanted != user.participant_id:
            raise NotFound("There is no such record, or it is not yours to see.")
    if project is not None:
        assignments.check_may_reach(get_session(), user, project, view_args.get(project))
    return user


def requires(permission: str, *, own_participant: str | None = None, project: str | None = None):
    """Allow the view to users whose roles grant ``permission``.

    With ``own_participant="participant_id"``, a participant user may also reach the view when that
    URL argument is their own participant id; anyone else's id answers 404, not 403, so that
    participants cannot discover which records exist.

    With ``project="code"`` (or ``"activity_id"``, ``"claim_id"``), a project manager may reach the view only
    for records in the projects assigned to them; others answer 404 (``ledger.projects.assignments``).
    """
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            check_permission(permission, own_participant, kwargs, project)
            return view(*args, **kwargs)

        wrapped.permission = permission
        wrapped.own_participant = own_participant
        wrapped.project = project
        return wrapped

    return decorate


def check_before_view() -> None:
    """Run the matched view's ``@requires`` check before anything reads the request (a before_request hook).

    Decorators that parse the body (flask-smorest's ``arguments``) may sit outside ``@requires``;
    checking here first means an anonymous or unauthorised caller never gets a validation report
    describing what the endpoint expects. The decorator checks again; the answer is the same.
    """
    rule = request.url_rule
    if rule is None or request.endpoint is None:
        return
    # Flask sets provide_automatic_options on every rule it adds; werkzeug's Rule does not declare it.
    if request.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
        return
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = request.method.lower()
        view = getattr(view_class, method, None) or (getattr(view_class, "get", None) if method == "head" else None)
    permission = getattr(view, "permission", None)
    if permission is None or permission == "public":
        return
    check_permission(permission, getattr(view, "own_participant", None), request.view_args or {},
                     getattr(view, "project", None))


def public(view):
    """Mark a view as open to anyone, on purpose."""
    view.permission = "public"
    return view


def rate_limited(name: str):
    """Limit calls per client address to the configured public rate limit per window, shared by every worker."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            limit = settings().public_rate_limit
            window = limit.window_seconds
            with transaction_of_its_own() as session:
                hits = ratelimit.hit(session, f"{name}:{request.remote_addr or 'unknown'}", window_seconds=window)
            if hits > limit.limit:
                raise TooManyRequests(
                    f"Too many requests: at most {limit.limit} every {window} seconds. "
                    "Wait a minute and try again.", retry_after_seconds=window,
                )
            return view(*args, **kwargs)

        return wrapped

    return decorate
