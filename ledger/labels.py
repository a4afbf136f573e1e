"""The words people read for the ledger's codes: one table per kind of code, for the pages and the documents alike.

A claim's status, a fee choice, an activity's kind or a statement entry's kind is stored as a code
(``"returned"``, ``"take_less"``, ``"advisory_meeting"``, ``EntryKind.DECLINED``); this module is the one place
that says how each reads. The web pages reach these tables as Jinja globals (``ledger.web.setup``), the PDF
renderer and the read models import them. Keys are the stored codes; a ``StrEnum`` member looks up the same
as its value. Plain data only: no Flask, no database, so anything may import it.

Wording for participants is in the second person and avoids finance words ("Sent back for more information",
not "Returned"). Benefit names are the policy engine's own (``policies.benefits.DISPLAY_NAMES``), not a copy.
Refusals written by the workflow itself (``ledger.claims.workflow``) stay with it, beside its table.
"""

from __future__ import annotations

from policies.benefits import DISPLAY_NAMES

__all__ = [
    "ACTION_LABELS",
    "ACTIVITY_KIND_LABELS",
    "AFTER_APPROVAL",
    "BENEFIT_EFFECT_LABELS",
    "BENEFIT_NAMES",
    "CHOICE_FOR_YOU",
    "CLAIM_KIND_FOR_YOU",
    "CLAIM_STATUS_FOR_YOU",
    "ENTRY_LABELS",
    "ENTRY_MEANINGS",
    "EVIDENCE_KIND_LABELS",
    "EXPENSE_CATEGORY_LABELS",
    "FLAG_OUTCOME_LABELS",
    "PART_FOR_YOU",
    "PART_LABELS",
    "PAY_BASIS_LABELS",
    "POSTING_KIND_LABELS",
    "REGION_LABELS",
    "REST_FOR_YOU",
]

# Benefits, by the names DWP and participants use ("Carer's Allowance").
BENEFIT_NAMES = DISPLAY_NAMES


# --- claims, in the participant's words ------------------------------------------------------------------

CLAIM_STATUS_FOR_YOU = {
    "draft": "Being prepared",
    "submitted": "Waiting for approval",
    "returned": "Sent back for more information",
    "approved": "Approved: waiting to be paid",
    "paid": "Paid",
    "rejected": "Not approved",
    "cancelled": "Cancelled",
}
CLAIM_KIND_FOR_YOU = {"fee": "Fee", "expense": "Expenses", "time_credit": "Time credits"}
# Also the order the choices are offered in.
CHOICE_FOR_YOU = {
    "take": "Take the fee",
    "take_less": "Take less",
    "decline": "Decline the fee",
    "redirect": "Give it to a user-led group",
    "time_credits": "Time credits instead",
}

#: Taking less than a fee: what happens to the rest, in the participant's words.
REST_FOR_YOU = {
    "decline": "Decline the rest: nobody is paid it",
    "time_credits": "Time credits for the rest",
    "redirect": "Give the rest to a user-led group",
    "later": "Pay me the rest later, on a day I choose",
}

#: One part of a fee, as finance's pages list it.
PART_LABELS = {
    "take": "Paid to the participant",
    "time_credits": "As time credits",
    "redirect": "Given to a group",
    "later": "Paid to the participant later",
    "decline": "Declined",
}

#: One part of a fee, as the participant's pages list it.
PART_FOR_YOU = {
    "take": "Paid to you",
    "time_credits": "As time credits",
    "redirect": "Given to a group",
    "later": "Paid to you later",
    "decline": "Declined",
}


# --- claims and payment runs, for finance staff ----------------------------------------------------------

EXPENSE_CATEGORY_LABELS = {
    "public_transport": "Public transport",
    "taxi": "Taxi",
    "mileage": "Mileage",
    "accommodation": "Accommodation",
    "meals": "Meals",
    "replacement_care": "Replacement care",
    "support_worker": "Support worker",
    "personal_assistant": "Personal assistant",
    "childcare": "Childcare",
    "other": "Other",
}
# What the organisation's policy requires before a payment that affects someone's benefits.
ACTION_LABELS = {
    "none": "Nothing needed",
    "warn": "Warning: tell the participant before paying",
    "override": "Override needed: a reason must be given to pay this",
    "block": "Blocked: the organisation does not pay this; offer the alternatives",
}
# What finance read after acting on a claim, by the claim's status afterwards ("Claim 12 is approved: ...").
AFTER_APPROVAL = {
    "approved": "is approved: what is owed is now in the books, waiting for the next payment run",
    "submitted": "has its first approval: claims of this size need a second finance officer to approve",
}
# A benefit check's effect on one benefit, in a payment run's report.
BENEFIT_EFFECT_LABELS = {
    "lost": "would be lost for the period",
    "over_limit": "over the permitted work limit",
    "reduced": "would be reduced",
    "none": "figures need care",
}
FLAG_OUTCOME_LABELS = {"warn": "Warning", "breach": "Over a limit"}


# --- projects --------------------------------------------------------------------------------------------

# Also the first words of an activity's title when none is given ("Advisory meeting, 2025-06-04").
ACTIVITY_KIND_LABELS = {
    "advisory_meeting": "Advisory meeting",
    "interview_panel": "Interview panel",
    "training_delivery": "Training delivery",
    "writing": "Writing",
    "review": "Review",
    "event": "Event",
    "other": "Activity",
}
# Where an hourly fee's living wage comes from; also the order they are offered in.
REGION_LABELS = {"uk": "Outside London (UK living wage)", "london": "London (London living wage)"}
# The pay basis a fee by the hour was priced on (``policies.pay.BASES``), as the first word of ``rate_basis``.
PAY_BASIS_LABELS = {"real_living_wage": "the Real Living Wage", "national_living_wage": "the National Living Wage",
                    "organisation": "the organisation's own rate"}


# --- documents -------------------------------------------------------------------------------------------

# Statement entries (``ledger.reports.records.EntryKind``), and what each means, in the order a statement's
# "What the words mean" lists them.
ENTRY_LABELS = {
    "fee": "Fee",
    "expense": "Expenses",
    "donation": "Given to a group at your request",
    "declined": "Offer declined",
    "payment": "Paid to you",
    "advance": "Advance paid to you",
    "advance_settled": "Advance settled",
    "advance_kept": "Advance kept by you",
    "time_credit_earned": "Time credits earned",
    "time_credit_spent": "Time credits spent",
    "time_credit_given": "Time credits given",
    "time_credit_received": "Time credits received",
    "reversal": "Correction",
    "adjustment": "Adjustment",
}
ENTRY_MEANINGS = {
    "fee": "money for your time.",
    "expense": "money back for what you spent, such as travel or care.",
    "donation": "a fee you asked us to pay to a group instead of you. It is not paid to you, so "
    "it does not change what we owe you.",
    "declined": "a fee we offered and you chose not to take. It does not change what we owe you.",
    "payment": "money we sent to you.",
    "advance": "money we paid you before an event, for costs you would have.",
    "advance_settled": "receipts or money you gave back for an advance.",
    "advance_kept": "what was left of an advance that we let you keep. It counts as earnings for benefits, "
    "and as taxable income, on the day we wrote it off.",
    "reversal": "we put right a mistake by cancelling an earlier entry.",
    "adjustment": "a change we made, with the reason shown.",
    "time_credit_earned": "one time credit for each hour you gave.",
    "time_credit_spent": "credits you used at a partner organisation.",
    "time_credit_given": "credits you passed to someone else.",
    "time_credit_received": "credits someone passed to you.",
}
# Payments and offers in a benefits evidence pack (``ledger.reports.records.EvidenceKind``).
EVIDENCE_KIND_LABELS = {
    "earnings": "Earnings",
    "expense": "Expenses paid back",
    "declined": "Declined",
    "redirected": "Paid to a group",
    "advance": "Expenses paid in advance",
    "due": "Approved, to be paid",
    "time_credits": "Time credits",
}
# What each posting to a person's account is (``ledger.books.kinds.PostingKind``), as finance and auditors read it.
POSTING_KIND_LABELS = {
    "fee": "Fee",
    "expense": "Expenses paid back",
    "flat_rate_allowance": "Flat-rate allowance",
    "voucher": "Voucher",
    "redirected": "Fee paid to a group at the participant's request",
    "advance": "Expenses paid in advance",
    "advance_settlement": "Receipts set against an advance",
    "advance_repaid": "Unused advance paid back or netted off",
    "advance_surplus_kept": "Unused advance kept by the participant (written off)",
    "time_credits": "Time credits",
    "mixed": "Payment of fees and expenses together (before kinds were recorded)",
}
