"""Easy-read words: one place for what a person who finds reading hard is told, idea by idea.

Following the UK easy-read guidance (Mencap's "Am I making myself clear?", the Department of Health's "Making
written information easier to understand"): one idea per line, short sentences, everyday words, the key words
in bold (never capitals), the money shown large, and a picture to the left of each idea. The picture is
decorative: the words beside it say everything.

An ``Idea`` is plain data: the pages (``templates/easy_read/``) and the easy-read PDFs
(``ledger.documents.easy_read``) draw the same ideas, so a statement says the same on the page and on paper.
The pictures are Lucide icons (``lucide-static`` from the npm registry, ISC licence) named in
``easy_read_icons.json``; the front-end build copies them into ``web/frontend/build/icons/``.

Plain data only: no Flask, no database.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ledger.formatting import duration, long_date, money, money_prose
from ledger.reports.benefit_effect_records import BenefitEffectNotice
from ledger.reports.records import AnnualSummary, ParticipantStatement, RemittanceAdvice

__all__ = [
    "ICON_FOLDER",
    "Idea",
    "annual_summary_ideas",
    "benefit_ideas",
    "benefit_notice_ideas",
    "check_ideas",
    "icon_file",
    "remittance_ideas",
    "statement_ideas",
]

#: Where the front-end build puts the pictures (``make assets``); Flask serves it at /assets/icons/.
ICON_FOLDER = Path(__file__).parent / "web" / "frontend" / "build" / "icons"
_ICON_NAMES = Path(__file__).parent / "easy_read_icons.json"


@functools.cache
def _icons() -> dict[str, str]:
    named = json.loads(_ICON_NAMES.read_text(encoding="utf-8"))
    return {idea: file for idea, file in named.items() if not idea.startswith("_")}


def icon_file(picture: str) -> str:
    """The file name of the picture for an idea ("money" gives "banknote.svg"); KeyError for an unknown idea."""
    return f"{_icons()[picture]}.svg"


@dataclass(frozen=True, slots=True)
class Idea:
    """One idea on one line: its picture, its words with the key words in bold, and any money shown large."""

    picture: str  # a key of easy_read_icons.json
    before: str  # words before the key words
    key: str = ""  # the key words, in bold
    after: str = ""  # words after them
    figure: str = ""  # the money (or hours), shown large under the words

    @property
    def words(self) -> str:
        """The idea as one plain sentence (for tests and for readers that drop bold)."""
        return " ".join(part for part in (self.before, self.key, self.after) if part).replace(" .", ".")


# --- benefits ----------------------------------------------------------------------------------------

#: Benefit names short enough for easy read.
BENEFIT_SHORT_NAMES = {
    "carers_allowance": "Carer's Allowance",
    "esa": "ESA",
    "income_related_esa": "ESA",
    "universal_credit": "Universal Credit",
    "housing_benefit": "Housing Benefit",
    "pension_credit": "Pension Credit",
    "pip": "PIP",
    "dla": "DLA",
    "attendance_allowance": "Attendance Allowance",
    "state_pension": "State Pension",
}


class BenefitEffectLike(Protocol):
    """What the benefit check says about one benefit (``ledger.benefit_checks.BenefitEffect``; read only, as
    that record is frozen)."""

    @property
    def benefit(self) -> str: ...
    @property
    def effect(self) -> str: ...
    @property
    def reduction_pence(self) -> int | None: ...
    @property
    def safe_amount_pence(self) -> int | None: ...
    @property
    def caution(self) -> bool: ...


class BenefitCheckLike(Protocol):
    @property
    def effects(self) -> Sequence[BenefitEffectLike]: ...


def benefit_ideas(result: BenefitEffectLike) -> tuple[Idea, ...]:
    """What this money does to one benefit, in easy-read words."""
    name = BENEFIT_SHORT_NAMES.get(result.benefit, result.benefit.replace("_", " "))
    ideas: list[Idea]
    if result.effect == "reduced":
        ideas = [Idea("goes_down", "Your", name, "may go down.")]
        if result.reduction_pence:
            ideas.append(Idea("money", "It may go down by about:", figure=money(result.reduction_pence)))
    elif result.effect == "lost":
        ideas = [Idea("warning", "You could", f"lose your {name}", "for that week.")]
    elif result.effect == "over_limit":
        ideas = [Idea("warning", "This is", "more than you can earn", f"and keep your {name}.")]
    else:
        ideas = [Idea("ok", "This money is", "OK", f"for your {name}.")]
    if result.effect != "none" and result.safe_amount_pence:
        ideas.append(Idea("money", "To be safe, take this much or less:", figure=money(result.safe_amount_pence)))
    if result.caution:
        ideas.append(Idea("question", "We are", "not sure", "about some of your figures."))
    return tuple(ideas)


def check_ideas(check: BenefitCheckLike | None) -> tuple[Idea, ...]:
    """The whole benefit check of one payment in easy-read words; nothing when no check was made."""
    if check is None:
        return ()
    if not check.effects:
        return (Idea("ok", "You told us you get", "no benefits", "that this money could change."),)
    ideas = [idea for result in check.effects for idea in benefit_ideas(result)]
    if any(result.effect != "none" for result in check.effects):
        ideas.append(Idea("phone", "Please", "talk to someone", "before you choose."))
    return tuple(ideas)


# --- statement and remittance ------------------------------------------------------------------------


def statement_ideas(doc: ParticipantStatement, *, recent: int = 5) -> tuple[Idea, ...]:
    """A participant's statement in easy-read words: what we owe, what we paid, their time credits."""
    ideas = [Idea("statement", "This is your", "statement", f"from {long_date(doc.period_start)} "
                  f"to {long_date(doc.period_end)}.")]
    owed = doc.amount_owed
    if owed > 0:
        ideas.append(Idea("owed", "We", "still owe you", "this money:", figure=money(owed)))
    elif owed == 0:
        ideas.append(Idea("ok", "We owe you", "nothing", "now. We have paid you everything."))
    else:
        ideas += [Idea("owed", "You", "owe us", "this money:", figure=money(-owed)),
                  Idea("phone", "Please", "talk to us", "about it.")]
    payments = doc.payments
    if payments:
        ideas.append(Idea("paid", "We", "paid you", f"{_times(len(payments))}. In all:",
                          figure=money(-sum(line.amount for line in payments))))
        ideas += [Idea("date", f"On {long_date(line.date)} we paid you:", figure=money(-line.amount))
                  for line in payments[-recent:]]
    else:
        ideas.append(Idea("no", "We", "did not pay you", "in this time."))
    if doc.time_credits is not None:
        ideas.append(Idea("time", "Your", "time credits", ":", figure=duration(doc.time_credits.closing)))
    return tuple(ideas)


def _times(number: int) -> str:
    return {1: "once", 2: "twice"}.get(number, f"{number} times")


def remittance_ideas(doc: RemittanceAdvice) -> tuple[Idea, ...]:
    """A remittance advice in easy-read words: how much, when, into which account, and what for."""
    you = "your group" if doc.payee.is_group else "you"
    account = f"the account ending {doc.account_last_four}" if doc.account_last_four else "your account"
    ideas = [
        Idea("paid", "We", f"paid {you}", "this money:", figure=money(doc.total_paid)),
        Idea("date", "We paid it on", long_date(doc.payment_date), "."),
        Idea("bank", "It went into", account, "."),
    ]
    ideas += _paid_for(doc.fees, "fees", "for your time")
    ideas += _paid_for(doc.expenses, "expenses", "to pay you back")
    ideas += _paid_for(doc.donations_received, "gifts", "from people who gave their fee to your group")
    if doc.redirected:
        ideas.append(Idea("give", "You gave", money(doc.redirected), "of your fees to a group."))
    return tuple(ideas)


def _paid_for(amount: int, key: str, why: str) -> Iterable[Idea]:
    if amount:
        yield Idea("money", f"{money(amount)} of it is", key, f"{why}.")


# --- annual summary ----------------------------------------------------------------------------------


def annual_summary_ideas(doc: AnnualSummary) -> tuple[Idea, ...]:
    """A tax-year summary in easy-read words: fees, expenses, the trading allowance and whether to tell HMRC."""
    allowance = money_prose(doc.trading_allowance)
    ideas = [Idea("statement", "This is the money we paid you in the", "tax year",
                  f"from {long_date(doc.start)} to {long_date(doc.end)}.")]
    if not doc.lines:
        ideas.append(Idea("no", "We", "did not pay you", "in this tax year."))
    else:
        ideas.append(Idea("paid", "We paid you", "fees", "for your time:", figure=money(doc.fees)))
        if doc.taxable_allowances:
            ideas.append(Idea("money", "We paid you", "allowances", "too. Tax counts them:",
                              figure=money(doc.taxable_allowances)))
        if doc.expenses:
            ideas.append(Idea("money", "We paid back your", "expenses", ". Tax does not count them:",
                              figure=money(doc.expenses)))
    if doc.redirected:
        ideas.append(Idea("give", "You", "gave fees to a group", ". We did not pay this to you:",
                          figure=money(doc.redirected)))
    if doc.taxable_total <= doc.trading_allowance:
        ideas += [Idea("ok", "Tax counts", money(doc.taxable_total), f". This is not more than {allowance}."),
                  Idea("information", "Money from", "other people who pay you", f"counts towards the {allowance} too."),
                  Idea("ok", f"If it is all {allowance} or less, you", "usually do not need to tell HMRC", ".")]
    else:
        ideas += [Idea("warning", "Tax counts", money(doc.taxable_total), f". This is more than {allowance}."),
                  Idea("letter", "You may need to", "tell HMRC", "about this money."),
                  Idea("date", "If you do not fill in a tax return, tell HMRC by", f"5 October {doc.tax_year + 1}",
                       ".")]
    ideas.append(Idea("question", "This is", "not tax advice", ". HMRC can tell you what to do."))
    return tuple(ideas)


# --- the benefit effect of one payment ---------------------------------------------------------------


def benefit_notice_ideas(doc: BenefitEffectNotice) -> tuple[Idea, ...]:
    """The benefit effect of one payment in easy-read words: the money, the day, then each benefit."""
    ideas = [Idea("task", "This is about:", doc.description),
             Idea("paid", "We", "pay you", "this money:", figure=money(doc.amount_pence))]
    if doc.payment_date is not None:
        ideas.append(Idea("date", "We pay it on", long_date(doc.payment_date), "."))
    if doc.status == "no_benefits":
        return (*ideas, Idea("ok", "You told us you get", "no benefits", "that this money could change."))
    if doc.status != "checked" or doc.check is None:
        return (*ideas, Idea("information", "We have", "not checked", "your benefits for this yet."))
    return (*ideas, *check_ideas(doc.check))
