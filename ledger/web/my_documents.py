"""A participant's documents as accessible web pages: the same content as each PDF, for screen readers.

reportlab cannot tag a PDF, so every participant document (statement, remittance advice, tax-year summary, the
benefit effect of a payment) is also a page here, drawn from the same record as its PDF, with the same figures;
each PDF prints the address of its page. A page is in easy read (the same ideas as the easy-read PDF) or large
print when that is the participant's preferred format, and links to the PDF in that format.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, url_for

from ledger.auth.access import requires
from ledger.claims import services as claims
from ledger.context import get_session, settings, todays_date
from ledger.documents import issuing, render
from ledger.easy_read import annual_summary_ideas, benefit_notice_ideas, remittance_ideas, statement_ideas
from ledger.errors import NotFound
from ledger.formatting import duration, duration_signed, money, money_prose, money_signed
from ledger.labels import ENTRY_LABELS, ENTRY_MEANINGS
from ledger.people import services as people
from ledger.reports.annual_summary import annual_summary
from ledger.reports.benefit_effect import benefit_effect_notice
from ledger.reports.records import RemittanceLineKind, StatementSection, Unit, tax_year_bounds
from ledger.reports.remittances import remittance_advice
from ledger.reports.statements import participant_statement
from ledger.web.issued import producer, send_issued
from ledger.web.own import own_participant_id, participant_page
from ledger.web.query_args import date_arg

bp = Blueprint("my_documents", __name__, url_prefix="/my/documents")


def _participant():
    return people.get_participant(get_session(), own_participant_id())


def _formats(participant) -> dict[str, bool]:
    preferred = participant.preferred_format
    return {"large_print": preferred == "large_print", "easy_read": preferred == "easy_read"}


def _tax_year(tax_year: int) -> int:
    if not 2000 <= tax_year <= 2100:
        raise NotFound(f"There is no tax year {tax_year}.")
    return tax_year


def _current_tax_year(today: dt.date) -> int:
    return today.year if today >= dt.date(today.year, 4, 6) else today.year - 1


# --- the list of documents ---------------------------------------------------------------------------


@bp.route("")
@requires("self")
def index():
    """Every document a participant can read as a web page or download, in their format."""
    participant = _participant()
    today = todays_date()
    year = _current_tax_year(today)
    own = claims.own_claims_page(get_session(), participant.id, limit=200, offset=0)
    runs = sorted({(c.paid_on, c.payment_run_id) for c in own if c.payment_run_id and c.paid_on}, reverse=True)
    fees = [c for c in own if c.is_fee][:20]
    return participant_page("my/documents/index.html", participant, statement_start=today.replace(month=1, day=1),
                            statement_end=today, tax_years=[(y, *tax_year_bounds(y)) for y in (year, year - 1)],
                            runs=runs, fees=fees)


# --- statement ---------------------------------------------------------------------------------------


def _statement(participant_id: int):
    today = todays_date()
    start, end = date_arg("start", today.replace(month=1, day=1)), date_arg("end", today)
    return participant_statement(get_session(), participant_id, start, end, organisation=settings().organisation,
                                 issued=today)


def statement_address(start: dt.date, end: dt.date) -> str:
    """The web page of a statement, as its PDF prints it."""
    return url_for("my_documents.statement", start=start.isoformat(), end=end.isoformat(), _external=True)


def _rows(section: StatementSection) -> list[dict]:
    """A statement section's lines as its PDF prints them: date, what happened, amount, balance."""
    plain, signed = (duration, duration_signed) if section.unit is Unit.TIME_CREDIT else (money, money_signed)
    return [{"date": line.date, "label": ENTRY_LABELS[line.kind], "description": line.description,
             "amount": f"{plain(line.memo_amount)} not paid" if line.memo_amount else signed(line.amount),
             "balance": plain(line.balance)} for line in section.lines]


def _sections(doc) -> list[dict]:
    named = (("money", "Money we owe you: every entry", doc.money, ""),
             ("advances", "Advances you hold", doc.advances,
              "An advance is money we paid you before an event. Your receipts, or any money you give back, settle "
              "it."),
             ("time-credits", "Time credits", doc.time_credits,
              "One time credit is one hour. Time credits are counted separately from money and are never turned "
              "into pounds."))
    found = []
    for key, title, section, note in named:
        if section is None:
            continue
        plain = duration if section.unit is Unit.TIME_CREDIT else money
        found.append({"id": key, "title": title, "note": note, "rows": _rows(section),
                      "opening": plain(section.opening), "closing": plain(section.closing),
                      "added": plain(section.total_in), "taken_off": plain(section.total_out),
                      "kinds": {line.kind for line in section.lines}})
    return found


@bp.route("/statement")
@requires("self")
def statement():
    """The statement as a web page: the same period, entries and balances as the PDF."""
    participant = _participant()
    doc = _statement(participant.id)
    sections = _sections(doc)
    kinds = [k for k in ENTRY_MEANINGS if any(k in s["kinds"] for s in sections)]
    return participant_page("my/documents/statement.html", participant, doc=doc, sections=sections,
                            meanings=[(ENTRY_LABELS[k], ENTRY_MEANINGS[k]) for k in kinds],
                            ideas=statement_ideas(doc))


@bp.route("/statement.pdf")
@requires("self")
def statement_pdf():
    participant = _participant()
    doc = _statement(participant.id)
    issued = issuing.issue_statement(get_session(), doc, producer=producer(), **_formats(participant),
                                     web_address=statement_address(doc.period_start, doc.period_end))
    return send_issued(issued, f"statement-{doc.participant.reference}-{doc.period_start}-{doc.period_end}.pdf")


# --- remittance advice -------------------------------------------------------------------------------

_PAID_KINDS = ((RemittanceLineKind.FEE, "Fee"), (RemittanceLineKind.EXPENSE, "Expenses"),
               (RemittanceLineKind.DONATION_RECEIVED, "Given to your group"),
               (RemittanceLineKind.ADJUSTMENT, "Other changes"))


def _remittance(participant_id: int, run_id: int):
    return remittance_advice(get_session(), run_id, "participant", participant_id,
                             organisation=settings().organisation)


def remittance_address(run_id: int) -> str:
    return url_for("my_documents.remittance", run_id=run_id, _external=True)


@bp.route("/remittances/<int:run_id>")
@requires("self")
def remittance(run_id: int):
    """A remittance advice as a web page: what we paid, line by line, with the totals of the PDF."""
    participant = _participant()
    doc = _remittance(participant.id, run_id)
    paid = [line for line in doc.lines if line.kind is not RemittanceLineKind.REDIRECTED]
    redirected = [line for line in doc.lines if line.kind is RemittanceLineKind.REDIRECTED]

    def amount(line) -> str:
        return money_signed(line.amount) if line.kind is RemittanceLineKind.ADJUSTMENT else money(line.amount)

    def total(kind) -> str:
        pence = sum(line.amount for line in paid if line.kind is kind)
        return money_signed(pence) if kind is RemittanceLineKind.ADJUSTMENT else money(pence)

    kinds = [(kind, title) for kind, title in _PAID_KINDS if any(line.kind is kind for line in paid)]
    return participant_page("my/documents/remittance.html", participant, doc=doc, run_id=run_id, kinds=kinds,
                            paid=[(line, {kind: amount(line) for kind, _ in kinds if line.kind is kind})
                                  for line in paid],
                            totals=[total(kind) for kind, _ in kinds], redirected=redirected,
                            ideas=remittance_ideas(doc))


@bp.route("/remittances/<int:run_id>.pdf")
@requires("self")
def remittance_pdf(run_id: int):
    participant = _participant()
    doc = _remittance(participant.id, run_id)
    issued = issuing.issue_remittance(get_session(), doc, producer=producer(), issued_on=todays_date(),
                                      **_formats(participant), web_address=remittance_address(run_id))
    return send_issued(issued, render.remittance_filename(doc))


# --- tax-year summary --------------------------------------------------------------------------------


def _annual(participant_id: int, tax_year: int):
    return annual_summary(get_session(), participant_id, _tax_year(tax_year), organisation=settings().organisation,
                          rulebook=settings().rulebook, issued=todays_date())


@bp.route("/tax-year/<int:tax_year>")
@requires("self")
def tax_year(tax_year: int):
    """A tax-year summary as a web page: every payment, the totals and the trading allowance."""
    participant = _participant()
    doc = _annual(participant.id, tax_year)
    return participant_page("my/documents/tax_year.html", participant, doc=doc, ideas=annual_summary_ideas(doc),
                            allowance=money_prose(doc.trading_allowance))


@bp.route("/tax-year/<int:tax_year>.pdf")
@requires("self")
def tax_year_pdf(tax_year: int):
    participant = _participant()
    doc = _annual(participant.id, tax_year)
    address = url_for("my_documents.tax_year", tax_year=doc.tax_year, _external=True)
    issued = issuing.issue_annual_summary(get_session(), doc, producer=producer(), **_formats(participant),
                                          web_address=address)
    return send_issued(issued, f"tax-year-{doc.tax_year}-{doc.participant.reference}.pdf")


# --- the benefit effect of a payment -----------------------------------------------------------------


def _notice(participant_id: int, claim_id: int):
    return benefit_effect_notice(get_session(), claim_id, participant_id, organisation=settings().organisation,
                                 rules=settings().claim_rules, today=todays_date())


def benefits_address(claim_id: int) -> str:
    return url_for("my_documents.benefits", claim_id=claim_id, _external=True)


@bp.route("/claims/<int:claim_id>/benefits")
@requires("self")
def benefits(claim_id: int):
    """What one payment means for the participant's benefits, as a web page."""
    participant = _participant()
    doc = _notice(participant.id, claim_id)
    return participant_page("my/documents/benefits.html", participant, doc=doc, ideas=benefit_notice_ideas(doc))


@bp.route("/claims/<int:claim_id>/benefits.pdf")
@requires("self")
def benefits_pdf(claim_id: int):
    participant = _participant()
    doc = _notice(participant.id, claim_id)
    issued = issuing.issue_benefit_effect(get_session(), doc, producer=producer(), **_formats(participant),
                                          web_address=benefits_address(claim_id))
    return send_issued(issued, f"benefits-{doc.participant.reference}-claim-{claim_id}.pdf")
