"""The "My money" page's own read says what the participant's statement says for the same dates (issue 12)."""

from __future__ import annotations

import datetime as dt

from ledger.reports.my_money import my_money
from ledger.reports.records import EntryKind
from ledger.reports.statements import participant_statement
from tests.factories import ORGANISATION, PAY_ON, TODAY, PaymentsWorld


def test_what_is_owed_and_the_last_payments_match_the_statement(session):
    world = PaymentsWorld(session)
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    world.claim(ann, 1250, kind="expense")  # paid with the fee: one payment, two postings
    world.claim(bob, 999)
    world.confirm(world.draft().id)
    world.claim(ann, 700)
    later = PAY_ON + dt.timedelta(days=7)
    world.confirm(world.draft(cutoff=PAY_ON, pay_on=later, today=PAY_ON).id)
    world.claim(ann, 333)  # approved, not yet paid: still owed
    session.commit()
    start, end = TODAY - dt.timedelta(days=365), later + dt.timedelta(days=30)

    read = my_money(session, ann, start, end, recent=10)
    statement = participant_statement(session, ann, start, end, organisation=ORGANISATION, issued=TODAY)

    assert read.amount_owed == statement.amount_owed == 333 and not read.participant_owes
    assert [(p.date, p.description, p.amount) for p in read.payments] == [
        (line.date, line.description, line.amount) for line in statement.payments]
    assert [p.amount for p in read.payments] == [-5250, -700] and "payment run" in read.payments[0].description
    assert [p.date for p in my_money(session, ann, start, end, recent=1).payments] == [later]
    assert my_money(session, ann, later + dt.timedelta(days=1), end, recent=10).payments == ()
    assert all(line.kind is EntryKind.PAYMENT for line in statement.payments)


def test_what_is_owed_is_read_with_no_payments_to_show(session):
    """The figure and the payments are one statement: with no payment in the dates (or none asked for), or
    nothing at all in the books, the figure is still there."""
    world = PaymentsWorld(session)
    ann, cara = world.participant("Ann Smith"), world.participant("Cara Lee")
    world.claim(ann, 4000)
    world.confirm(world.draft().id)
    world.claim(ann, 333)  # approved, not yet paid
    session.commit()
    start, end = TODAY - dt.timedelta(days=365), PAY_ON + dt.timedelta(days=30)

    after_the_payment = my_money(session, ann, PAY_ON + dt.timedelta(days=1), end, recent=10)
    none_asked_for = my_money(session, ann, start, end, recent=0)
    nothing_yet = my_money(session, cara, start, end, recent=10)

    assert (after_the_payment.amount_owed, after_the_payment.payments) == (333, ())
    assert (none_asked_for.amount_owed, none_asked_for.payments) == (333, ())
    assert (nothing_yet.amount_owed, nothing_yet.payments) == (0, ())
    assert [p.amount for p in my_money(session, ann, start, end, recent=10).payments] == [-4000]
