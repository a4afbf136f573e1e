"""The figures a document showed, as the register keeps them and /verify shows them back.

Each function takes the same read record the renderer draws and returns (label, value) pairs, the values
formatted exactly as printed (money in pounds, time credits in hours and minutes, dates as "1 October 2026").
No names, addresses or bank details: /verify shows these figures to anyone who has the code, so they say what
the document showed about money and time, and nothing about who it was for. Pure: no database, no Flask.
"""

from __future__ import annotations

from ledger.budgets.records import BudgetVersionRecord
from ledger.formatting import count, date_range, duration, long_date, money, money_signed
from ledger.labels import FLAG_OUTCOME_LABELS
from ledger.reports.benefit_effect_records import BenefitEffectNotice
from ledger.reports.coproduction_records import CoproductionReport
from ledger.reports.records import (
    TIME_EVIDENCE_KINDS,
    AnnualSummary,
    BenefitsEvidencePack,
    ParticipantStatement,
    PaymentRunReport,
    PrintPack,
    ProjectBudgetReport,
    RemittanceAdvice,
)

Figures = tuple[tuple[str, str], ...]

__all__ = [
    "Figures",
    "annual_summary_figures",
    "benefit_effect_figures",
    "budget_plan_figures",
    "budget_report_figures",
    "coproduction_report_figures",
    "evidence_pack_figures",
    "payment_run_report_figures",
    "print_pack_figures",
    "remittance_figures",
    "statement_figures",
]


def remittance_figures(doc: RemittanceAdvice) -> Figures:
    figures = [("Payment run", doc.run_reference), ("Payment date", long_date(doc.payment_date)),
               ("Total paid", money(doc.total_paid))]
    if doc.fees:
        figures.append(("Fees", money(doc.fees)))
    if doc.expenses:
        figures.append(("Expenses", money(doc.expenses)))
    if doc.redirected:
        figures.append(("Paid to a group at their request", money(doc.redirected)))
    figures.append(("Lines", f"{len(doc.lines):,}"))
    return tuple(figures)


def statement_figures(doc: ParticipantStatement) -> Figures:
    figures = [("Period", date_range(doc.period_start, doc.period_end)),
               (f"Money owed on {long_date(doc.period_end)}", money(doc.amount_owed)),
               ("Money added", money(doc.money.total_in)), ("Money taken off", money(doc.money.total_out))]
    if doc.advances is not None:
        figures.append((f"Advances held on {long_date(doc.period_end)}", money(doc.advances.closing)))
    if doc.time_credits is not None:
        figures.append((f"Time credits on {long_date(doc.period_end)}", duration(doc.time_credits.closing)))
    entries = len(doc.money.lines) + sum(len(s.lines) for s in (doc.advances, doc.time_credits) if s is not None)
    figures.append(("Entries", f"{entries:,}"))
    return tuple(figures)


def annual_summary_figures(doc: AnnualSummary) -> Figures:
    return (("Tax year", date_range(doc.start, doc.end)), ("Fees", money(doc.fees)),
            ("Expenses paid back", money(doc.expenses)), ("Taxable allowances", money(doc.taxable_allowances)),
            ("Taxable total", money(doc.taxable_total)), ("Payments", f"{len(doc.lines):,}"))


def benefit_effect_figures(doc: BenefitEffectNotice) -> Figures:
    figures = [("Claim", f"{doc.claim_id:,}"), ("Payment", money(doc.amount_pence))]
    if doc.payment_date is not None:
        figures.append(("Payment date", long_date(doc.payment_date)))
    outcome = {"no_benefits": "No benefits declared", "not_checked": "Not checked"}.get(doc.status)
    if outcome is None and doc.check is not None:
        outcome = {"ok": "Within every limit", **FLAG_OUTCOME_LABELS}.get(doc.check.outcome, "Checked")
    figures.append(("Benefit check", outcome or "Not checked"))
    return tuple(figures)


def evidence_pack_figures(doc: BenefitsEvidencePack) -> Figures:
    figures = [("Period covered", date_range(doc.period_start, doc.period_end)),
               ("Payments listed", f"{len(doc.payments):,}")]
    money_items = [item for item in doc.payments if item.kind not in TIME_EVIDENCE_KINDS]
    figures.append(("Total of the payments listed", money(sum(item.amount for item in money_items))))
    for benefit in doc.benefits:
        figures.append((f"{benefit.benefit}: earnings", money(sum(p.earnings for p in benefit.periods))))
    figures.append(("Signed by", f"{doc.signatory_name}, {doc.signatory_role}"))
    return tuple(figures)


def payment_run_report_figures(doc: PaymentRunReport) -> Figures:
    return (("Payment run", doc.run_reference), ("Status", doc.status), ("Payment date", long_date(doc.payment_date)),
            ("Payees", f"{len(doc.payees):,}"), ("Items", f"{doc.item_count:,}"), ("Fees", money(doc.fees)),
            ("Expenses", money(doc.expenses)), ("Adjustments", money_signed(doc.adjustments)),
            ("Total to pay", money(doc.total)))


def print_pack_figures(pack: PrintPack) -> Figures:
    to_post = pack.to_post
    return (("Payment run", pack.run_reference),
            ("Letters in the pack", count(len(to_post), "letter")),
            ("Paid to the payees in the pack", money(sum(letter.advice.total_paid for letter in to_post))))


def budget_report_figures(doc: ProjectBudgetReport) -> Figures:
    return (("Figures as at", long_date(doc.as_at)), ("Budget", money(doc.budget)),
            ("Committed", money(doc.committed)), ("Spent", money(doc.spent)), ("Remaining", money(doc.remaining)))


def coproduction_report_figures(report: CoproductionReport) -> Figures:
    totals = report.totals
    figures = [("Period", date_range(report.start, report.end)), ("People involved", f"{totals.people:,}"),
               ("Sessions", f"{totals.sessions:,}"), ("Fees", money(totals.fees_pence)),
               ("Expenses", money(totals.expenses_pence)),
               ("Time credits issued", duration(totals.time_credit_minutes_issued))]
    if totals.to_groups_pence:
        figures.append(("Paid to groups", money(totals.to_groups_pence)))
    return tuple(figures)


def budget_plan_figures(version: BudgetVersionRecord) -> Figures:
    return (("Budget version", str(version.number)), ("Status", version.status),
            ("Total", money(version.total_pence)))
