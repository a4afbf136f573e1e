"""Render each document from its data: plain data in, PDF bytes out.

Every function here is pure: no database, no Flask, no files written. Participant documents take
``large_print=True`` for the large-print variant (nothing below 16 pt); the statement, the remittance advice,
the tax-year summary and the benefit effect of a payment (``benefit_effect``) take ``easy_read=True`` for the
easy-read variant (``ledger.documents.easy_read``), and ``web_address``, the address of the accessible web page
of the same document, printed near the top. Text from the data is drawn
as text, never parsed as markup (see ``flowables``), so names print exactly as they were entered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from reportlab.lib.pagesizes import A4
from reportlab.platypus import KeepTogether

from ledger.documents.alternative import web_version
from ledger.documents.benefit_effect import render_benefit_effect
from ledger.documents.easy_read import (
    render_annual_summary_easy_read,
    render_remittance_easy_read,
    render_statement_easy_read,
)
from ledger.documents.flowables import Cell, Column, Text, WindowAddress
from ledger.documents.layout import Meta, Writer, build_pdf, frame_width, look
from ledger.formatting import (
    count,
    date_and_time,
    date_range,
    duration,
    duration_signed,
    long_date,
    money,
    money_prose,
    money_signed,
)
from ledger.labels import ENTRY_LABELS, ENTRY_MEANINGS, EVIDENCE_KIND_LABELS, FLAG_OUTCOME_LABELS
from ledger.reports.organisation import Organisation
from ledger.reports.records import (
    TIME_EVIDENCE_KINDS,
    AnnualSummary,
    BenefitEvidence,
    BenefitsEvidencePack,
    EvidencePeriod,
    FlagOutcome,
    ParticipantStatement,
    Payee,
    PaymentRunPayee,
    PaymentRunReport,
    ProjectBudgetReport,
    RemittanceAdvice,
    RemittanceLine,
    RemittanceLineKind,
    StatementSection,
    Unit,
)

__all__ = [
    "remittance_body",
    "remittance_filename",
    "render_annual_summary",
    "render_benefit_effect",
    "render_budget_report",
    "render_evidence_pack",
    "render_payment_run_report",
    "render_remittance",
    "render_remittances",
    "render_statement",
]


# --- shared pieces -----------------------------------------------------------------------------------


def _writer(large_print: bool, *, wide: bool = False) -> Writer:
    the_look = look(large_print)
    return Writer(the_look, frame_width(the_look, wide=wide))


def _build(w: Writer, meta: Meta, *, wide: bool = False) -> bytes:
    return build_pdf(w.story, w.look, meta, wide=wide)


def _addressee(w: Writer, payee: Payee) -> None:
    w.lines((payee.name, *payee.address))
    w.space(0.5)


def _contact(w: Writer, organisation: Organisation) -> None:
    w.heading("Questions")
    how = f": {', '.join(organisation.contact)}" if organisation.contact else f" at {organisation.name}"
    w.para(
        f"If anything here looks wrong, or you would like this in another format such as large print, contact us{how}."
    )
    if organisation.charity_number:
        w.para(f"{organisation.name} is a registered charity, number {organisation.charity_number}.")


def _account(last_four: str | None, method: str) -> str:
    return f"{method} to the account ending {last_four}" if last_four else method


# --- remittance advice -------------------------------------------------------------------------------


_PAID_COLUMNS = (
    (RemittanceLineKind.FEE, "Fee"),
    (RemittanceLineKind.EXPENSE, "Expenses"),
    (RemittanceLineKind.DONATION_RECEIVED, "Given to your group"),
    (RemittanceLineKind.ADJUSTMENT, "Other changes"),
)


def render_remittance(doc: RemittanceAdvice, *, large_print: bool = False, windowed: bool = False,
                      easy_read: bool = False, web_address: str = "") -> bytes:
    """Render the remittance advice for one payee in one payment run.

    ``windowed``: the address where a C5 or DL window envelope shows it, for posting (the print pack).
    ``easy_read``: the easy-read version instead, whatever ``large_print`` says. ``web_address``: where its
    accessible web page is, printed under the title.
    """
    if easy_read:
        return render_remittance_easy_read(doc, windowed=windowed, web_address=web_address)
    w = _writer(large_print)
    if windowed:
        lk = w.look
        w.add(WindowAddress((doc.payee.name, *doc.payee.address), lk.body, lk.body * 1.2, A4[1],
                            lk.margin + lk.header * 1.2))
    else:
        _addressee(w, doc.payee)
    remittance_body(w, doc, large_print, web_address=web_address)
    return _build(w, remittance_meta(doc))


def remittance_body(w: Writer, doc: RemittanceAdvice, large_print: bool, *, web_address: str = "") -> None:
    """Everything in a remittance advice below the address (the print pack puts the address in the window)."""
    you = "your group" if doc.payee.is_group else "you"
    w.title("Remittance advice")
    w.para(f"We paid {you} {money(doc.total_paid)} on {long_date(doc.payment_date)}.", bold=True)
    web_version(w, web_address)
    facts = [
        ("Your reference", doc.payee.reference),
        ("Payment run", doc.run_reference),
        ("Payment date", long_date(doc.payment_date)),
        ("Paid by", _account(doc.account_last_four, doc.payment_method)),
    ]
    if doc.bank_reference:  # what the payment is called on a bank statement, to match the two
        facts.append(("Bank reference", doc.bank_reference))
    w.facts(facts)
    _remittance_paid(w, doc, large_print)
    _remittance_redirected(w, doc, large_print)
    _contact(w, doc.organisation)


def remittance_meta(doc: RemittanceAdvice) -> Meta:
    return Meta(
        title=f"Remittance advice {doc.run_reference}: {doc.payee.name}",
        author=doc.organisation.name,
        subject=f"Payment of {money(doc.total_paid)} on {long_date(doc.payment_date)} from {doc.organisation.name}",
        header=doc.organisation.name,
        footer=f"Remittance advice {doc.run_reference}",
    )


def _remittance_paid(w: Writer, doc: RemittanceAdvice, large_print: bool) -> None:
    """What was paid to the payee, one column per kind of payment, with the total."""
    paid = [line for line in doc.lines if line.kind is not RemittanceLineKind.REDIRECTED]
    if paid:
        w.heading("What we paid for")
        kinds = [(kind, title) for kind, title in _PAID_COLUMNS if any(line.kind is kind for line in paid)]
        columns = [Column(title, numeric=True) for _, title in kinds]
        rows = [
            [*_what_for(w, line), *(_amount(line) if line.kind is kind else "" for kind, _ in kinds)] for line in paid
        ]
        totals = [_total(doc, kind) for kind, _ in kinds]
        if large_print:
            w.table([Column("What for"), *columns], rows, totals=[Text("Total", bold=True), *totals])
        else:
            w.table(
                [Column("Date", sized=True), Column("What for"), *columns],
                rows,
                totals=["", Text("Total", bold=True), *totals],
            )
        w.para(f"Total paid: {money(doc.total_paid)}", bold=True)
        if doc.expenses:
            w.para("Expenses pay back actual costs. They are not a fee, and not earnings for benefits.")


def _remittance_redirected(w: Writer, doc: RemittanceAdvice, large_print: bool) -> None:
    """Fees the participant asked to be paid to a group, shown apart from what they were paid."""
    redirected = [line for line in doc.lines if line.kind is RemittanceLineKind.REDIRECTED]
    if redirected:
        w.heading("Paid to a group at your request")
        w.para(
            f"You asked us to pay these fees to a group instead of to you. They are not part of the "
            f"{money(doc.total_paid)} paid to you."
        )
        rows = [[*_what_for(w, line, group=True), money(line.amount)] for line in redirected]
        amount = Column("Amount", numeric=True)
        total = money(doc.redirected)
        if large_print:
            w.table([Column("What for"), amount], rows, totals=[Text("Total paid to groups", bold=True), total])
        else:
            w.table(
                [Column("Date", sized=True), Column("What for"), amount],
                rows,
                totals=["", Text("Total paid to groups", bold=True), total],
            )


def _what_for(w: Writer, line: RemittanceLine, *, group: bool = False) -> list:
    """Return the date and description cells of a remittance line (one cell in large print)."""
    what = ". ".join(p for p in (line.activity, line.detail, f"Paid to {line.redirected_to}" if group else "") if p)
    if w.look.large_print:
        return [(Text(long_date(line.activity_date), bold=True), Text(what, new_line=True))]
    return [long_date(line.activity_date), Text(what)]


def _amount(line: RemittanceLine) -> str:
    return money_signed(line.amount) if line.kind is RemittanceLineKind.ADJUSTMENT else money(line.amount)


def _total(doc: RemittanceAdvice, kind: RemittanceLineKind) -> str:
    total = sum(line.amount for line in doc.lines if line.kind is kind)
    return money_signed(total) if kind is RemittanceLineKind.ADJUSTMENT else money(total)


def remittance_filename(doc: RemittanceAdvice) -> str:
    """Return a safe, unique-per-run file name: 'remittance-PR-2025-06-P00123.pdf'."""
    return f"remittance-{_slug(doc.run_reference)}-{_slug(doc.payee.reference)}.pdf"


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return slug or "x"


def _render_one(args: tuple[RemittanceAdvice, bool, bool, str]) -> tuple[str, bytes]:
    doc, large_print, easy_read, web_address = args
    return remittance_filename(doc), render_remittance(doc, large_print=large_print, easy_read=easy_read,
                                                       web_address=web_address)


def render_remittances(
    docs: Iterable[RemittanceAdvice],
    *,
    large_print: bool | Callable[[RemittanceAdvice], bool] = False,
    easy_read: bool | Callable[[RemittanceAdvice], bool] = False,
    workers: int = 1,
    web_address: Callable[[RemittanceAdvice], str] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Render many remittances lazily, in order, as (file name, PDF bytes).

    ``large_print`` and ``easy_read`` may be functions choosing per payee (from their preferred format); easy
    read wins where both are chosen; ``web_address`` gives each the address of its web page. ``workers`` > 1
    renders in that many processes (for CLI bulk runs, not inside a web request). A payee appearing twice
    raises ``ValueError`` before their second document is yielded, since the file names would collide.
    """
    choose = large_print if callable(large_print) else (lambda _doc: large_print)
    easy = easy_read if callable(easy_read) else (lambda _doc: easy_read)
    jobs = ((doc, bool(choose(doc)), bool(easy(doc)), web_address(doc) if web_address else "") for doc in docs)
    seen: set[str] = set()

    def checked(results: Iterable[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
        for name, pdf in results:
            if name in seen:
                raise ValueError(f"two remittances would both be called {name}")
            seen.add(name)
            yield name, pdf

    if workers <= 1:
        yield from checked(map(_render_one, jobs))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from checked(pool.map(_render_one, jobs, chunksize=16))


# --- participant statement ---------------------------------------------------------------------------


def render_statement(doc: ParticipantStatement, *, large_print: bool = False, easy_read: bool = False,
                     web_address: str = "") -> bytes:
    """Render a participant's statement for a date range, money and time credits separately (or in easy read)."""
    if easy_read:
        return render_statement_easy_read(doc, web_address=web_address)
    w = _writer(large_print)
    period = date_range(doc.period_start, doc.period_end)
    _addressee(w, doc.participant)
    w.title("Your statement")
    w.facts(
        [
            ("Name", doc.participant.name),
            ("Your reference", doc.participant.reference),
            ("Period", period),
            ("Date of this statement", long_date(doc.issued)),
        ]
    )
    web_version(w, web_address)

    w.heading("In short")
    owed = doc.amount_owed
    end = long_date(doc.period_end)
    if owed > 0:
        w.para(f"On {end} we still owed you {money(owed)}.", bold=True)
    elif owed == 0:
        w.para(f"On {end} we owed you nothing: everything due to you had been paid.", bold=True)
    else:
        w.para(f"On {end} you owed us {money(-owed)}.", bold=True)
    for name, section in _named_sections(doc):
        w.para(name, bold=True)
        w.facts(_section_summary(section, doc.period_start, doc.period_end), label_share=0.6)

    w.heading("Money we owe you: every entry")
    _statement_table(w, doc.money, doc.period_start, doc.period_end)
    if doc.advances is not None:
        w.heading("Advances you hold")
        w.para("An advance is money we paid you before an event. Your receipts, or any money you give back, settle it.")
        _statement_table(w, doc.advances, doc.period_start, doc.period_end)
    if doc.time_credits is not None:
        w.heading("Time credits")
        w.para(
            "One time credit is one hour. Time credits are counted separately from money and are "
            "never turned into pounds."
        )
        _statement_table(w, doc.time_credits, doc.period_start, doc.period_end)

    kinds = [kind for kind in ENTRY_MEANINGS if any(_has_kind(s, kind) for _, s in _named_sections(doc))]
    if kinds:
        w.heading("What the words mean")
        for kind in kinds:
            w.para((Text(f"{ENTRY_LABELS[kind]}: ", bold=True), Text(ENTRY_MEANINGS[kind])))
    _contact(w, doc.organisation)
    meta = Meta(
        title=f"Statement for {doc.participant.name}, {period}",
        author=doc.organisation.name,
        subject=f"Statement of payments, balances and time credits from {doc.organisation.name}",
        header=doc.organisation.name,
        footer=f"Statement, {period}",
    )
    return _build(w, meta)


def _named_sections(doc: ParticipantStatement) -> list[tuple[str, StatementSection]]:
    named = [("Money we owe you", doc.money), ("Advances you hold", doc.advances), ("Time credits", doc.time_credits)]
    return [(name, section) for name, section in named if section is not None]


def _has_kind(section: StatementSection, kind: str) -> bool:
    return any(line.kind == kind for line in section.lines)


def _figures(section: StatementSection) -> tuple[Callable[[int], str], Callable[[int], str]]:
    if section.unit is Unit.TIME_CREDIT:
        return duration, duration_signed
    return money, money_signed


def _section_summary(section: StatementSection, start, end) -> list[tuple[str, str]]:
    plain, _ = _figures(section)
    return [
        (f"Balance on {long_date(start)}", plain(section.opening)),
        ("Added", plain(section.total_in)),
        ("Taken off", plain(section.total_out)),
        (f"Balance on {long_date(end)}", plain(section.closing)),
    ]


def _statement_table(w: Writer, section: StatementSection, start, end) -> None:
    plain, signed = _figures(section)
    w.para(f"Balance on {long_date(start)}: {plain(section.opening)}", bold=True)
    if not section.lines:
        w.para("Nothing happened on this account in this period.")
    large = w.look.large_print
    rows: list[list[Cell]] = []
    for line in section.lines:
        what = (Text(f"{ENTRY_LABELS[line.kind]}: ", bold=True, new_line=True), Text(line.description))
        amount = f"{plain(line.memo_amount)}\nnot paid" if line.memo_amount else signed(line.amount)
        if large:
            rows.append(
                [
                    (Text(long_date(line.date), bold=True), *what),
                    amount,
                    plain(line.balance),
                ]
            )
        else:
            rows.append([long_date(line.date), what, amount, plain(line.balance)])
    if rows:
        figures = [Column("Amount", numeric=True), Column("Balance", numeric=True)]
        if large:
            columns = [Column("What happened"), *figures]
        else:
            columns = [Column("Date", sized=True), Column("What happened"), *figures]
        w.table(columns, rows)
    w.para(f"Balance on {long_date(end)}: {plain(section.closing)}", bold=True)


# --- annual summary ----------------------------------------------------------------------------------


def render_annual_summary(doc: AnnualSummary, *, large_print: bool = False, easy_read: bool = False,
                          web_address: str = "") -> bytes:
    """Render a participant's summary of one tax year for Self Assessment (or its easy-read version)."""
    if easy_read:
        return render_annual_summary_easy_read(doc, web_address=web_address)
    w = _writer(large_print)
    year = f"{doc.tax_year} to {doc.tax_year + 1}"
    _addressee(w, doc.participant)
    w.title(f"Your payments in the tax year {year}")
    w.facts(
        [
            ("Name", doc.participant.name),
            ("Your reference", doc.participant.reference),
            ("Tax year", date_range(doc.start, doc.end)),
            ("Date of this summary", long_date(doc.issued)),
        ]
    )
    web_version(w, web_address)
    _annual_in_short(w, doc)
    _trading_allowance(w, doc)
    _annual_payments(w, doc)
    w.para("This summary is to help you. It is not tax advice. HMRC or a tax adviser can tell you what applies to you.")
    _contact(w, doc.organisation)
    meta = Meta(
        title=f"Tax year summary {year} for {doc.participant.name}",
        author=doc.organisation.name,
        subject=f"Fees and expenses paid by {doc.organisation.name} in the tax year {year}",
        header=doc.organisation.name,
        footer=f"Tax year summary {year}",
    )
    return _build(w, meta)


def _annual_in_short(w: Writer, doc: AnnualSummary) -> None:
    w.heading("In short")
    facts = [("Fees (taxable income)", money(doc.fees))]
    if doc.taxable_allowances:
        facts.append(("Flat-rate allowances and vouchers (taxable income)", money(doc.taxable_allowances)))
        facts.append(("Total taxable income from us", money(doc.taxable_total)))
    facts.append(("Expenses paid back (not taxable)", money(doc.expenses)))
    if doc.redirected:
        facts.append(("Fees paid to a group at your request (not paid to you)", money(doc.redirected)))
    w.facts(facts, label_share=0.6)


def _trading_allowance(w: Writer, doc: AnnualSummary) -> None:
    """Whether their taxable income from us is within the trading allowance, and what that means."""
    allowance = money_prose(doc.trading_allowance)
    w.heading(f"The {allowance} trading allowance")
    taxable = doc.taxable_total
    if taxable <= doc.trading_allowance:
        w.para(
            f"Your taxable income from us in this tax year was {money(taxable)}. This is not more than "
            f"the {allowance} trading allowance."
        )
        w.para(
            f"If all your income from self-employment and casual work in the tax year, from everyone "
            f"who paid you, is {allowance} or less, you usually do not need to tell HMRC about it or "
            f"fill in a tax return for it. Payments from other organisations count towards the same "
            f"{allowance}."
        )
    else:
        w.para(
            f"Your taxable income from us in this tax year was {money(taxable)}. This is "
            f"{money(taxable - doc.trading_allowance)} more than the {allowance} trading allowance.",
            bold=True,
        )
        w.para(
            f"You may need to tell HMRC about this income through Self Assessment. If you do not "
            f"already fill in a tax return, you may need to register by 5 October {doc.tax_year + 1}."
        )
    w.para(
        "The allowance is counted on what you were paid, before any costs. You can use the allowance "
        "or take off your actual costs, but not both. Expenses we paid back are not included above."
    )
    if doc.redirected:
        w.para(
            "Fees you asked us to pay to a group were not paid to you and are not included above. If "
            "you are not sure whether to tell HMRC about them, ask HMRC."
        )
    if doc.trading_allowance_source:
        w.para(f"Source: {doc.trading_allowance_source}")


def _annual_payments(w: Writer, doc: AnnualSummary) -> None:
    """Every payment in the tax year: fees, any taxable allowances, and expenses, with totals."""
    w.heading("Payments in the tax year")
    if doc.lines:
        extra = bool(doc.taxable_allowances)
        cols = [Column("Date paid", sized=True), Column("What for"), Column("Fees", numeric=True)]
        if extra:
            cols.append(Column("Allowances", numeric=True))
        cols.append(Column("Expenses", numeric=True))
        if w.look.large_print:
            cols = [Column("Payment"), *cols[2:]]
        rows: list[list[Cell]] = []
        for line in doc.lines:
            figures = [money(line.fees)]
            if extra:
                figures.append(money(line.taxable_allowances))
            figures.append(money(line.expenses))
            if w.look.large_print:
                label = (Text(long_date(line.date_paid), bold=True), Text(line.description, new_line=True))
                rows.append([label, *figures])
            else:
                rows.append([long_date(line.date_paid), Text(line.description), *figures])
        totals = [money(doc.fees)] + ([money(doc.taxable_allowances)] if extra else [])
        totals.append(money(doc.expenses))
        lead = [Text("Total", bold=True)] if w.look.large_print else ["", Text("Total", bold=True)]
        w.table(cols, rows, totals=[*lead, *totals])
    else:
        w.para("We made no payments to you in this tax year.")


# --- benefits evidence pack --------------------------------------------------------------------------


def render_evidence_pack(doc: BenefitsEvidencePack, *, large_print: bool = False) -> bytes:
    """Render a letter with the evidence a participant can give to the Jobcentre or DWP."""
    w = _writer(large_print)
    org = doc.organisation
    period = date_range(doc.period_start, doc.period_end)
    _evidence_letterhead(w, doc)
    w.para(
        f"{org.name} involves people with lived experience of services in its work. This letter "
        f"confirms what we paid {doc.participant.name} for this work from {period}, what we paid "
        f"back as expenses, and any payment they declined or asked us to pay to a group instead."
    )
    if (doc.covered_start, doc.covered_end) != (doc.period_start, doc.period_end):
        w.para(
            f"Each benefit period is shown whole, with every payment in it, even where it starts before or ends "
            f"after the dates of this letter: the periods below run from {long_date(doc.covered_start)} to "
            f"{long_date(doc.covered_end)}."
        )
    w.para("The figures are taken from our accounts, which record every payment we make, whoever made it: in a "
           "payment run or by hand. Time credits are shown in hours; they are not money.")
    w.heading("What the involvement was")
    for paragraph in doc.involvement:
        w.para(paragraph)

    for benefit in doc.benefits:
        _benefit_section(w, benefit)
    if not doc.benefits:  # no benefit with an earnings rule to place them in: every payment, by date
        _payments_section(w, doc)
    _signature_block(w, doc)
    meta = Meta(
        title=f"Benefits evidence for {doc.participant.name}, {period}",
        author=org.name,
        subject=f"Payments for involvement work, {period}: earnings, expenses, declined and redirected "
        f"offers, for the Department for Work and Pensions",
        header=org.name,
        footer=f"Benefits evidence, {period}",
    )
    return _build(w, meta)


def _evidence_letterhead(w: Writer, doc: BenefitsEvidencePack) -> None:
    org = doc.organisation
    w.para(org.name, bold=True)
    w.lines((*org.address, *org.contact))
    if org.charity_number:
        w.para(f"Registered charity number {org.charity_number}")
    w.para(long_date(doc.issued))
    w.para("To the Department for Work and Pensions, Jobcentre Plus or any benefits office")
    w.title(f"Payments to {doc.participant.name} for involvement work")
    facts = [("Name", doc.participant.name)]
    if doc.participant.address:
        facts.append(("Address", ", ".join(doc.participant.address)))
    if doc.national_insurance_number:
        facts.append(("National Insurance number", doc.national_insurance_number))
    facts += [("Our reference", doc.participant.reference), ("Period covered", date_range(doc.period_start,
                                                                                          doc.period_end))]
    w.facts(facts)


def _signature_block(w: Writer, doc: BenefitsEvidencePack) -> None:
    """The confirmation, signed by a named officer: name, role, date and a line to sign on."""
    org = doc.organisation
    start = len(w.story)
    w.heading("Confirmation")
    w.para(
        f"I confirm that the figures in this letter are taken from the accounting records of "
        f"{org.name} on {long_date(doc.issued)}."
    )
    w.space(2)
    w.para("Signed: ______________________________")
    w.facts([("Name", doc.signatory_name), ("Role", doc.signatory_role), ("Organisation", org.name),
             ("Date", long_date(doc.signed_on or doc.issued))])
    if org.contact:
        w.para("If you need to check anything in this letter, please contact us:")
        w.lines(org.contact)
    w.story[start:] = [KeepTogether(w.story[start:])]  # never split across a page, wherever the break falls


#: The figures of a period, in the order shown, and whether to show each only when some period has it.
_PERIOD_FIGURES = (  # (column title, label in large print, attribute, optional)
    ("Earnings", "Earnings", "earnings", False),
    ("Approved, to be paid", "Approved, to be paid (earnings when paid)", "due", True),
    ("Expenses paid back", "Expenses paid back (not earnings)", "disregarded_expenses", False),
    ("Expenses paid in advance", "Expenses paid in advance (not earnings)", "advances", True),
    ("Declined", "Offers declined (not paid)", "declined", False),
    ("Paid to a group at their request", "Paid to a group at their request", "redirected", False),
)


def _check_sentence(name: str, period: EvidencePeriod) -> str:
    """What the benefit check counted in the period, in the words of the letter."""
    check = period.check
    if check is None:
        return ""
    counted = f"The benefit check counts {money(check.counted)} of earnings in this {name}"
    if check.limit is None:
        return counted + "."
    if check.over:
        return f"{counted}: over the limit of {money(check.limit)}."
    if check.effect == "reduced":
        return f"{counted}, more than the {money(check.limit)} that is ignored."
    return f"{counted}, within the limit of {money(check.limit)}."


def _period_figures(benefit: BenefitEvidence, *, large_print: bool = False) -> list[tuple[str, str]]:
    return [(label if large_print else title, attribute) for title, label, attribute, optional in _PERIOD_FIGURES
            if not optional or any(getattr(p, attribute) for p in benefit.periods)]


def _benefit_section(w: Writer, benefit: BenefitEvidence) -> None:
    name = benefit.period_name
    w.heading(f"{benefit.benefit}: payments in each {name}")
    w.para(
        f"Each {name} below counts payments by the rule for {benefit.benefit}. "
        "Earnings are fees and other payments for time. Expenses paid back covered actual costs, "
        "such as travel, and are not earnings; nor are expenses paid in advance. Declined offers and fees paid "
        "to a group at their request were not paid to them."
    )
    if w.look.large_print:  # the figures do not fit across a page at 16 pt: one block per period
        _period_blocks(w, benefit)
    else:
        _period_table(w, benefit)
    _items_table(w, benefit)
    if benefit.rules:
        w.heading(f"{benefit.benefit}: the rules we have relied on")
        for rule in benefit.rules:
            w.para(rule.title, bold=True)
            w.para(rule.explanation)
            w.para(f"Source: {rule.source}. How sure we are of this source: {rule.confidence}.")


def _period_extras(name: str, period: EvidencePeriod) -> list[str]:
    """The words under a period's figures: nothing paid, time credits, what the check counted."""
    extras = [] if period.has_payments else ["No payments in this period."]
    if period.time_credit_minutes:
        extras.append(f"Time credits: {duration(period.time_credit_minutes)} (time credits are not money).")
    sentence = _check_sentence(name, period)
    return [*extras, sentence] if sentence else extras


def _period_blocks(w: Writer, benefit: BenefitEvidence) -> None:
    name = benefit.period_name
    for period in benefit.periods:
        facts = [(label, money(getattr(period, attribute)))
                 for label, attribute in _period_figures(benefit, large_print=True)]
        if period.minutes_worked is not None:
            facts.append(("Hours worked", duration(period.minutes_worked)))
        w.para(f"{name.capitalize()}: {date_range(period.start, period.end)}", bold=True)
        w.facts(facts, label_share=0.6)
        for extra in _period_extras(name, period):
            w.para(extra)


def _period_table(w: Writer, benefit: BenefitEvidence) -> None:
    name = benefit.period_name
    figures = _period_figures(benefit)
    hours = any(p.minutes_worked is not None for p in benefit.periods)
    columns = [Column(name.capitalize()), *(Column(title, numeric=True) for title, _ in figures)]
    if hours:
        columns.append(Column("Hours worked", numeric=True))
    rows: list[list[Cell]] = []
    for period in benefit.periods:
        extras = _period_extras(name, period)
        what = (Text(date_range(period.start, period.end)), *(Text(extra, new_line=True) for extra in extras))
        row: list[Cell] = [what, *(money(getattr(period, attribute)) for _, attribute in figures)]
        if hours:
            row.append(duration(period.minutes_worked) if period.minutes_worked is not None else "")
        rows.append(row)
    w.table(columns, rows)


def _payments_section(w: Writer, doc: BenefitsEvidencePack) -> None:
    w.heading(f"Every payment from {date_range(doc.period_start, doc.period_end)}")
    if not doc.payments:
        w.para("No payments in this period.")
        return
    _item_rows(w, doc.payments)


def _item_amount(item) -> str:
    return f"{duration(item.amount)} (not money)" if item.kind in TIME_EVIDENCE_KINDS else money(item.amount)


def _items_table(w: Writer, benefit: BenefitEvidence) -> None:
    items = [item for p in benefit.periods for item in p.items]
    if items:
        w.heading(f"{benefit.benefit}: every payment and offer")
        _item_rows(w, items)


def _item_rows(w: Writer, items) -> None:
    large = w.look.large_print
    if large:
        columns = [Column("Payment"), Column("Amount", numeric=True)]
    else:
        columns = [Column("Date received", sized=True), Column("What for"), Column("Type", sized=True),
                   Column("Amount", numeric=True)]
    rows: list[list[Cell]] = []
    for item in items:
        kind = EVIDENCE_KIND_LABELS[item.kind]
        if large:
            text = (Text(long_date(item.date_received), bold=True), Text(f"{kind}: ", bold=True, new_line=True),
                    Text(item.description))
            rows.append([text, _item_amount(item)])
        else:
            rows.append([long_date(item.date_received), Text(item.description), kind, _item_amount(item)])
    w.table(columns, rows)


# --- finance documents -------------------------------------------------------------------------------


def render_payment_run_report(doc: PaymentRunReport, *, large_print: bool = False) -> bytes:
    """Render a payment run for finance staff: per payee totals, counts and benefit-check flags."""
    w = _writer(large_print, wide=True)
    w.title(f"Payment run {doc.run_reference}" + ("" if doc.status == "confirmed" else f" ({doc.status})"))
    w.para(_run_state(doc), bold=True)
    w.facts(
        [
            ("Status", doc.status.capitalize()),
            ("Payment date", long_date(doc.payment_date)),
            ("Prepared", f"{long_date(doc.prepared_on)} by {doc.prepared_by}"),
            *_run_confirmation(doc),
            ("Payees", f"{len(doc.payees):,}"),
            ("Items", f"{doc.item_count:,}"),
            ("Payees with a benefit check to look at", f"{len(doc.flagged):,}"),
            ("Fees", money(doc.fees)),
            ("Expenses", money(doc.expenses)),
            ("Adjustments", money_signed(doc.adjustments)),
            ("Total to pay", money(doc.total)),
        ],
        label_share=0.35,
    )
    _run_payees(w, doc)
    _run_benefit_checks(w, doc)
    meta = Meta(
        title=f"Payment run {doc.run_reference}",
        author=doc.organisation.name,
        subject=f"Payment run report: {count(len(doc.payees), 'payee')}, {money(doc.total)}, paid "
        f"{long_date(doc.payment_date)}",
        header=doc.organisation.name,
        footer=f"Payment run {doc.run_reference}",
    )
    return _build(w, meta, wide=True)


def _run_state(doc: PaymentRunReport) -> str:
    """What the run's state means for the figures below, in words that fit it."""
    if doc.status == "draft":
        return ("Draft: nothing has been paid. These are the payments proposed; they may change until the run is "
                "confirmed.")
    if doc.status == "cancelled":
        when = f" on {date_and_time(doc.cancelled_at)}" if doc.cancelled_at else ""
        return f"Cancelled{when}: nothing in this run was paid."
    who = f" by {doc.confirmed_by}" if doc.confirmed_by else ""
    when = f" on {date_and_time(doc.confirmed_at)}" if doc.confirmed_at else ""
    return f"Confirmed{who}{when}: the bank accepted these payments."


def _run_confirmation(doc: PaymentRunReport) -> list[tuple[str, str]]:
    """Who confirmed (or cancelled) the run and when, and the bank's reference for it."""
    facts = []
    if doc.status == "confirmed":
        facts.append(("Confirmed", " by ".join(p for p in (date_and_time(doc.confirmed_at) if doc.confirmed_at
                                                            else "", doc.confirmed_by or "") if p) or "-"))
    if doc.status == "cancelled" and (doc.cancelled_at or doc.cancelled_by):
        facts.append(("Cancelled", " by ".join(p for p in (date_and_time(doc.cancelled_at) if doc.cancelled_at
                                                            else "", doc.cancelled_by or "") if p)))
    if doc.bank_reference:
        facts.append(("Bank reference", doc.bank_reference))
    return facts


def _run_payees(w: Writer, doc: PaymentRunReport) -> None:
    """One row per payee: reference, account, counts and money, and how their benefit check came out."""
    w.heading("Payees")
    if w.look.large_print:  # nine columns do not fit across a page at 16 pt: who, in one cell, then the money
        columns = [Column("Payee"), Column("Fees", numeric=True), Column("Expenses", numeric=True),
                   Column("Adjustments", numeric=True), Column("Total", numeric=True),
                   Column("Benefit check", sized=True)]
        rows: list[list[Cell]] = [[_run_payee_who(p), *_run_payee_row(p)[4:]] for p in doc.payees]
        w.table(columns, rows, totals=[Text(f"Total: {doc.item_count:,} items", bold=True), money(doc.fees),
                                       money(doc.expenses), money_signed(doc.adjustments), money(doc.total), ""])
        return
    columns = [
        Column("Payee", 0.65),
        Column("Reference", 0.35),
        Column("Account", sized=True),
        Column("Items", numeric=True),
        Column("Fees", numeric=True),
        Column("Expenses", numeric=True),
        Column("Adjustments", numeric=True),
        Column("Total", numeric=True),
        Column("Benefit check", sized=True),
    ]
    rows = [_run_payee_row(p) for p in doc.payees]
    totals: list[Cell] = [
        Text("Total", bold=True),
        "",
        "",
        f"{doc.item_count:,}",
        money(doc.fees),
        money(doc.expenses),
        money_signed(doc.adjustments),
        money(doc.total),
        "",
    ]
    w.table(columns, rows, totals=totals)


def _run_payee_who(p: PaymentRunPayee) -> tuple[Text, ...]:
    """A payee in one cell (large print): name, then reference, account and number of items."""
    account = f"account …{p.account_last_four}" if p.account_last_four else "no account"
    return (Text(p.payee.name + (" (group)" if p.payee.is_group else ""), bold=True),
            Text(f"{p.payee.reference}, {account}, {count(p.items, 'item')}", new_line=True))


def _run_payee_row(p: PaymentRunPayee) -> list[Cell]:
    check = "OK"
    if p.flags:
        worst = max(p.flags, key=lambda f: f.outcome is FlagOutcome.BREACH).outcome
        check = FLAG_OUTCOME_LABELS[worst] + ("\noverride" if all(f.override_reason for f in p.flags) else "")
    return [
        Text(p.payee.name + (" (group)" if p.payee.is_group else "")),
        Text(p.payee.reference),
        f"…{p.account_last_four}" if p.account_last_four else "none",
        f"{p.items:,}",
        money(p.fees),
        money(p.expenses),
        money_signed(p.adjustments),
        money(p.total),
        check,
    ]


def _run_benefit_checks(w: Writer, doc: PaymentRunReport) -> None:
    """Every flagged benefit check, what it found and any override reason: each needs a decision."""
    flagged = doc.flagged
    w.heading("Benefit checks to look at")
    if not flagged:
        w.para("No payment in this run takes anyone over a benefit limit.")
        return
    w.para(
        f"{count(len(flagged), 'payee')} would be affected if this run is paid on "
        f"{long_date(doc.payment_date)}. Each needs a decision before the run is confirmed."
    )
    columns = [
        Column("Payee", 0.2),
        Column("Benefit", 0.15),
        Column("Result", sized=True),
        Column("What the check found", 0.4),
        Column("Override reason", 0.25),
    ]
    rows: list[list[Cell]] = [
        [
            Text(p.payee.name),
            Text(flag.benefit),
            FLAG_OUTCOME_LABELS[flag.outcome],
            Text(flag.message),
            Text(flag.override_reason or "None recorded"),
        ]
        for p in flagged
        for flag in p.flags
    ]
    w.table(columns, rows)


def _percent_used(line_budget: int, used: int) -> str:
    if line_budget <= 0:
        return "no budget" if used else ""
    return f"{(200 * used + line_budget) // (2 * line_budget)}%"  # rounded half up, in integers


def render_budget_report(doc: ProjectBudgetReport, *, large_print: bool = False) -> bytes:
    """Render a project's budget against what is committed and spent, by cost line."""
    w = _writer(large_print, wide=True)
    w.title(f"Project budget: {doc.project}")
    facts = [("Cost centre", doc.cost_centre), ("Figures as at", long_date(doc.as_at))]
    if doc.people_involved is not None:
        facts.append(("People involved", f"{doc.people_involved:,}"))
    if doc.activities_held is not None:
        facts.append(("Activities held", f"{doc.activities_held:,}"))
    facts += [
        ("Budget", money(doc.budget)),
        ("Committed (approved, not yet paid)", money(doc.committed)),
        ("Spent", money(doc.spent)),
        ("Remaining", money(doc.remaining)),
    ]
    w.facts(facts, label_share=0.4)
    if doc.over_budget:
        w.para(f"The project is over budget by {money(-doc.remaining)}.", bold=True)
    _budget_lines(w, doc)
    w.para("Remaining is the budget less what is committed and what is spent.")
    for note in doc.notes:
        w.para(note)
    meta = Meta(
        title=f"Project budget report: {doc.project}",
        author=doc.organisation.name,
        subject=(
            f"Budget, committed, spent and remaining for {doc.project} ({doc.cost_centre}) "
            f"as at {long_date(doc.as_at)}"
        ),
        header=doc.organisation.name,
        footer=f"Project budget, {long_date(doc.as_at)}",
    )
    return _build(w, meta, wide=True)


def _remaining(value: int) -> str:
    return money(value) if value >= 0 else f"{money(value)}\nover budget"


def _budget_lines(w: Writer, doc: ProjectBudgetReport) -> None:
    """Each cost line's budget, committed, spent and remaining, and how much of it is used."""
    w.heading("By cost line")
    columns = [
        Column("Cost line"),
        Column("Budget", numeric=True),
        Column("Committed", numeric=True),
        Column("Spent", numeric=True),
        Column("Remaining", numeric=True),
        Column("Used", numeric=True),
    ]
    rows: list[list[Cell]] = [
        [
            Text(line.name),
            money(line.budget),
            money(line.committed),
            money(line.spent),
            _remaining(line.remaining),
            _percent_used(line.budget, line.committed + line.spent),
        ]
        for line in doc.lines
    ]
    totals: list[Cell] = [
        Text("Total", bold=True),
        money(doc.budget),
        money(doc.committed),
        money(doc.spent),
        _remaining(doc.remaining),
        _percent_used(doc.budget, doc.committed + doc.spent),
    ]
    w.table(columns, rows, totals=totals)
