"""A run of more payees than the small tests draft: the batch paths (the benefit facts read for many people at
once, ``post_entries``, the events and outbox rows written as arrays on PostgreSQL) give what paying each payee
one by one would, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import func, select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.books import queries
from ledger.books.posting import load_entry
from ledger.books.verify import verify_books
from ledger.chain.audit import check_chain, check_payments_agree
from ledger.claims.benefit_check import check_participant_payment
from ledger.db import ARRAYS_FROM
from ledger.events.models import Event
from ledger.organisation import BANK
from ledger.outbox.models import OutboxMessage
from ledger.payments.models import Payment
from ledger.people.services import declare_benefits
from policies.payments import Payment as ProposedPayment
from policies.payments import PaymentKind
from policies.settings import DEFAULT_SETTINGS
from tests.factories import PAY_ON, RULEBOOK, TODAY, PaymentsWorld

PAYEES = ARRAYS_FROM + 12


def test_a_large_run_pays_everyone_once_and_the_books_and_chain_hold(session):
    world = PaymentsWorld(session)
    people = [world.participant(f"Person {n} Example") for n in range(PAYEES)]
    carers = people[::7]
    for carer in carers:
        declare_benefits(session, carer, benefits=[{"name": "carers_allowance"}], declared_on=TODAY, today=TODAY)
    fees = {pid: 6000 + 1500 * (n % 12) for n, pid in enumerate(people)}  # carers from £60 to £225: some over
    owed = {pid: [world.claim(pid, pence), world.claim(pid, 350, kind="expense")] for pid, pence in fees.items()}
    claims = [claim for pair in owed.values() for claim in pair]
    session.commit()

    summary = world.draft()
    session.commit()

    # The batch check says what checking each carer alone would say (their claims in the run being the payment).
    for carer in carers:
        alone = check_participant_payment(
            session, RULEBOOK, DEFAULT_SETTINGS, carer,
            ProposedPayment(received_on=PAY_ON, amount_pence=fees[carer], kind=PaymentKind.FEE, hours=2),
            exclude_claim_ids=owed[carer])
        checked = next(p for p in summary.payees if p.payee_id == carer).benefit_check
        assert alone is not None and checked.outcome == alone.outcome.value, carer
    assert 0 < summary.benefit_flags < len(carers)

    confirmed = world.confirm(summary.id, override_reason="Each flagged carer has agreed, by phone.")
    session.commit()

    assert (confirmed.status, confirmed.payee_count, confirmed.item_count) == ("confirmed", PAYEES, 2 * PAYEES)
    assert queries.balance(session, BANK) == -sum(fees.values()) - 350 * PAYEES
    assert all(queries.balance(session, f"owed:participant:{pid}") == 0 for pid in people)
    payments = session.execute(select(Payment.payee_id, Payment.amount_pence, Payment.entry_id)).all()
    assert sorted((pid, pence) for pid, pence, _ in payments) == sorted((pid, fees[pid] + 350) for pid in people)
    for pid, pence, entry_id in payments:  # each payment row names its own entry, paying that payee that much
        lines = sorted((p.account, p.kind, p.amount) for p in load_entry(session, entry_id).postings)
        assert lines == [(BANK, None, -pence), (f"owed:participant:{pid}", "expense", 350),
                         (f"owed:participant:{pid}", "fee", pence - 350)]
    paid_events = session.execute(select(func.count()).select_from(Event).where(
        Event.subject_type == "claim", Event.action == "pay")).scalar_one()
    assert paid_events == len(claims)
    messages = session.execute(select(OutboxMessage.participant_id, OutboxMessage.details)).all()
    assert sorted(pid for pid, _ in messages) == sorted(people)  # everyone here is emailed
    assert all(details["paid_pence"] == fees[pid] + 350 for pid, details in messages)
    assert verify_books(session).ok
    assert check_chain(session) == [] and check_payments_agree(session) == []
