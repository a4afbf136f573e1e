"""What each email says: plain data in, a subject and a plain-text and an HTML body out.

Short and in plain English, one idea per line, with the organisation's name and how to reach a person.
Pure: no database, no Flask, no SMTP. The facts come from the outbox row (as they were when the change
happened), so a message sent again after a crash says exactly what the first attempt said.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from ledger.formatting import long_date, money
from ledger.reports.organisation import Organisation

__all__ = ["Letter", "letter_for"]

_CHOICES = {
    "take": "take the fee",
    "take_less": "take less than the fee",
    "decline": "say no to the fee",
    "redirect": "give it to a group",
    "time_credits": "take time credits instead",
}


@dataclass(frozen=True, slots=True)
class Letter:
    """One email's words: the subject, then paragraphs, each shown as a paragraph in HTML."""

    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    organisation: Organisation

    def _signature(self) -> list[str]:
        contact = list(self.organisation.contact)
        return [self.organisation.name, *contact]

    @property
    def text(self) -> str:
        return "\n\n".join([self.greeting, *self.paragraphs, "\n".join(self._signature())]) + "\n"

    @property
    def html(self) -> str:
        body = "".join(f"<p>{escape(p)}</p>" for p in (self.greeting, *self.paragraphs))
        signature = "<br>".join(escape(line) for line in self._signature())
        return ('<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
                f"<title>{escape(self.subject)}</title></head>"
                '<body style="font-family: Arial, sans-serif; font-size: 19px; line-height: 1.5; max-width: 40em">'
                f"{body}<p>{signature}</p></body></html>")


def _contact_line(organisation: Organisation) -> str:
    how = ", ".join(organisation.contact[1:]) if len(organisation.contact) > 1 else organisation.name
    return f"Questions? Contact us: {how}."


def _remittance(facts: Mapping[str, Any], organisation: Organisation) -> tuple[str, Sequence[str]]:
    paid_on = long_date(dt.date.fromisoformat(facts["payment_date"]))
    return (f"We have paid you {money(facts['paid_pence'])}", (
        f"We have paid you {money(facts['paid_pence'])}.",
        f"It reaches your bank account on {paid_on}.",
        "The remittance advice attached says what the payment is for.",
        f"Our reference for this payment is {facts['run_reference']}.",
        _contact_line(organisation),
    ))


def _fee_decision(facts: Mapping[str, Any], organisation: Organisation) -> tuple[str, Sequence[str]]:
    standing = _CHOICES.get(facts.get("choice") or "take", "take the fee")
    return ("A fee needs your decision", (
        f"We have a fee for you: {facts['description']}.",
        f"The fee is {money(facts['offered_pence'])}.",
        "You can take it, take less, say no, give it to a group, or take time credits instead.",
        f"For now it is set to: {standing}. That is the choice you asked us to use.",
        "Sign in to the payments website to look at it and choose. We show you how a payment could affect "
        "your benefits before you decide.",
        _contact_line(organisation),
    ))


def _claim_returned(facts: Mapping[str, Any], organisation: Organisation) -> tuple[str, Sequence[str]]:
    return ("Your claim has come back to you", (
        f"We have sent your claim back to you: {facts['description']}.",
        f"This is why: {facts['reason']}",
        "Please sign in to the payments website, change the claim and send it again.",
        "If you need help with this, ask us. We are happy to help.",
        _contact_line(organisation),
    ))


_LETTERS = {"remittance": _remittance, "fee_decision": _fee_decision, "claim_returned": _claim_returned}


def letter_for(kind: str, facts: Mapping[str, Any], *, name: str, organisation: Organisation) -> Letter:
    """The words of one message of this kind to a person called ``name``."""
    subject, paragraphs = _LETTERS[kind](facts, organisation)
    return Letter(subject=f"{subject} – {organisation.name}", greeting=f"Dear {name},",
                  paragraphs=tuple(paragraphs), organisation=organisation)
