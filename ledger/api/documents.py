"""Documents as PDF over the API: statements, tax-year summaries, benefits evidence, remittance advice, and the
finance reports; and a participant's statement as JSON.

Participants reach their own documents only (anyone else's answers 404, as if it did not exist); finance and
administrators reach everyone's. ``large_print`` defaults to the participant's preferred format. The
organisation named in each document comes from the settings ``ORGANISATION_NAME``, ``ORGANISATION_ADDRESS``,
``ORGANISATION_CONTACT`` and ``ORGANISATION_CHARITY_NUMBER``; the evidence pack is signed by
``EVIDENCE_SIGNED_BY_NAME`` and ``EVIDENCE_SIGNED_BY_ROLE`` (or the older ``EVIDENCE_SIGNATORY_*``; by default
the finance user asking, or the finance team when a participant asks), which finance may override per
letter with ``signed_by`` and ``role``. In JSON, money is pounds in a decimal string beside integer pence, and
time credits hours in a decimal string beside whole minutes.
"""

from __future__ import annotations

import re

from flask import Response, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ledger.api.dates import PlausibleDate
from ledger.auth.access import requires, signed_in_user
from ledger.auth.permissions import allowed
from ledger.context import get_session, settings, todays_date
from ledger.documents import issuing, render
from ledger.documents.register import Issued, Producer
from ledger.errors import NotFound
from ledger.events.views import record_view
from ledger.formatting import decimal_hours, pounds
from ledger.people.models import Participant
from ledger.reports.annual_summary import annual_summary
from ledger.reports.benefit_effect import benefit_effect_notice
from ledger.reports.budget_report import project_budget_report
from ledger.reports.evidence_pack import evidence_pack_letter
from ledger.reports.print_pack import print_pack
from ledger.reports.records import ParticipantStatement, StatementSection, Unit
from ledger.reports.remittances import remittance_advice
from ledger.reports.run_report import payment_run_report
from ledger.reports.statements import participant_statement

blp = Blueprint("documents_api", __name__, url_prefix="/api/v1",
                description="Statements, tax-year summaries, benefits evidence, remittance advice and finance "
                            "reports, as PDF")

_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_PDF = {"200": {"description": "The document as PDF.", "content": {"application/pdf": {}}}}


# ---------------------------------------------------------------- arguments


class PeriodArgsSchema(Schema):
    start = PlausibleDate(required=True, metadata={"example": "2025-04-01"})
    end = PlausibleDate(required=True, metadata={"example": "2025-06-30"})

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("Must not be before start.", field_name="end")
        if (data["end"] - data["start"]).days > 3 * 366:
            raise ValidationError("At most three years at a time.", field_name="end")


class LargePrintArgsSchema(Schema):
    large_print = fields.Bool(load_default=None,
                              metadata={"description": "Defaults to the participant's preferred format."})


class FormatArgsSchema(LargePrintArgsSchema):
    easy_read = fields.Bool(load_default=None, metadata={
        "description": "Defaults to the participant's preferred format; large_print=true asks for large print."})


class PeriodDocumentArgsSchema(PeriodArgsSchema, FormatArgsSchema):
    pass


class EvidencePackArgsSchema(LargePrintArgsSchema):
    """A year at most; who signs (finance only: a participant's letter is signed by the organisation's officer)."""

    start = PlausibleDate(required=True, metadata={"example": "2025-06-01"})
    end = PlausibleDate(required=True, metadata={"example": "2025-06-30"})
    signed_by = fields.Str(load_default=None, validate=validate.Length(max=120),
                           metadata={"description": "The officer who signs. Defaults to EVIDENCE_SIGNED_BY_NAME."})
    role = fields.Str(load_default=None, validate=validate.Length(max=120),
                      metadata={"description": "Their role. Defaults to EVIDENCE_SIGNED_BY_ROLE."})

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("Must not be before start.", field_name="end")
        if (data["end"] - data["start"]).days >= 366:
            raise ValidationError("A letter covers at most one year.", field_name="end")


class AsAtArgsSchema(Schema):
    as_at = PlausibleDate(load_default=None, metadata={"description": "Defaults to today."})


# ---------------------------------------------------------------- the statement as JSON


def _figure(section: StatementSection, value: int) -> dict:
    if section.unit is Unit.TIME_CREDIT:
        return {"hours": decimal_hours(value), "minutes": value}
    return {"pounds": pounds(value), "pence": value}


def _section_json(section: StatementSection | None) -> dict | None:
    if section is None:
        return None
    return {
        "unit": section.unit.value,
        "opening": _figure(section, section.opening),
        "closing": _figure(section, section.closing),
        "total_in": _figure(section, section.total_in),
        "total_out": _figure(section, section.total_out),
        "lines": [
            {"date": line.date, "kind": line.kind.value, "description": line.description,
             "amount": _figure(section, line.amount), "balance": _figure(section, line.balance),
             "memo_amount": _figure(section, line.memo_amount) if line.memo_amount else None}
            for line in section.lines
        ],
    }


def _statement_json(participant_id: int, doc: ParticipantStatement) -> dict:
    return {
        "participant_id": participant_id,
        "name": doc.participant.name,
        "reference": doc.participant.reference,
        "organisation": doc.organisation.name,
        "start": doc.period_start,
        "end": doc.period_end,
        "issued": doc.issued,
        "owed_to_you": {"pounds": pounds(doc.amount_owed), "pence": doc.amount_owed},
        "money": _section_json(doc.money),
        "time_credits": _section_json(doc.time_credits),
        "advances": _section_json(doc.advances),
    }


class StatementFigureSchema(Schema):
    pounds = fields.Str(metadata={"description": "money: pounds as a decimal string", "example": "50.40"})
    pence = fields.Int()
    hours = fields.Str(metadata={"description": "time credits: hours as a decimal string", "example": "2.50"})
    minutes = fields.Int()


class ParticipantStatementLineSchema(Schema):
    date = PlausibleDate()
    kind = fields.Str(metadata={"description": "fee, expense, donation, declined, payment, advance, "
                                               "advance_settled, advance_kept, time_credit_earned, time_credit_spent, "
                                               "time_credit_given, time_credit_received, reversal, adjustment"})
    description = fields.Str()
    amount = fields.Nested(StatementFigureSchema, metadata={"description": "Change to the balance (0 for memo lines)."})
    balance = fields.Nested(StatementFigureSchema)
    memo_amount = fields.Nested(StatementFigureSchema, allow_none=True,
                                metadata={"description": "Declined, or given to a group: never owed to them."})


class ParticipantStatementSectionSchema(Schema):
    unit = fields.Str()
    opening = fields.Nested(StatementFigureSchema)
    closing = fields.Nested(StatementFigureSchema)
    total_in = fields.Nested(StatementFigureSchema)
    total_out = fields.Nested(StatementFigureSchema)
    lines = fields.List(fields.Nested(ParticipantStatementLineSchema))


class ParticipantStatementSchema(Schema):
    participant_id = fields.Int()
    name = fields.Str()
    reference = fields.Str()
    organisation = fields.Str()
    start = PlausibleDate()
    end = PlausibleDate()
    issued = PlausibleDate()
    owed_to_you = fields.Nested(StatementFigureSchema,
                                metadata={"description": "Still owed to them at the end (negative: they owe us)."})
    money = fields.Nested(ParticipantStatementSectionSchema)
    time_credits = fields.Nested(ParticipantStatementSectionSchema, allow_none=True)
    advances = fields.Nested(ParticipantStatementSectionSchema, allow_none=True)


# ---------------------------------------------------------------- helpers


def _organisation():
    return settings().organisation


def _preferred_format(participant_id: int) -> str:
    row = get_session().get(Participant, participant_id)
    if row is None:
        raise NotFound(f"There is no participant {participant_id}.")
    return row.preferred_format


def _large_print(participant_id: int, asked: bool | None) -> bool:
    if asked is not None:
        return asked
    return _preferred_format(participant_id) == "large_print"


def _easy_read(participant_id: int, args: dict) -> bool:
    """Easy read when asked, or by default when it is their preferred format and large print was not asked."""
    if args.get("easy_read") is not None:
        return bool(args["easy_read"])
    return not args.get("large_print") and _preferred_format(participant_id) == "easy_read"


def _web_page(endpoint: str, **values) -> str:
    """The address of the participant's accessible web page of a document, printed in its PDF."""
    return url_for(endpoint, _external=True, **values)


def _pdf(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-.") or "document.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{safe}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _producer() -> Producer:
    user = signed_in_user()
    return Producer("api", user.display_name, user.id)


def _issued(issued: Issued, filename: str) -> Response:
    """Commit the register row, then hand out the document with its number and code in the headers."""
    get_session().commit()
    response = _pdf(issued.pdf, filename)
    response.headers["X-Document-Number"] = issued.number
    response.headers["X-Verification-Code"] = issued.code
    return response


def _is_staff() -> bool:
    return allowed(signed_in_user().role_names, "documents.finance")


# ---------------------------------------------------------------- participant documents


@blp.route("/participants/<int:participant_id>/statement.pdf")
@blp.doc(security=_SECURITY, responses=_PDF)
@blp.arguments(PeriodDocumentArgsSchema, location="query")
@requires("documents.finance", own_participant="participant_id")
def statement_pdf(args, participant_id):
    """A participant's statement for a date range: every entry with its running balance, money and time credits."""
    doc = participant_statement(get_session(), participant_id, args["start"], args["end"],
                                organisation=_organisation(), issued=todays_date())
    issued = issuing.issue_statement(get_session(), doc, producer=_producer(),
                                     large_print=_large_print(participant_id, args["large_print"]),
                                     easy_read=_easy_read(participant_id, args),
                                     web_address=_web_page("my_documents.statement", start=args["start"].isoformat(),
                                                           end=args["end"].isoformat()))
    return _issued(issued, f"statement-{doc.participant.reference}-{args['start']}-{args['end']}.pdf")


@blp.route("/participants/<int:participant_id>/statement")
@blp.doc(security=_SECURITY)
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, ParticipantStatementSchema)
@requires("documents.finance", own_participant="participant_id")
def statement_json(args, participant_id):
    """The same statement as JSON: what is owed to them, every entry and running balance, declined and given offers."""
    doc = participant_statement(get_session(), participant_id, args["start"], args["end"],
                                organisation=_organisation(), issued=todays_date())
    return _statement_json(participant_id, doc)


@blp.route("/participants/<int:participant_id>/annual-summary/<int:tax_year>.pdf")
@blp.doc(security=_SECURITY, responses=_PDF)
@blp.arguments(FormatArgsSchema, location="query")
@requires("documents.finance", own_participant="participant_id")
def annual_summary_pdf(args, participant_id, tax_year):
    """What they were paid in the tax year starting 6 April of ``tax_year``, for Self Assessment."""
    if not 2000 <= tax_year <= 2100:
        raise NotFound(f"There is no tax year {tax_year}.")
    doc = annual_summary(get_session(), participant_id, tax_year, organisation=_organisation(),
                         rulebook=settings().rulebook, issued=todays_date())
    issued = issuing.issue_annual_summary(get_session(), doc, producer=_producer(),
                                          large_print=_large_print(participant_id, args["large_print"]),
                                          easy_read=_easy_read(participant_id, args),
                                          web_address=_web_page("my_documents.tax_year", tax_year=tax_year))
    return _issued(issued, f"tax-year-{tax_year}-{doc.participant.reference}.pdf")


@blp.route("/participants/<int:participant_id>/evidence-pack.pdf")
@blp.doc(security=_SECURITY, responses=_PDF)
@blp.arguments(EvidencePackArgsSchema, location="query")
@requires("documents.finance", own_participant="participant_id")
def evidence_pack_pdf(args, participant_id):
    """A letter for DWP or the Jobcentre: payments per benefit period, earnings and expenses apart, the rules,
    and a signature block (a named officer, their role, the date and a line to sign)."""
    name, role = default_signatory(_is_staff())
    if _is_staff():  # only staff may name who signs
        name, role = args["signed_by"] or name, args["role"] or role
    session = get_session()
    doc = evidence_pack_letter(session, participant_id, args["start"], args["end"], settings=settings(),
                               issued=todays_date(), signed_by=name, role=role)
    record_view(get_session(), participant_id=participant_id, what="evidence_pack", channel="api",
                actor_user_id=signed_in_user().id)
    issued = issuing.issue_evidence_pack(get_session(), doc, producer=_producer(),
                                         large_print=_large_print(participant_id, args["large_print"]))
    return _issued(issued, f"benefits-evidence-{doc.participant.reference}-{args['start']}-{args['end']}.pdf")


@blp.route("/participants/<int:participant_id>/claims/<int:claim_id>/benefit-effect.pdf")
@blp.doc(security=_SECURITY, responses=_PDF)
@blp.arguments(FormatArgsSchema, location="query")
@requires("documents.finance", own_participant="participant_id")
def benefit_effect_pdf(args, participant_id, claim_id):
    """What one of the participant's claims means for their benefits: the check recorded at approval, or the one
    it would get if paid on the next payment date. Easy read or large print by their preferred format."""
    doc = benefit_effect_notice(get_session(), claim_id, participant_id, organisation=_organisation(),
                                rules=settings().claim_rules, today=todays_date())
    issued = issuing.issue_benefit_effect(get_session(), doc, producer=_producer(),
                                          large_print=_large_print(participant_id, args["large_print"]),
                                          easy_read=_easy_read(participant_id, args),
                                          web_address=_web_page("my_documents.benefits", claim_id=claim_id))
    return _issued(issued, f"benefits-{doc.participant.reference}-claim-{claim_id}.pdf")


def default_signatory(staff: bool) -> tuple[str, str]:
    """Who signs by default: the organisation's named officer, else the finance user asking, else the team."""
    signatory, organisation = settings().signatory, _organisation()
    return (signatory.name or (signed_in_user().display_name if staff else "Finance team"),
            signatory.role or ("Finance officer" if staff else organisation.name))


@blp.route("/payment-runs/<int:run_id>/remittances/<payee_kind>/<int:payee_id>.pdf")
@blp.doc(security=_SECURITY, responses=_PDF)
@blp.arguments(FormatArgsSchema, location="query")
@requires("documents.finance", own_participant="payee_id")
def remittance_pdf(args, run_id, payee_kind, payee_id):
    """One payee's remittance advice for a confirmed run (a participant may fetch their own)."""
    if not _is_staff() and payee_kind != "participant":
        raise NotFound("There is no such record, or it is not yours to see.")
    doc = remittance_advice(get_session(), run_id, payee_kind, payee_id, organisation=_organisation())
    participant = payee_kind == "participant"
    large = _large_print(payee_id, args["large_print"]) if participant else bool(args["large_print"])
    easy = _easy_read(payee_id, args) if participant else bool(args.get("easy_read"))
    web = _web_page("my_documents.remittance", run_id=run_id) if participant else ""
    issued = issuing.issue_remittance(get_session(), doc, producer=_producer(), issued_on=todays_date(),
                                      large_print=large, easy_read=easy, web_address=web)
    return _issued(issued, render.remittance_filename(doc))


# ---------------------------------------------------------------- finance documents


@blp.route("/payment-runs/<int:run_id>/report.pdf")
@blp.doc(security=_SECURITY, responses=_PDF)
@requires("documents.finance")
def payment_run_report_pdf(run_id):
    """A payment run for finance and auditors: payees, totals, account last four digits and benefit flags."""
    doc = payment_run_report(get_session(), run_id, organisation=_organisation())
    issued = issuing.issue_payment_run_report(get_session(), doc, producer=_producer(), issued_on=todays_date())
    return _issued(issued, f"payment-run-{doc.run_reference}.pdf")


@blp.route("/payment-runs/<int:run_id>/print-pack.pdf")
@blp.doc(security=_SECURITY, responses=_PDF)
@requires("documents.finance")
def print_pack_pdf(run_id):
    """A confirmed run's letters to post: a cover sheet, then each remittance advice of a payee not emailed."""
    pack = print_pack(get_session(), run_id, organisation=_organisation())
    issued = issuing.issue_print_pack(get_session(), pack, producer=_producer(), issued_on=todays_date(),
                                      web_address=_web_page("my_documents.remittance", run_id=run_id))
    return _issued(issued, f"print-pack-{pack.run_reference}.pdf")


@blp.route("/projects/<code>/budget-report.pdf")
@blp.doc(security=_SECURITY, responses=_PDF)
@blp.arguments(AsAtArgsSchema, location="query")
@requires("reports.read", project="code")
def budget_report_pdf(args, code):
    """A project's budget against what is committed and spent, by cost line."""
    as_at = args["as_at"] or todays_date()
    doc = project_budget_report(get_session(), code, organisation=_organisation(), as_at=as_at)
    issued = issuing.issue_budget_report(get_session(), doc, producer=_producer(), issued_on=todays_date())
    return _issued(issued, f"budget-{code}-{as_at}.pdf")
