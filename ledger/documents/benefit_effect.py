"""The benefit effect of one payment as a PDF: what a claim's payment does to each benefit the participant declared.

The words are the participant's (each effect's ``explanation``), never the staff version; the figures beside
them are the check's own (the period, what it counts, the limit, the room left, any reduction). Standard and
large print here; easy read in ``ledger.documents.easy_read``. Pure: data in, PDF bytes out.
"""

from __future__ import annotations

from ledger.benefit_checks import BenefitEffect
from ledger.documents.alternative import web_version
from ledger.documents.easy_read import render_benefit_effect_easy_read
from ledger.documents.layout import Meta, Writer, build_pdf, frame_width, look
from ledger.formatting import date_range, long_date, money
from ledger.reports.benefit_effect_records import BenefitEffectNotice

__all__ = ["benefit_effect_meta", "render_benefit_effect"]


def benefit_effect_meta(doc: BenefitEffectNotice, *, easy_read: bool = False) -> Meta:
    suffix = " (easy read)" if easy_read else ""
    return Meta(title=f"What this payment means for your benefits: {doc.description}{suffix}",
                author=doc.organisation.name,
                subject=f"The benefit check of a payment of {money(doc.amount_pence)} from {doc.organisation.name}",
                header=doc.organisation.name, footer="What this payment means for your benefits")


def _figures(effect: BenefitEffect) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []
    if effect.period_start and effect.period_end:
        facts.append(("Benefit period", date_range(effect.period_start, effect.period_end)))
    for label, pence in (("Earnings counted", effect.counted_pence), ("Limit", effect.limit_pence),
                         ("Room left under the limit", effect.headroom_pence),
                         ("Your benefit may go down by", effect.reduction_pence),
                         ("Safe amount to take", effect.safe_amount_pence)):
        if pence is not None:
            facts.append((label, money(pence)))
    return facts


def render_benefit_effect(doc: BenefitEffectNotice, *, large_print: bool = False, easy_read: bool = False,
                          web_address: str = "") -> bytes:
    """Render the benefit effect of one payment; ``easy_read``: the easy-read version, whatever ``large_print``."""
    if easy_read:
        return render_benefit_effect_easy_read(doc, web_address=web_address)
    the_look = look(large_print)
    w = Writer(the_look, frame_width(the_look))
    w.lines((doc.participant.name, *doc.participant.address))
    w.space(0.5)
    w.title("What this payment means for your benefits")
    facts = [("For", doc.description), ("Amount", money(doc.amount_pence))]
    if doc.payment_date:
        facts.append(("Paid on" if doc.checked_at_approval else "If paid on", long_date(doc.payment_date)))
    facts.append(("Date of this letter", long_date(doc.issued)))
    w.facts(facts)
    web_version(w, web_address)
    check = doc.check
    if doc.status == "no_benefits" or (check is not None and not check.effects):
        w.para("You have told us you get no benefits that this payment could affect.")
    elif check is None:
        w.para("No benefit check is recorded for this payment yet. We check it before it is approved.")
    else:
        w.para("We checked this when it was approved." if doc.checked_at_approval else
               "This is what the check finds if the payment is made on the day above.")
        for effect in check.effects:
            w.heading(effect.name)
            w.para(effect.explanation, bold=effect.effect != "none")
            w.facts(_figures(effect), label_share=0.55)
        if check.alternatives:
            w.heading("Other ways you could be paid for this")
            for alternative in check.alternatives:
                w.para(alternative.explanation)
        if any(effect.effect != "none" for effect in check.effects):
            w.para("Please talk to someone before you choose: us, or a free benefits adviser such as Citizens "
                   "Advice.", bold=True)
    w.heading("Questions")
    how = ", ".join(doc.organisation.contact) if doc.organisation.contact else doc.organisation.name
    w.para(f"If anything here looks wrong, contact us: {how}.")
    return build_pdf(w.story, the_look, benefit_effect_meta(doc))
