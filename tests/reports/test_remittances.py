"""Remittance advice is the payment the bank made, claim by claim, with fees given to a group apart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.books import queries
from ledger.claims.models import Claim
from ledger.documents import render
from ledger.errors import Conflict, NotFound
from ledger.formatting import long_date, money
from ledger.payments import runs
from ledger.payments.models import Payment
from ledger.reports.claim_facts import ClaimFacts
from ledger.reports.payees import group_reference, participant_reference
from ledger.reports.records import RemittanceLineKind
from ledger.reports.remittances import remittance_advice, remittances_for_run
from tests.documents.pdf import assert_in_order, text
from tests.factories import JUNE_PAY_DAY, ORGANISATION, month_of_books


def test_each_remittance_total_is_the_payment_entry(session, books):
    advices = remittances_for_run(session, books.run_id, organisation=ORGANISATION)
    payments = session.execute(select(Payment).where(Payment.run_id == books.run_id)).scalars().all()
    assert len(advices) == len(payments) == 3  # Siân, Bea, Voices Together; Cai has no bank details
    by_reference = {a.payee.reference: a for a in advices}
    for payment in payments:
        reference = (participant_reference if payment.payee_kind == "participant"
                     else group_reference)(payment.payee_id)
        advice = by_reference[reference]
        owed = f"owed:{payment.payee_kind}:{payment.payee_id}"
        entry = [line for line in queries.statement(session, owed, JUNE_PAY_DAY, JUNE_PAY_DAY).lines
                 if line.entry_id == payment.entry_id]
        assert advice.total_paid == payment.amount_pence == sum(line.amount for line in entry)  # fees, expenses
        assert advice.account_last_four == payment.account_last4
        words = text(render.render_remittance(advice))
        assert f"{money(advice.total_paid)} on {long_date(JUNE_PAY_DAY)}" in words


def test_remittance_lines_show_fees_expenses_and_redirected_fees_apart(session, books):
    ann = remittance_advice(session, books.run_id, "participant", books.ann, organisation=ORGANISATION)
    assert [(line.kind, line.amount) for line in ann.lines] == [
        (RemittanceLineKind.FEE, 5040), (RemittanceLineKind.EXPENSE, 840), (RemittanceLineKind.FEE, 2000)]
    assert ann.lines[0].detail == "4 hours at £12.60 an hour" and ann.lines[0].activity == "Advisory group 1"
    assert ann.lines[1].detail == "Return bus fare"
    assert ann.account_last_four == "2222" and ann.payment_date == JUNE_PAY_DAY
    bea = remittance_advice(session, books.run_id, "participant", books.bea, organisation=ORGANISATION)
    assert {(line.kind, line.amount, line.redirected_to) for line in bea.lines} == {
        (RemittanceLineKind.EXPENSE, 420, ""), (RemittanceLineKind.FEE, 5040, ""),
        (RemittanceLineKind.REDIRECTED, 5040, "Voices Together")}
    assert bea.total_paid == 420 + 5040 and bea.redirected == 5040
    group = remittance_advice(session, books.run_id, "group", books.group, organisation=ORGANISATION)
    assert [(line.kind, line.amount) for line in group.lines] == [(RemittanceLineKind.DONATION_RECEIVED, 5040)]
    assert group.payee.is_group and "Bea" not in group.lines[0].detail  # the group is not told who gave
    words = text(render.render_remittance(bea, large_print=True))
    assert_in_order(words, ["Paid to a group at your request", "Voices Together", "£50.40"])


def test_remittance_is_refused_for_a_draft_run_and_for_someone_not_paid(session):
    built = month_of_books(session, confirm=False)
    with pytest.raises(Conflict):
        remittance_advice(session, built.run_id, "participant", built.ann, organisation=ORGANISATION)
    runs.confirm_payment_run(session, built.run_id, actor_user_id=built.finance, bank_reference="B-2",
                             override_reason="Each payee has been told and agrees.")
    with pytest.raises(NotFound):
        remittance_advice(session, built.run_id, "participant", built.cai, organisation=ORGANISATION)
    with pytest.raises(NotFound):
        remittance_advice(session, built.run_id, "nobody", built.ann, organisation=ORGANISATION)


def test_a_fee_taken_in_part_shows_the_time_credits_the_rest_earned():
    """Time credits are shown wherever the money for the same work is: a fee taken in part, with the rest as
    time credits, says both on the remittance advice (and everything else that describes the fee)."""
    claim = Claim(kind="fee", rate_pence=1260, worked_minutes=240, choice="take_less", amount_pence=2520,
                  offered_pence=5040, rest="time_credits", time_minutes=120)
    detail = ClaimFacts(claim=claim, activity=None, expense_lines=(), group_name=None).fee_detail()
    assert detail == ("4 hours at £12.60 an hour. You chose to take £25.20 of the £50.40 offered, "
                      "and the rest as 2 hours of time credits")
