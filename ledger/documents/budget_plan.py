"""A saved budget version as a PDF for a funding bid: data in, bytes out, no database and no Flask.

The bid reader sees the total and each section first, then every line with its working (count x quantity at the
rate) and where the rate came from (the rule and the date it is in force from, or the project manager), with
announced future rates marked, so a funder can check any figure by hand.
"""

from __future__ import annotations

from ledger.budgets.pricing import SECTIONS
from ledger.budgets.records import BudgetVersionRecord
from ledger.documents.flowables import Cell, Column, Text
from ledger.documents.layout import Meta, Writer, build_pdf, frame_width, look
from ledger.formatting import long_date, money
from ledger.reports.organisation import Organisation

STATUS_WORDS = {"draft": "Draft", "baseline": "Approved baseline", "superseded": "Replaced baseline"}


def render_budget_plan(version: BudgetVersionRecord, *, organisation: Organisation,
                       large_print: bool = False) -> bytes:
    """Render one version of a project's co-production budget, every line with its working and its source."""
    the_look = look(large_print)
    w = Writer(the_look, frame_width(the_look, wide=True))
    plan = version.plan
    w.title(f"Co-production budget: {version.project_name}")
    w.facts([
        ("Project", f"{version.project_code}: {version.project_name}"),
        ("Version", f"{version.number}{f' ({version.label})' if version.label else ''}: "
                    f"{STATUS_WORDS.get(version.status, version.status)}"),
        ("Priced on", long_date(plan.priced_on)),
        ("Total", money(plan.total_pence)),
        ("Time-credit budget", f"{plan.time_credit_hours_text} hours"),
    ], label_share=0.3)
    w.heading("By section")
    w.table([Column("Section"), Column("Amount", numeric=True)],
            [[SECTIONS[key], money(plan.section_total(key))] for key in SECTIONS if plan.section_total(key)],
            totals=[Text("Total", bold=True), money(plan.total_pence)])
    w.heading("Every line, with its working")
    rows: list[list[Cell]] = [
        [Text(line.description + (" (announced rate)" if line.announced else "")), line.working,
         line.source or "", money(line.amount_pence)]
        for line in plan.lines
    ]
    w.table([Column("Line", 1.6), Column("Working", 1.3), Column("Rate from", 1.2), Column("Amount", numeric=True)],
            rows, totals=[Text("Total", bold=True), "", "", money(plan.total_pence)])
    for note in plan.checks:
        w.para(f"To check: {note}")
    if plan.announced_lines:
        w.para(f"{plan.announced_lines} lines use a rate announced but not yet in force on {long_date(plan.priced_on)}:"
               " the budget already pays it from the day it starts.")
    w.para("Each fee is one person's hours at the hourly rate, rounded once to the penny, times the people; each "
           "other cost is one person's (or one unit's) quantity at the rate, rounded once, times the count. A "
           "meeting planned for a month is priced on the month's last day.")
    meta = Meta(title=f"Co-production budget: {version.project_name}, version {version.number}",
                author=organisation.name, subject=f"Budget for {version.project_name} ({version.project_code})",
                header=organisation.name, footer=f"Budget version {version.number}, priced {long_date(plan.priced_on)}")
    return build_pdf(w.story, w.look, meta, wide=True)
