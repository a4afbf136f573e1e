"""Example documents with made-up people and figures, for previews, tests and the benchmark.

The names are chosen to be hard to print: accents, an apostrophe, Welsh, Greek, Cyrillic, Chinese and
Japanese, and text that looks like markup.
"""

from __future__ import annotations

import datetime as dt

from ledger.reports.organisation import Organisation
from ledger.reports.records import (
    AnnualSummary,
    AnnualSummaryLine,
    BenefitEvidence,
    BenefitFlag,
    BenefitsEvidencePack,
    BudgetLine,
    EntryKind,
    EvidenceItem,
    EvidenceKind,
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
    RuleRelied,
    StatementLine,
    StatementSection,
    Unit,
)

ORGANISATION = Organisation(
    name="Cyngor Sir Ynys Môn: Adult Social Care",
    address=("Swyddfa'r Cyngor", "Llangefni", "LL77 7TW"),
    contact=("Finance team", "01248 750057", "finance@example.org"),
    charity_number="1234567",
)

NAMES = (
    "Siân O'Brien",
    "Gwenllïan ap Dafydd",
    "Ŵyn Ŷr Âble",
    "José Núñez-Müller",
    "Αλέξανδρος Παπαδόπουλος",
    "Анна Кузнецова",
    "王秀英",
    "さくら 山田",
    "<b>Bob</b> & Co",
    "Zoë D'Arcy-Łukasiewicz",
)


FIRST_NAMES = (
    "Aisha", "Bethan", "Chidi", "Dafydd", "Eilidh", "Fatima", "George", "Hannah", "Ifan", "Jack", "Kofi", "Lowri",
    "Mohammed", "Niamh", "Olivia", "Priya", "Rhys", "Sophie", "Tomasz", "Zoë", "Siôn", "Renée", "Jürgen", "Mair",
)  # fmt: skip
SURNAMES = (
    "Jones", "Williams", "Smith", "O'Connor", "Patel", "Nowak", "Evans", "Khan", "Okafor", "Brown", "Taylor",
    "Davies", "Hughes", "Wilson", "Ahmed", "Roberts", "Thomas", "Lewis", "Núñez", "Müller", "Ó Briain", "Ng",
    "Morgan", "Ward", "Begum", "Clarke", "Edwards", "Green", "Hall", "Wood", "Kowalski", "Singh",
)  # fmt: skip


def name(index: int) -> str:
    """Return the hard names first, then everyday names (some with accents); 768 before they repeat."""
    if index < len(NAMES):
        return NAMES[index]
    rest = index - len(NAMES)
    first, surname = FIRST_NAMES[rest % len(FIRST_NAMES)], SURNAMES[(rest // len(FIRST_NAMES)) % len(SURNAMES)]
    return f"{first} {surname}"


def payee(index: int = 0, *, is_group: bool = False) -> Payee:
    """Return a payee: the hard names first, then everyday ones."""
    return Payee(
        name=name(index),
        reference=f"P{index:05d}",
        address=(f"{index + 1} Heol y Dŵr", "Caerdydd", "CF10 1AA"),
        is_group=is_group,
    )


def remittance(index: int = 0, *, lines: int = 3) -> RemittanceAdvice:
    """Return a remittance advice with fees, expenses and (for ``lines`` >= 3) a redirected fee."""
    start = dt.date(2025, 6, 2)
    items: list[RemittanceLine] = []
    for n in range(lines):
        day = start + dt.timedelta(days=n % 20)
        kind = (RemittanceLineKind.FEE, RemittanceLineKind.EXPENSE, RemittanceLineKind.REDIRECTED)[n % 3]
        if kind is RemittanceLineKind.FEE:
            items.append(RemittanceLine("Advisory group meeting", day, kind, 3780 + n, "3 hours at £12.60 an hour"))
        elif kind is RemittanceLineKind.EXPENSE:
            items.append(RemittanceLine("Advisory group meeting", day, kind, 840 + index % 7, "Return bus fare"))
        else:
            items.append(
                RemittanceLine("Interview panel", day, kind, 5000, "4 hours", redirected_to="Brixton Carers' Group")
            )
    paid = sum(i.amount for i in items if i.kind is not RemittanceLineKind.REDIRECTED)
    return RemittanceAdvice(
        organisation=ORGANISATION,
        payee=payee(index),
        run_reference="PR-2025-06",
        payment_date=dt.date(2025, 6, 27),
        lines=tuple(items),
        total_paid=paid,
        account_last_four=f"{(index * 37) % 10000:04d}",
    )


_CYCLE = (
    (EntryKind.FEE, 4000, "Advisory group meeting: carers' strategy"),
    (EntryKind.EXPENSE, 350, "Bus fare to Llangefni"),
    (EntryKind.PAYMENT, -3000, "Bank transfer, payment run PR-2025-06"),
    (EntryKind.DECLINED, 0, "Interview panel"),
    (EntryKind.DONATION, 0, "Training session, paid to Brixton Carers' Group"),
    (EntryKind.REVERSAL, -350, "Correction: bus fare entered twice"),
)


def statement(lines: int = 24, index: int = 0) -> ParticipantStatement:
    """Return a statement with ``lines`` money entries of every kind, plus advances and time credits."""
    start, end = dt.date(2025, 4, 1), dt.date(2026, 3, 31)
    opening = 1250
    balance = opening
    money: list[StatementLine] = []
    for n in range(lines):
        kind, amount, text = _CYCLE[n % len(_CYCLE)]
        if kind is EntryKind.FEE:
            amount += n
        balance += amount
        memo = 4000 + n if kind in (EntryKind.DECLINED, EntryKind.DONATION) else 0
        date = start + dt.timedelta(days=(n * 365) // max(lines, 1))
        money.append(StatementLine(date, kind, text, amount, balance, memo))
    advances = (
        StatementLine(dt.date(2025, 5, 1), EntryKind.ADVANCE, "Train fare for the national conference", 8500, 8500),
        StatementLine(dt.date(2025, 5, 20), EntryKind.ADVANCE_SETTLED, "Receipts for the train fare", -8120, 380),
    )
    credits = (
        StatementLine(dt.date(2025, 4, 10), EntryKind.TIME_CREDIT_EARNED, "Reading group", 150, 270),
        StatementLine(dt.date(2025, 7, 2), EntryKind.TIME_CREDIT_SPENT, "Swimming at Plas Arthur", -60, 210),
    )
    return ParticipantStatement(
        organisation=ORGANISATION,
        participant=payee(index),
        period_start=start,
        period_end=end,
        issued=dt.date(2026, 4, 2),
        money=StatementSection(Unit.GBP, opening, tuple(money), balance),
        time_credits=StatementSection(Unit.TIME_CREDIT, 120, credits, 210),
        advances=StatementSection(Unit.GBP, 0, advances, 380),
    )


def annual_summary(*, fees_each: int = 4000, payments: int = 12, index: int = 0) -> AnnualSummary:
    """Return a tax-year summary; 12 payments of £40 stay under the trading allowance."""
    lines = tuple(
        AnnualSummaryLine(
            date_paid=dt.date(2025, 4, 25) + dt.timedelta(days=28 * n),
            description=f"Payment run PR-2025-{n + 1:02d}: advisory group",
            fees=fees_each + n,
            expenses=840,
            taxable_allowances=500 if n == 0 else 0,
        )
        for n in range(payments)
    )
    return AnnualSummary(
        organisation=ORGANISATION,
        participant=payee(index),
        tax_year=2025,
        issued=dt.date(2026, 4, 20),
        lines=lines,
        trading_allowance=100000,
        trading_allowance_source="HMRC: tax-free allowances on property and trading income",
        redirected=5000,
    )


def evidence_pack(index: int = 0) -> BenefitsEvidencePack:
    """Return a benefits evidence pack for Carer's Allowance (weekly) and Universal Credit (monthly)."""
    fee = EvidenceItem(dt.date(2025, 6, 4), "Advisory group meeting, 3 hours", EvidenceKind.EARNINGS, 3780)
    bus = EvidenceItem(dt.date(2025, 6, 4), "Bus fare, with receipt", EvidenceKind.EXPENSE, 840)
    declined = EvidenceItem(dt.date(2025, 6, 11), "Interview panel fee", EvidenceKind.DECLINED, 5000)
    group = EvidenceItem(dt.date(2025, 6, 18), "Training fee, paid to a group", EvidenceKind.REDIRECTED, 6000)
    rule = RuleRelied(
        title="Service users' expenses are not earnings",
        explanation="Expenses paid to a service user for taking part in involvement work are disregarded.",
        source="SI 2009/2678",
        confidence="medium-high",
    )
    carers = BenefitEvidence(
        benefit="Carer's Allowance",
        period_name="week",
        periods=(
            EvidencePeriod(dt.date(2025, 6, 2), dt.date(2025, 6, 8), (fee, bus), minutes_worked=180),
            EvidencePeriod(dt.date(2025, 6, 9), dt.date(2025, 6, 15), (declined,), minutes_worked=0),
            EvidencePeriod(dt.date(2025, 6, 16), dt.date(2025, 6, 22), (group,), minutes_worked=0),
        ),
        rules=(rule,),
    )
    universal = BenefitEvidence(
        benefit="Universal Credit",
        period_name="assessment period",
        periods=(EvidencePeriod(dt.date(2025, 5, 10), dt.date(2025, 6, 9), (fee, bus)),),
        rules=(
            RuleRelied(
                "Payments count when they are received",
                "Earnings are counted in the assessment period in which they are received.",
                "Universal Credit Regulations 2013, regulation 54",
            ),
        ),
    )
    return BenefitsEvidencePack(
        organisation=ORGANISATION,
        participant=payee(index),
        issued=dt.date(2025, 7, 1),
        period_start=dt.date(2025, 5, 10),
        period_end=dt.date(2025, 6, 30),
        involvement=(
            "They are a member of our carers' advisory group, which meets once a month to help us "
            "redesign respite services.",
            "They chose which meetings to attend; there was no obligation to take part.",
        ),
        benefits=(carers, universal),
        signatory_name="Rhian Jones",
        signatory_role="Involvement lead",
        national_insurance_number="QQ 12 34 56 C",
    )


def payment_run(payees: int = 20) -> PaymentRunReport:
    """Return a payment run report; every seventh payee has a benefit flag."""
    rows = []
    for n in range(payees):
        flags: tuple[BenefitFlag, ...] = ()
        if n % 7 == 3:
            flags = (
                BenefitFlag(
                    "Carer's Allowance",
                    FlagOutcome.BREACH if n % 2 else FlagOutcome.WARN,
                    "Earnings of £210.00 in the week from 23 June 2025 are over the £196.00 limit.",
                    "Participant asked to be paid in full" if n % 2 else None,
                ),
            )
        fees, expenses = 4000 + n, 840
        rows.append(
            PaymentRunPayee(
                payee=payee(n, is_group=n % 11 == 5),
                items=2,
                fees=fees,
                expenses=expenses,
                total=fees + expenses,
                account_last_four=f"{n:04d}",
                flags=flags,
            )
        )
    return PaymentRunReport(
        organisation=ORGANISATION,
        run_reference="PR-2025-06",
        payment_date=dt.date(2025, 6, 27),
        status="draft",
        prepared_on=dt.date(2025, 6, 24),
        prepared_by="Dafydd Williams",
        payees=tuple(rows),
        total=sum(r.total for r in rows),
    )


def budget_report() -> ProjectBudgetReport:
    """Return a project budget report with one line over budget."""
    return ProjectBudgetReport(
        organisation=ORGANISATION,
        project="Respite services redesign",
        cost_centre="ASC-4410",
        as_at=dt.date(2025, 9, 30),
        lines=(
            BudgetLine("Fees", 480000, 45000, 250000),
            BudgetLine("Travel and subsistence", 90000, 5000, 95500),
            BudgetLine("Access: interpreters and supporters", 60000, 0, 12000),
            BudgetLine("Contingency", 30000, 0, 0),
        ),
        people_involved=14,
        activities_held=9,
        notes=("Travel is over budget because two meetings moved to a venue further from Holyhead.",),
    )
