"""The audit log page for finance and admins: filter by person, claim, run, user, kind and dates; page on; CSV.

The filters, the cursor and the CSV come from ``ledger.events.audit``, as for the API and the CLI, so a filter
refused here is refused there with the same message; the page shows it beside the field.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, render_template, request, stream_with_context
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from ledger.auth.access import requires, signed_in_user
from ledger.context import get_session
from ledger.errors import ValidationError
from ledger.events import audit
from ledger.events.models import SUBJECTS
from ledger.web.date_inputs import DateProblem, date_from_parts, parts_typed

bp = Blueprint("audit", __name__, url_prefix="/finance")

#: The filters, named as in the API's query string (``from`` and ``to`` are Python words, hence the dict).
_FILTER_FIELDS = {
    "participant_id": SelectField("Person", choices=[SelectChoice("", "Anyone")]),
    "claim_id": StringField("Claim number"),
    "run_id": StringField("Payment run number"),
    "user_id": SelectField("Done by", choices=[SelectChoice("", "Anyone")]),
    "kind": SelectField("What happened", choices=[
        SelectChoice("", "Anything"), *(SelectChoice(s, s.replace("_", " ")) for s in SUBJECTS)]),
    "from": StringField("From"),
    "to": StringField("To"),
}
AuditFilterForm = type("AuditFilterForm", (Form,), dict(_FILTER_FIELDS))


def _form(session) -> Form:
    form = AuditFilterForm(request.args)
    people, users = audit.filter_choices(session)
    form.participant_id.choices = [SelectChoice("", "Anyone"), *(SelectChoice(str(i), name) for i, name in people)]
    form.user_id.choices = [SelectChoice("", "Anyone"), *(SelectChoice(str(i), name) for i, name in users)]
    kind = request.args.get("kind", "")
    if kind and kind not in SUBJECTS:
        form.kind.choices = [*form.kind.choices, SelectChoice(kind, kind.replace("_", " ").replace(".", ": "))]
    return form


def _query_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in _with_dates(request.args).items() if k not in names and v}


def _with_dates(args: Mapping[str, str]) -> dict[str, str]:
    """The query string with ``from`` and ``to`` typed as three boxes each turned into the ISO dates the audit
    filters read (an ISO ``from=2025-04-01`` still works); a date that is not real is refused by its field."""
    found = {k: v for k, v in args.items() if not k.endswith(("-day", "-month", "-year"))}
    for name in ("from", "to"):
        typed = parts_typed(args, name)
        if not any(typed.values()):
            continue
        try:
            day = date_from_parts(typed["day"], typed["month"], typed["year"],
                                  what="The " + ("first" if name == "from" else "last") + " day")
        except DateProblem as error:
            raise ValidationError(str(error), fields={name: [str(error)]}) from None
        found[name] = day.isoformat()
    return found


@bp.route("/audit-log")
@requires("audit.read")
def audit_log():
    session = get_session()
    form = _form(session)
    try:
        filters = audit.parse_filters(_with_dates(request.args))
        page = audit.audit_page(session, filters, cursor=request.args.get("cursor"))
    except ValidationError as problem:
        return render_template("finance/audit_log.html", form=form, problem=problem, page=None,
                               query={}, shown=(None, None)), 400
    return render_template("finance/audit_log.html", form=form, problem=None, page=page,
                           query=_query_without("cursor"), shown=(filters.date_from, filters.date_to))


@bp.route("/audit-log.csv")
@requires("audit.read")
def audit_log_csv():
    filters = audit.parse_filters(_with_dates(request.args))
    lines = audit.recorded_audit_csv(get_session(), filters, via="page", actor_user_id=signed_in_user().id)
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
