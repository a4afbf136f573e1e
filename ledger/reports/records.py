"""The read records: what a statement, remittance, tax-year summary, evidence pack or finance report says.

The read models beside this module (``statements``, ``remittances``, ``annual_summary``, ``evidence_pack``,
``run_report``, ``budget_report``) fill these frozen dataclasses from the ledger; the PDF renderer
(``ledger.documents.render``) and the web pages both read them, so a page and a PDF showing the same thing show
the same figures. Nothing here touches the database, Flask or reportlab.

Conventions every class keeps:

- Money is ``int`` pence (GBP); time credits are ``int`` minutes (60 minutes is one time credit). Never float.
- Statement amounts are signed changes to the balance of the account a section describes, seen from the
  participant's side: positive adds to the balance (a fee approved adds to what the organisation owes
  them; time credits earned), negative takes away (a payment made, a fee reversed, credits spent).
- Every figure a record holds is either computed from its lines or checked against them when the
  object is built. A record whose figures do not add up raises ``DocumentDataError`` and can never be
  rendered, so a wrong total cannot reach a participant or an auditor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from ledger.reports.organisation import Organisation


class DocumentDataError(ValueError):
    """Raised when a document's figures or dates do not agree with each other."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise DocumentDataError(message)


def _check_last_four(value: str | None) -> None:
    _check(
        value is None or (len(value) == 4 and value.isascii() and value.isdigit()),
        f"account_last_four must be four digits, got {value!r}",
    )


# --- who ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Payee:
    """A participant or a user-led group, as named on their documents."""

    name: str
    reference: str  # the organisation's own number for them; unique, used in file names
    address: tuple[str, ...] = ()
    is_group: bool = False


# --- remittance advice -------------------------------------------------------------------------------


class RemittanceLineKind(StrEnum):
    FEE = "fee"
    EXPENSE = "expense"
    DONATION_RECEIVED = "donation_received"  # to a group: a fee a participant asked to be paid to it
    ADJUSTMENT = "adjustment"  # signed, e.g. an unused advance netted off; needs a detail
    REDIRECTED = "redirected"  # a participant's fee paid to a group at their request: not in this payment


@dataclass(frozen=True, slots=True)
class RemittanceLine:
    """One thing paid (or redirected) for one activity."""

    activity: str  # "Advisory group meeting: carers' strategy"
    activity_date: dt.date
    kind: RemittanceLineKind
    amount: int  # pence
    detail: str = ""  # "3 hours at £12.60 an hour", "Return bus fare"
    redirected_to: str = ""  # the group's name, for REDIRECTED lines

    def __post_init__(self) -> None:
        if self.kind is RemittanceLineKind.ADJUSTMENT:
            _check(self.amount != 0 and bool(self.detail), "an adjustment needs an amount and a detail")
        else:
            _check(self.amount > 0, f"{self.kind} amounts must be positive, got {self.amount}")
        _check(
            (self.kind is RemittanceLineKind.REDIRECTED) == bool(self.redirected_to),
            "redirected_to names the group on, and only on, redirected lines",
        )


@dataclass(frozen=True, slots=True)
class RemittanceAdvice:
    """What one payee was paid in one payment run, and for what."""

    organisation: Organisation
    payee: Payee
    run_reference: str
    payment_date: dt.date
    lines: tuple[RemittanceLine, ...]
    total_paid: int  # pence, as sent to the bank; checked against the lines
    account_last_four: str | None = None
    payment_method: str = "bank transfer"
    bank_reference: str | None = None  # the bank's reference for the run, given when it was confirmed

    def __post_init__(self) -> None:
        _check_last_four(self.account_last_four)
        _check(bool(self.lines), "a remittance advice needs at least one line")
        _check(
            self.total_paid == self.paid_from_lines,
            f"total_paid {self.total_paid} does not match the lines ({self.paid_from_lines})",
        )
        _check(self.total_paid >= 0, "a payment cannot be negative")

    def _sum(self, kind: RemittanceLineKind) -> int:
        return sum(line.amount for line in self.lines if line.kind is kind)

    @property
    def fees(self) -> int:
        return self._sum(RemittanceLineKind.FEE)

    @property
    def expenses(self) -> int:
        return self._sum(RemittanceLineKind.EXPENSE)

    @property
    def donations_received(self) -> int:
        return self._sum(RemittanceLineKind.DONATION_RECEIVED)

    @property
    def adjustments(self) -> int:
        return self._sum(RemittanceLineKind.ADJUSTMENT)

    @property
    def redirected(self) -> int:
        return self._sum(RemittanceLineKind.REDIRECTED)

    @property
    def paid_from_lines(self) -> int:
        return self.fees + self.expenses + self.donations_received + self.adjustments


# --- participant statement ---------------------------------------------------------------------------


class Unit(StrEnum):
    GBP = "GBP"  # amounts in pence
    TIME_CREDIT = "TIME_CREDIT"  # amounts in minutes


class EntryKind(StrEnum):
    FEE = "fee"
    EXPENSE = "expense"
    DONATION = "donation"  # a fee paid to a group at the participant's request (memo: not owed to them)
    DECLINED = "declined"  # an offer the participant declined (memo: never owed)
    PAYMENT = "payment"  # money paid to the participant
    ADVANCE = "advance"  # money paid before an event, to be settled with receipts
    ADVANCE_SETTLED = "advance_settled"  # receipts (or money returned) set against an advance
    ADVANCE_KEPT = "advance_kept"  # what was left of an advance, written off: the participant keeps it
    TIME_CREDIT_EARNED = "time_credit_earned"
    TIME_CREDIT_SPENT = "time_credit_spent"
    TIME_CREDIT_GIVEN = "time_credit_given"  # passed to another participant or a group
    TIME_CREDIT_RECEIVED = "time_credit_received"
    REVERSAL = "reversal"  # a correction: the reverse of an earlier entry
    ADJUSTMENT = "adjustment"


MEMO_KINDS = frozenset({EntryKind.DONATION, EntryKind.DECLINED})
TIME_CREDIT_KINDS = frozenset(
    {
        EntryKind.TIME_CREDIT_EARNED,
        EntryKind.TIME_CREDIT_SPENT,
        EntryKind.TIME_CREDIT_GIVEN,
        EntryKind.TIME_CREDIT_RECEIVED,
    }
)
_EITHER_UNIT = frozenset({EntryKind.REVERSAL, EntryKind.ADJUSTMENT})
_MONEY_KINDS = frozenset(EntryKind) - TIME_CREDIT_KINDS


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One entry on a participant's account, with the balance after it."""

    date: dt.date
    kind: EntryKind
    description: str
    amount: int  # signed change to the balance (pence or minutes); 0 for memo kinds
    balance: int  # running balance after this line
    memo_amount: int = 0  # for DONATION and DECLINED: the value given away or declined

    def __post_init__(self) -> None:
        if self.kind in MEMO_KINDS:
            _check(
                self.amount == 0 and self.memo_amount > 0,
                f"a {self.kind} line changes no balance and needs a positive memo_amount",
            )
        else:
            _check(self.memo_amount == 0, "only donations and declined offers carry a memo_amount")


@dataclass(frozen=True, slots=True)
class StatementSection:
    """One account of the participant over the statement's period: opening, entries, closing."""

    unit: Unit
    opening: int
    lines: tuple[StatementLine, ...]
    closing: int

    def __post_init__(self) -> None:
        balance = self.opening
        for number, line in enumerate(self.lines, start=1):
            balance += line.amount
            _check(
                line.balance == balance,
                f"line {number} ({line.date}, {line.description!r}) shows balance {line.balance}, "
                f"but the opening balance and amounts give {balance}",
            )
            allowed = TIME_CREDIT_KINDS if self.unit is Unit.TIME_CREDIT else _MONEY_KINDS
            _check(
                line.kind in allowed or line.kind in _EITHER_UNIT,
                f"a {line.kind} line cannot appear in a {self.unit} section",
            )
        _check(
            self.closing == balance,
            f"closing balance {self.closing} does not follow from the lines ({balance})",
        )

    @property
    def total_in(self) -> int:
        return sum(line.amount for line in self.lines if line.amount > 0)

    @property
    def total_out(self) -> int:
        return -sum(line.amount for line in self.lines if line.amount < 0)


@dataclass(frozen=True, slots=True)
class ParticipantStatement:
    """Everything on a participant's accounts between two dates."""

    organisation: Organisation
    participant: Payee
    period_start: dt.date
    period_end: dt.date
    issued: dt.date
    money: StatementSection  # what the organisation owes them (positive) in pence
    time_credits: StatementSection | None = None  # their time-credit balance in minutes
    advances: StatementSection | None = None  # advances they hold and have still to account for

    def __post_init__(self) -> None:
        _check(self.period_start <= self.period_end, "the period ends before it starts")
        _check(self.money.unit is Unit.GBP, "money must be a GBP section")
        _check(
            self.time_credits is None or self.time_credits.unit is Unit.TIME_CREDIT,
            "time_credits must be a TIME_CREDIT section",
        )
        _check(self.advances is None or self.advances.unit is Unit.GBP, "advances must be GBP")
        for section in (self.money, self.time_credits, self.advances):
            for line in section.lines if section else ():
                _check(
                    self.period_start <= line.date <= self.period_end,
                    f"{line.date} is outside the statement period",
                )

    @property
    def amount_owed(self) -> int:
        """Pence the organisation still owes the participant (negative: they owe it)."""
        return self.money.closing

    @property
    def participant_owes(self) -> bool:
        """The participant owes the organisation money: usually an advance not yet settled with receipts."""
        return self.amount_owed < 0

    @property
    def payments(self) -> tuple[StatementLine, ...]:
        """The payments made to the participant in the period, oldest first."""
        return tuple(line for line in self.money.lines if line.kind is EntryKind.PAYMENT)


# --- annual summary for tax --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnnualSummaryLine:
    """One payment received in the tax year."""

    date_paid: dt.date
    description: str  # "Payment run PR-2025-06" or the activities it covered
    fees: int
    expenses: int  # reimbursed actual costs: not taxable
    taxable_allowances: int = 0  # flat-rate allowances and vouchers: taxable

    def __post_init__(self) -> None:
        _check(
            min(self.fees, self.expenses, self.taxable_allowances) >= 0,
            "annual summary figures cannot be negative",
        )


def tax_year_bounds(start_year: int) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the UK tax year starting in April of ``start_year``."""
    return dt.date(start_year, 4, 6), dt.date(start_year + 1, 4, 5)


@dataclass(frozen=True, slots=True)
class AnnualSummary:
    """What a participant was paid in one tax year, for their Self Assessment."""

    organisation: Organisation
    participant: Payee
    tax_year: int  # the year it starts: 2025 means 6 April 2025 to 5 April 2026
    issued: dt.date
    lines: tuple[AnnualSummaryLine, ...]
    trading_allowance: int  # pence, from the policy data for this tax year (100000)
    trading_allowance_source: str = ""
    redirected: int = 0  # fees paid to a group at their request: not paid to them

    def __post_init__(self) -> None:
        start, end = tax_year_bounds(self.tax_year)
        for line in self.lines:
            _check(start <= line.date_paid <= end, f"{line.date_paid} is outside the tax year")
        _check(self.trading_allowance > 0 and self.redirected >= 0, "bad allowance or redirected")

    @property
    def start(self) -> dt.date:
        return tax_year_bounds(self.tax_year)[0]

    @property
    def end(self) -> dt.date:
        return tax_year_bounds(self.tax_year)[1]

    @property
    def fees(self) -> int:
        return sum(line.fees for line in self.lines)

    @property
    def expenses(self) -> int:
        return sum(line.expenses for line in self.lines)

    @property
    def taxable_allowances(self) -> int:
        return sum(line.taxable_allowances for line in self.lines)

    @property
    def taxable_total(self) -> int:
        return self.fees + self.taxable_allowances


# --- benefits evidence pack --------------------------------------------------------------------------


class EvidenceKind(StrEnum):
    EARNINGS = "earnings"  # fees, flat-rate allowances, vouchers (unless the organisation decides otherwise)
    EXPENSE = "expense"  # reimbursed actual costs: disregarded
    DECLINED = "declined"  # offered and declined (or taken as time credits, or in part): not paid
    REDIRECTED = "redirected"  # paid to a group at their request: not paid to them
    ADVANCE = "advance"  # expenses paid in advance, to be settled with receipts: not earnings
    DUE = "due"  # approved and to be paid on the next payment date: counted by the benefit check when due
    TIME_CREDITS = "time_credits"  # time credits (amount in minutes): not money, never earnings


#: Kinds whose amounts are minutes, not pence.
TIME_EVIDENCE_KINDS = frozenset({EvidenceKind.TIME_CREDITS})


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One payment or offer, placed in the benefit period its rule uses."""

    date_received: dt.date  # for declined or redirected offers: the date it would have been paid
    description: str
    kind: EvidenceKind
    amount: int

    def __post_init__(self) -> None:
        _check(self.amount > 0, "evidence amounts must be positive")


@dataclass(frozen=True, slots=True)
class PeriodCheck:
    """What the benefit check itself counted in one period, against which limit, and what it found."""

    counted: int  # pence of earnings the check counted in the period (received and due)
    limit: int | None  # pence: the limit or disregard it compared them with, from the rules it used
    effect: str  # policies.benefits.Effect: none, reduced, lost, over_limit
    explanation: str  # the check's own words

    @property
    def over(self) -> bool:
        return self.effect in ("lost", "over_limit")


@dataclass(frozen=True, slots=True)
class EvidencePeriod:
    """One benefit period (a week or a UC assessment period) and what fell in it.

    Periods are shown whole even where they run past the letter's dates: every payment in them is listed.
    """

    start: dt.date
    end: dt.date
    items: tuple[EvidenceItem, ...]
    minutes_worked: int | None = None  # for rules with an hours test (ESA permitted work)
    check: PeriodCheck | None = None  # what the benefit check counted in this period

    def __post_init__(self) -> None:
        _check(self.start <= self.end, "a benefit period ends before it starts")

    def _sum(self, kind: EvidenceKind) -> int:
        return sum(item.amount for item in self.items if item.kind is kind)

    @property
    def earnings(self) -> int:
        return self._sum(EvidenceKind.EARNINGS)

    @property
    def disregarded_expenses(self) -> int:
        return self._sum(EvidenceKind.EXPENSE)

    @property
    def declined(self) -> int:
        return self._sum(EvidenceKind.DECLINED)

    @property
    def redirected(self) -> int:
        return self._sum(EvidenceKind.REDIRECTED)

    @property
    def advances(self) -> int:
        return self._sum(EvidenceKind.ADVANCE)

    @property
    def due(self) -> int:
        return self._sum(EvidenceKind.DUE)

    @property
    def time_credit_minutes(self) -> int:
        return self._sum(EvidenceKind.TIME_CREDITS)

    @property
    def has_payments(self) -> bool:
        """Anything paid, due or given in the period (offers not taken are not payments)."""
        return any(item.kind not in (EvidenceKind.DECLINED, EvidenceKind.REDIRECTED) for item in self.items)


@dataclass(frozen=True, slots=True)
class RuleRelied:
    """A rule the figures rest on, with where it comes from."""

    title: str  # "Service users' expenses are not earnings"
    explanation: str
    source: str  # "The Social Security (Miscellaneous Amendments) (No. 5) Regulations 2009, SI 2009/2678"
    confidence: str = "high"  # as in the policy data: high, medium-high, medium, low, unverified


@dataclass(frozen=True, slots=True)
class BenefitEvidence:
    """The evidence for one benefit the participant receives."""

    benefit: str  # "Carer's Allowance"
    period_name: str  # "week" or "assessment period"
    periods: tuple[EvidencePeriod, ...]
    rules: tuple[RuleRelied, ...] = ()


@dataclass(frozen=True, slots=True)
class BenefitsEvidencePack:
    """A letter a participant can hand to the Jobcentre or DWP."""

    organisation: Organisation
    participant: Payee
    issued: dt.date
    period_start: dt.date
    period_end: dt.date
    involvement: tuple[str, ...]  # paragraphs: what the involvement was
    benefits: tuple[BenefitEvidence, ...]
    signatory_name: str
    signatory_role: str
    national_insurance_number: str | None = None
    signed_on: dt.date | None = None  # the date by the signature; the day issued unless given
    # Every payment and offer between the letter's dates, for a letter with no benefit periods to place them in.
    payments: tuple[EvidenceItem, ...] = ()

    def __post_init__(self) -> None:
        _check(self.period_start <= self.period_end, "the period ends before it starts")
        _check(bool(self.signatory_name.strip()) and bool(self.signatory_role.strip()),
               "the letter needs a named officer and their role to sign it")

    @property
    def covered_start(self) -> dt.date:
        """The first day shown: the start of the first benefit period, which may be before the letter's start."""
        return min([self.period_start, *(p.start for b in self.benefits for p in b.periods)])

    @property
    def covered_end(self) -> dt.date:
        """The last day shown: the end of the last benefit period, which may be after the letter's end."""
        return max([self.period_end, *(p.end for b in self.benefits for p in b.periods)])


# --- finance documents -------------------------------------------------------------------------------


class FlagOutcome(StrEnum):
    WARN = "warn"
    BREACH = "breach"


@dataclass(frozen=True, slots=True)
class BenefitFlag:
    """A benefit check that needs finance staff's attention before the run is confirmed."""

    benefit: str
    outcome: FlagOutcome
    message: str  # the policy engine's explanation for staff
    override_reason: str | None = None  # recorded when someone chose to pay anyway


@dataclass(frozen=True, slots=True)
class PaymentRunPayee:
    """One payee's totals in a payment run. Fees include those a participant redirected to a group."""

    payee: Payee
    items: int
    fees: int
    expenses: int
    total: int
    adjustments: int = 0
    account_last_four: str | None = None
    flags: tuple[BenefitFlag, ...] = ()

    def __post_init__(self) -> None:
        _check_last_four(self.account_last_four)
        _check(
            self.total == self.fees + self.expenses + self.adjustments,
            f"{self.payee.reference}: total {self.total} is not fees + expenses + adjustments",
        )
        _check(self.items > 0, f"{self.payee.reference}: a payee in a run has at least one item")


@dataclass(frozen=True, slots=True)
class PaymentRunReport:
    """A payment run for finance staff and auditors: who is paid what, and what to check."""

    organisation: Organisation
    run_reference: str
    payment_date: dt.date
    status: str  # "draft", "confirmed", "cancelled"
    prepared_on: dt.date
    prepared_by: str
    payees: tuple[PaymentRunPayee, ...]
    total: int  # pence, as in the bank file; checked against the payees
    confirmed_by: str | None = None  # who confirmed it (the bank had accepted the run), and when
    confirmed_at: dt.datetime | None = None
    bank_reference: str | None = None
    cancelled_by: str | None = None
    cancelled_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        _check(
            self.total == sum(p.total for p in self.payees),
            f"run total {self.total} does not match the payees' totals",
        )
        references = [p.payee.reference for p in self.payees]
        _check(len(references) == len(set(references)), "a payee appears twice in the run")

    @property
    def fees(self) -> int:
        return sum(p.fees for p in self.payees)

    @property
    def expenses(self) -> int:
        return sum(p.expenses for p in self.payees)

    @property
    def adjustments(self) -> int:
        return sum(p.adjustments for p in self.payees)

    @property
    def item_count(self) -> int:
        return sum(p.items for p in self.payees)

    @property
    def flagged(self) -> tuple[PaymentRunPayee, ...]:
        return tuple(p for p in self.payees if p.flags)


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One cost line of a project budget."""

    name: str  # "Fees", "Travel", "Access: interpreters", "Contingency"
    budget: int
    committed: int  # approved but not yet paid
    spent: int

    @property
    def remaining(self) -> int:
        return self.budget - self.committed - self.spent

    @property
    def over_budget(self) -> bool:
        return self.remaining < 0


@dataclass(frozen=True, slots=True)
class ProjectBudgetReport:
    """A project's co-production budget against what is committed and spent."""

    organisation: Organisation
    project: str
    cost_centre: str
    as_at: dt.date
    lines: tuple[BudgetLine, ...]
    people_involved: int | None = None
    activities_held: int | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def budget(self) -> int:
        return sum(line.budget for line in self.lines)

    @property
    def committed(self) -> int:
        return sum(line.committed for line in self.lines)

    @property
    def spent(self) -> int:
        return sum(line.spent for line in self.lines)

    @property
    def remaining(self) -> int:
        return self.budget - self.committed - self.spent

    @property
    def over_budget(self) -> bool:
        return self.remaining < 0


@dataclass(frozen=True, slots=True)
class PostedLetter:
    """One payee's remittance advice in a print pack, and how it is printed."""

    advice: RemittanceAdvice
    large_print: bool
    format_label: str  # "Post", "Large print", "Easy read", "Post (group)"
    easy_read: bool = False

    @property
    def can_be_posted(self) -> bool:
        return bool(self.advice.payee.address)


@dataclass(frozen=True, slots=True)
class PrintPack:
    """The letters to post for one confirmed payment run (everyone not told by email)."""

    organisation: Organisation
    run_reference: str
    payment_date: dt.date | None
    letters: tuple[PostedLetter, ...]
    emailed: int  # how many payees were emailed instead

    @property
    def to_post(self) -> tuple[PostedLetter, ...]:
        return tuple(letter for letter in self.letters if letter.can_be_posted)

    @property
    def without_address(self) -> tuple[PostedLetter, ...]:
        return tuple(letter for letter in self.letters if not letter.can_be_posted)
