"""What a posting to a person's account is, and which entry kinds and keys belong to the system.

Every posting to an account that holds a participant's money or time, or a group's money
(``owed:participant:<id>``, ``advance:participant:<id>``, ``time:participant:<id>``, ``owed:group:<id>``),
carries a kind saying what it is. The books are then the one record of what each person was owed, paid and
credited, and when: the benefit check, the statement, the annual summary and the evidence pack read it from
here, whoever posted it (a claim, a payment run, the time bank, or finance by hand).

| kind | on | what it is | earnings for benefits? |
|---|---|---|---|
| ``fee`` | owed | a fee for the person's time | yes |
| ``expense`` | owed | a reimbursed actual cost | no |
| ``flat_rate_allowance`` | owed | a flat-rate "expense" above cost | yes |
| ``voucher`` | owed | a voucher given for time | unless the organisation says otherwise |
| ``redirected`` | owed (group) | a fee paid to a user-led group at the participant's request | no |
| ``advance`` | advance | expenses paid before the event | no |
| ``advance_settlement`` | advance | receipts that used the advance | no |
| ``advance_repaid`` | advance, owed | what was left of an advance, paid back or netted off expenses | no |
| ``advance_surplus_kept`` | advance | what was left of an advance, written off: the person keeps it | yes |
| ``time_credits`` | time | time credits (a second unit, never pounds) | no |
| ``mixed`` | owed | a payment posted before kinds were recorded, fees and expenses together | see its claims |

Money reaches a person when an entry debits what they are owed (or their advance) and credits the bank.

System entry kinds and idempotency namespaces (the claims, payment runs and time bank use them) are
reserved: a manual journal entry may not use them (``ledger/books/manual.py`` refuses them), so it can never pass
for a claim, a run or a transfer.
"""

from __future__ import annotations

from enum import StrEnum


class PostingKind(StrEnum):
    FEE = "fee"
    EXPENSE = "expense"
    FLAT_RATE_ALLOWANCE = "flat_rate_allowance"
    VOUCHER = "voucher"
    REDIRECTED = "redirected"
    ADVANCE = "advance"
    ADVANCE_SETTLEMENT = "advance_settlement"
    ADVANCE_REPAID = "advance_repaid"
    ADVANCE_SURPLUS_KEPT = "advance_surplus_kept"
    TIME_CREDITS = "time_credits"
    MIXED = "mixed"  # only on payments posted before 0007; never posted now


POSTING_KINDS: tuple[str, ...] = tuple(k.value for k in PostingKind)
#: Kinds a posting may carry now (``mixed`` only describes what was posted before kinds were recorded).
POSTABLE_KINDS: frozenset[str] = frozenset(POSTING_KINDS) - {PostingKind.MIXED}

#: Accounts whose postings must say what they are, by code prefix, and the kinds each may carry.
PERSON_ACCOUNTS: dict[str, frozenset[str]] = {
    "owed:participant:": frozenset({PostingKind.FEE, PostingKind.EXPENSE, PostingKind.FLAT_RATE_ALLOWANCE,
                                    PostingKind.VOUCHER, PostingKind.ADVANCE_REPAID}),
    "owed:group:": frozenset({PostingKind.REDIRECTED}),
    "advance:participant:": frozenset({PostingKind.ADVANCE, PostingKind.ADVANCE_SETTLEMENT,
                                       PostingKind.ADVANCE_REPAID, PostingKind.ADVANCE_SURPLUS_KEPT}),
    "time:participant:": frozenset({PostingKind.TIME_CREDITS}),
}
OWED_PARTICIPANT = "owed:participant:"
ADVANCE_PARTICIPANT = "advance:participant:"
TIME_PARTICIPANT = "time:participant:"
BANK_ACCOUNTS = "bank:"


def person_account_prefix(code: str) -> str | None:
    """The person-account prefix of ``code`` (``owed:participant:``...), or None for the organisation's own."""
    return next((prefix for prefix in PERSON_ACCOUNTS if code.startswith(prefix)), None)


#: Entry kinds the system posts. A manual entry may use none of them.
SYSTEM_ENTRY_KINDS: frozenset[str] = frozenset({
    "fee_approved", "fee_redirected", "expense_approved", "time_credits_awarded", "advance_paid",
    "advance_surplus_returned", "advance_surplus_netted", "advance_surplus_kept", "payment",
    "payment_returned", "time_credits_spent", "time_credits_given", "claim_repaid", "claim_written_off",
    "claim_reversed",
})
#: Idempotency-key namespaces the system uses (claims, runs, advances, the time bank, reversals).
SYSTEM_KEY_PREFIXES: tuple[str, ...] = ("claim:", "payment-run:", "advance:", "time-credits:", "reversal-of:", "demo:")


def is_reserved_kind(kind: str) -> bool:
    return kind in SYSTEM_ENTRY_KINDS or kind.startswith("reversal:")


def is_reserved_key(key: str) -> bool:
    return key.startswith(SYSTEM_KEY_PREFIXES)
