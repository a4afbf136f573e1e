"""Wire the web layer: login sessions, CSRF protection, error pages and JSON errors, blueprints."""

from __future__ import annotations

import logging

from flask import (
    Flask,
    flash,
    get_flashed_messages,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import pass_context
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, default_exceptions
from wtforms import Form

from ledger import easy_read, formatting, labels
from ledger.auth.access import check_before_view, current_actor
from ledger.auth.permissions import allowed
from ledger.context import settings
from ledger.errors import AuthenticationRequired, LedgerError, TooManyRequests
from ledger.web import (
    admin_pages,
    advance_pages,
    assets,
    audit_pages,
    auth_pages,
    bank_pages,
    books_pages,
    budget_pages,
    circumstance_pages,
    export_pages,
    finance_pages,
    headers,
    holds_pages,
    login,
    my_details,
    my_documents,
    my_expenses,
    my_pages,
    participant_pages,
    privacy_pages,
    project_pages,
    report_pages,
    request_limits,
    status_tags,
    verification_pages,
    verify_pages,
)

log = logging.getLogger(__name__)


# Links on the home page and in the menu: (label, endpoint, permission). Parts of the app add theirs.
NAV_LINKS: list[tuple[str, str, str]] = [
    ("Finance dashboard", "finance.dashboard", "claims.approve"),
    ("Trial balance", "books.trial_balance", "books.read"),
    ("Locked periods", "books.periods", "books.read"),
    ("Manual journal entries", "books.manual_entries", "books.read"),
    ("My tasks", "my.home", "self"),
    ("My money", "participant.my_money", "self"),
    ("My advances", "my_advances.my_advances", "self"),
    ("Claims to approve", "finance.claims_waiting", "claims.approve"),
    ("Payment runs", "finance.payment_runs", "payments.manage"),
    ("Holds", "holds.holds_page", "payments.manage"),
    ("Bank statements", "bank.statements", "payments.manage"),
    ("Advances", "advances.list_advances", "claims.approve"),
    ("Evidence packs", "finance.evidence_packs", "documents.finance"),
    ("Changes to review", "circumstances.reports", "participants.write"),
    ("Audit log", "audit.audit_log", "audit.read"),
    ("Projects", "projects.list_projects", "projects.read"),
    ("Reports", "reports.organisation_report", "books.read"),
    ("Exports", "exports.exports_page", "books.read"),
    ("Tax year", "exports.tax_year_page", "participants.read"),
    ("Users", "admin.users_list", "users.manage"),
    ("People's data", "privacy.people_list", "privacy.manage"),
]


#: A participant's own pages: in the menu only for a sign-in linked to a participant (no "My money" for staff).
OWN_PAGES = frozenset({"my.home", "participant.my_money", "my_advances.my_advances"})


def nav_links(user) -> list[dict]:
    """The menu for this user's roles, the current page marked (``aria-current="page"``)."""
    roles = user.role_names
    linked = getattr(user, "participant_id", None) is not None
    here = request.endpoint if request else None
    return [{"label": label, "url": url_for(endpoint), "current": endpoint == here}
            for label, endpoint, permission in NAV_LINKS
            if allowed(roles, permission) and (linked or endpoint not in OWN_PAGES)]


@pass_context
def page_has_errors(context) -> bool:
    """Whether the page shows a problem (its title then starts "Error: "): a refusal passed as ``problem``, a
    form in the page with errors, or a message flashed as an error."""
    if isinstance(context.get("problem"), LedgerError):
        return True
    values = list(context.get_all().values())
    forms = [v for v in values if isinstance(v, Form)] + [
        f for v in values if isinstance(v, list | tuple) for f in v if isinstance(f, Form)]
    if any(form.errors for form in forms):
        return True
    flashed: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    return any(category == "error" for category, _ in flashed)


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into one list per dotted field path (``postings.0.amount``)."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = (prefix or "_schema") if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for name, found in _flatten(value, path).items():
                flat.setdefault(name, []).extend(found)
        return flat
    if isinstance(messages, list | tuple):
        return {prefix: [str(m) for m in messages]}
    return {prefix: [str(messages)]}


#: The words for the ledger's codes, the same on every page as in the documents (``ledger.labels``).
LABEL_GLOBALS = {
    "benefit_names": labels.BENEFIT_NAMES, "claim_status_for_you": labels.CLAIM_STATUS_FOR_YOU,
    "claim_kind_for_you": labels.CLAIM_KIND_FOR_YOU, "choice_for_you": labels.CHOICE_FOR_YOU,
    "part_for_you": labels.PART_FOR_YOU, "part_labels": labels.PART_LABELS, "rest_for_you": labels.REST_FOR_YOU,
    "expense_category_labels": labels.EXPENSE_CATEGORY_LABELS, "action_labels": labels.ACTION_LABELS,
    "activity_kind_labels": labels.ACTIVITY_KIND_LABELS, "region_labels": labels.REGION_LABELS,
    "status_tags": status_tags.STATUS_TAGS, "pay_basis_labels": labels.PAY_BASIS_LABELS,
    "flag_outcome_labels": labels.FLAG_OUTCOME_LABELS,
}


#: The colour of each claim status's tag (``status_tag(text, status_colours.get(status))``): grey before a
#: decision, blue waiting, green paid, red refused; the words always say it too.
STATUS_COLOURS = {"draft": "grey", "submitted": "blue", "returned": "orange", "approved": "turquoise",
                  "paid": "green", "rejected": "red", "cancelled": "grey"}


def who_to_ask() -> tuple[str, str, str]:
    """Who a person can ask when a benefit check relies on a figure not verified: the organisation (its name
    and contact) and independent welfare-rights advice. The participant's and finance's pages name the same."""
    current = settings()
    return (current.organisation.name, ", ".join(current.organisation.contact), current.welfare_rights_advice)


def named_contact():
    """The organisation's named person for benefit questions (``ORGANISATION_CONTACT_*``), for "who to contact"."""
    return settings().named_contact


def init_app(app: Flask) -> None:
    request_limits.init_app(app)  # first: the int converter before any route, the checks before any other hook
    csrf = CSRFProtect(app)
    app.extensions["csrf"] = csrf
    login.init_app(app)
    app.before_request(check_before_view)
    headers.init_app(app)
    _template_words(app)
    assets.init_app(app)
    app.register_blueprint(auth_pages.bp)
    app.register_blueprint(admin_pages.bp)
    app.register_blueprint(books_pages.bp)
    app.register_blueprint(participant_pages.bp)
    app.register_blueprint(participant_pages.me)
    app.register_blueprint(my_documents.bp)
    app.register_blueprint(finance_pages.bp)
    app.register_blueprint(holds_pages.bp)
    app.register_blueprint(bank_pages.bp)
    app.register_blueprint(project_pages.bp)
    app.register_blueprint(budget_pages.bp)
    app.register_blueprint(report_pages.bp)
    app.register_blueprint(advance_pages.bp)
    app.register_blueprint(advance_pages.own)
    app.register_blueprint(audit_pages.bp)
    app.register_blueprint(export_pages.bp)
    app.register_blueprint(verification_pages.bp)
    app.register_blueprint(verify_pages.bp)
    app.register_blueprint(privacy_pages.bp)
    for journeys in (my_pages.bp, my_expenses.bp, my_details.bp, circumstance_pages.bp):
        app.register_blueprint(journeys)
    _error_handlers(app)


def _template_words(app: Flask) -> None:
    """What every template can use: the acting user, the navigation, the labels and the formatting."""
    app.jinja_env.globals.update(current_actor=current_actor, nav_links=nav_links,
                                 amount_in_unit=formatting.amount_in_unit, who_to_ask=who_to_ask,
                                 page_has_errors=page_has_errors,
                                 format_switch=participant_pages.format_switch,
                                 named_contact=named_contact, icon_file=easy_read.icon_file,
                                 easy_read_check=easy_read.check_ideas, easy_read_statement=easy_read.statement_ideas)
    app.jinja_env.globals.update(LABEL_GLOBALS, status_colours=STATUS_COLOURS)
    app.jinja_env.filters.update(long_date=formatting.long_date, money=formatting.money,
                                 hours=formatting.hours)


def _error_handlers(app: Flask) -> None:
    """One answer per kind of error: the JSON error shape for the API, a page for everyone else."""
    app.register_error_handler(LedgerError, _ledger_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(422, _unprocessable)
    # Registered per status code: flask-smorest's Api, set up after this, registers its own handler
    # for HTTPException, which would otherwise answer page visitors (a mistyped URL) with bare JSON.
    # Code-specific handlers win over class handlers, and CSRFError's (a 400 subclass) over both.
    app.register_error_handler(HTTPException, _http_error)
    for code in default_exceptions:
        if code != 422:
            app.register_error_handler(code, _http_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(Exception, _unexpected)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _ledger_error(error: LedgerError):
    wait = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, TooManyRequests) else {}
    if _wants_json():
        response = jsonify(error.to_dict())
        response.status_code = error.status
        response.headers.update(wait)
        if isinstance(error, AuthenticationRequired):
            response.headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(error, AuthenticationRequired):
        return redirect(url_for("auth.login", next=request.full_path))
    else:
        response = make_response(render_template("error.html", message=error.message, status=error.status),
                                 error.status)
        response.headers.update(wait)
    return response


def _csrf_error(error: CSRFError):
    flash("Your form had expired. Please try again.", "error")
    return render_template("error.html", message=error.description, status=400), 400


def _unprocessable(error: HTTPException):
    # webargs/marshmallow validation: report each bad field as a 400 in the one error shape.
    messages = getattr(error, "data", {}).get("messages", {})
    fields: dict[str, list[str]] = {}
    for _location, errors in messages.items():
        for name, found in _flatten(errors).items():
            fields.setdefault(name, []).extend(found)
    names = ", ".join(sorted(str(k) for k in fields)) or "the request"
    body = {"error": {"code": "validation_error", "message": f"Please correct: {names}.", "fields": fields}}
    return jsonify(body), 400


def _http_error(error: HTTPException):
    if _wants_json():
        body = {"error": {"code": error.name.lower().replace(" ", "_"), "message": error.description}}
        # webargs refusing the body as a whole (not JSON at all) says so in ``data.messages``.
        messages = (getattr(error, "data", None) or {}).get("messages") or {}
        said = [str(m) for found in messages.values() if isinstance(found, list | tuple) for m in found]
        if said:
            body["error"]["message"] = " ".join(said)
        return jsonify(body), error.code
    return render_template("error.html", message=error.description, status=error.code), error.code


def _data_error(error: DataError):
    # The database refused a value (a number beyond its column, text it cannot store) that got past the
    # checks at the edge: the transaction is rolled back with the request, so nothing was written.
    log.warning("database refused a value: %s", error.orig)
    message = "A value in the request is outside what the ledger can store. Nothing was changed."
    if _wants_json():
        return jsonify({"error": {"code": "out_of_range", "message": message}}), 400
    return render_template("error.html", message=message, status=400), 400


def _unexpected(error: Exception):
    log.exception("unexpected error")
    message = "Something went wrong on our side. Nothing was changed; please try again."
    if _wants_json():
        return jsonify({"error": {"code": "internal_error", "message": message}}), 500
    return render_template("error.html", message=message, status=500), 500
