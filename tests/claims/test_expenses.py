"""Expense claims (mileage at HMRC rates across the tax year) and advances settled against receipts."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.books import queries
from ledger.books.posting import load_entry
from ledger.claims import services
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.projects.services import create_project
from tests.factories import MEETING_DAY, TODAY, approve, footprint


def expenses(session, world, rules, *lines, key="trip", participant=None, **kwargs):
    claim, _ = services.create_expense_claim(session, participant_id=participant or world.ann,
                                             activity_id=kwargs.pop("activity_id", world.activity_id),
                                             idempotency_key=key, lines=list(lines), actor_user_id=world.manager,
                                             rules=rules, **kwargs)
    return claim


def approved(session, world, rules, claim):
    services.submit_claim(session, claim.id, actor_user_id=world.manager)
    return approve(session, world, claim.id, rules).claim


def line(category="public_transport", amount="12.50", **extra):
    return {"category": category, "description": "Train to the meeting", "amount": amount, **extra}


def miles(count, on, vehicle="car"):
    return {"category": "mileage", "description": "Drove to the venue", "miles": str(count), "vehicle": vehicle,
            "incurred_on": on}


def owed(session, world):
    return -queries.balance(session, f"owed:participant:{world.ann}")


def held(session, world):
    return queries.balance(session, f"advance:participant:{world.ann}")


def test_an_expense_claim_of_several_lines_is_owed_against_the_projects_expenses(session, world, rules):
    claim = expenses(session, world, rules, line(), line("taxi", "20.00"))

    done = approved(session, world, rules, claim)

    assert claim.offered_pence == claim.amount_pence == 3250
    assert [(x.category, x.amount_pence, x.incurred_on) for x in claim.lines] == [
        ("public_transport", 1250, MEETING_DAY), ("taxi", 2000, MEETING_DAY)]
    entry = load_entry(session, done.accrual_entry_id)
    assert {(p.account, p.amount) for p in entry.postings} == {
        ("expenses:project:GUIDE", 3250), (f"owed:participant:{world.ann}", -3250)}
    assert entry.kind == "expense_approved"


def test_mileage_is_paid_at_the_hmrc_rate(session, world, rules):
    claim = expenses(session, world, rules, miles(40, MEETING_DAY), miles(10, MEETING_DAY, "bicycle"))

    assert [x.amount_pence for x in claim.lines] == [1800, 200]  # 45p a mile by car, 20p by bicycle
    assert claim.lines[0].miles == "40" and claim.lines[0].vehicle == "car"


def test_the_ten_thousand_mile_band_counts_every_car_mile_claimed_in_the_tax_year(session, world, rules):
    # 2024-25 ended on 5 April 2025: its miles do not count. A motorcycle's miles are not in the car band.
    expenses(session, world, rules, miles(2000, dt.date(2025, 4, 5)), miles(2000, dt.date(2025, 5, 1), "motorcycle"),
             key="old-year")
    spring = expenses(session, world, rules, *[miles(1990, dt.date(2025, 4, 7 + n)) for n in range(5)], key="spring")

    crossing = expenses(session, world, rules, miles(100, MEETING_DAY), key="june")
    beyond = expenses(session, world, rules, miles(10, MEETING_DAY), key="june-again")

    assert spring.amount_pence == 9950 * 45
    assert crossing.amount_pence == 50 * 45 + 50 * 25  # the 10,000th mile falls half way
    assert beyond.amount_pence == 10 * 25


def test_lines_of_one_claim_count_towards_the_band_in_order(session, world, rules):
    claim = expenses(session, world, rules, *[miles(2000, dt.date(2025, 5, n)) for n in range(1, 7)])

    assert [x.amount_pence for x in claim.lines] == [90_000] * 5 + [50_000]


def test_cancelled_claims_miles_no_longer_count_towards_the_band(session, world, rules):
    big = expenses(session, world, rules, *[miles(2000, dt.date(2025, 5, n)) for n in range(1, 6)], key="big")
    services.cancel_claim(session, big.id, actor_user_id=world.manager, today=TODAY, rules=rules)

    assert expenses(session, world, rules, miles(100, MEETING_DAY), key="after").amount_pence == 100 * 45


@pytest.mark.parametrize(("bad", "field"), [
    ({"category": "champagne"}, "lines.0.category"),
    ({"amount": "-5.00"}, "lines.0.amount"),
    ({"amount": "0.00"}, "lines.0.amount"),
    ({"amount": 12.5}, "lines.0.amount"),
    ({"amount": "5000.01"}, "lines.0.amount"),
    ({"amount": "1e3"}, "lines.0.amount"),
    ({"amount": "9" * 40}, "lines.0.amount"),
    ({"description": "  "}, "lines.0.description"),
    ({"category": "mileage", "miles": "-3"}, "lines.0.miles"),
    ({"category": "mileage", "miles": "2001"}, "lines.0.miles"),
    ({"category": "mileage", "miles": "30", "vehicle": "hovercraft"}, "lines.0.vehicle"),
])
def test_a_bad_expense_line_is_refused_naming_the_field_and_nothing_is_written(session, world, rules, bad, field):
    before = footprint(session)

    with pytest.raises(ValidationError) as refused:
        expenses(session, world, rules, {**line(), **bad})

    assert field in refused.value.fields
    assert footprint(session) == before


def test_an_expense_claim_sent_twice_is_made_once(session, world, rules):
    first = expenses(session, world, rules, line(), key="k1")
    again = expenses(session, world, rules, line(), key="k1")

    assert again.id == first.id and footprint(session)[0] == 1


def test_an_idempotency_key_reused_for_another_projects_claim_is_refused(session, world, rules):
    create_project(session, code="FILM", name="Film", cost_centre="CC200", budget_pence=0,
                   starts_on=dt.date(2025, 4, 1))
    expenses(session, world, rules, line(), key="k1")

    with pytest.raises(Conflict) as refused:
        expenses(session, world, rules, line(incurred_on=MEETING_DAY), key="k1", activity_id=None,
                 project_code="FILM")

    assert "idempotency_key" in refused.value.fields


def test_an_expense_claim_without_an_activity_needs_each_lines_date(session, world, rules):
    with pytest.raises(ValidationError) as refused:
        expenses(session, world, rules, line(), activity_id=None, project_code="GUIDE")

    assert "lines.0.incurred_on" in refused.value.fields


# ---------------------------------------------------------------- advances


@pytest.fixture
def advance(session, world):
    """£40 paid to Ann on 1 June for travel to the meeting on the 4th."""
    return services.pay_advance(session, participant_id=world.ann, project_code="GUIDE", amount="40.00",
                                paid_on=dt.date(2025, 6, 1), idempotency_key="travel-june", actor_user_id=world.finance)


def test_an_advance_paid_before_the_event_is_held_by_the_participant(session, world, advance):
    again = services.pay_advance(session, participant_id=world.ann, project_code="GUIDE", amount="40.00",
                                 paid_on=dt.date(2025, 6, 1), idempotency_key="travel-june",
                                 actor_user_id=world.finance)

    assert again.id == advance.id and advance.status == "paid" and advance.amount_pence == 4000
    assert held(session, world) == 4000 and queries.balance(session, "bank:main") == -4000


def test_receipts_under_the_advance_settle_it_and_the_surplus_can_be_returned(session, world, rules, advance):
    claim = expenses(session, world, rules, line(amount="30.00"), advance_id=advance.id)

    done = approved(session, world, rules, claim)

    entry = load_entry(session, done.accrual_entry_id)
    assert {(p.account, p.amount) for p in entry.postings} == {
        ("expenses:project:GUIDE", 3000), (f"advance:participant:{world.ann}", -3000)}
    assert done.amount_pence == 0 and owed(session, world) == 0  # nothing more to pay
    settled = services.advance_record(session, session.get(services.Advance, advance.id))
    assert settled.status == "settled" and settled.used_pence == 3000 and settled.surplus_pence == 1000

    returned = services.settle_advance_surplus(session, advance.id, how="returned", on=dt.date(2025, 6, 10),
                                               actor_user_id=world.finance)

    assert returned.surplus_entry_id is not None
    assert held(session, world) == 0 and queries.balance(session, "bank:main") == -3000
    with pytest.raises(Conflict, match="already"):
        services.settle_advance_surplus(session, advance.id, how="returned", on=dt.date(2025, 6, 10),
                                        actor_user_id=world.finance)


def test_an_advances_surplus_can_be_netted_off_expenses_owed(session, world, rules, advance):
    approved(session, world, rules, expenses(session, world, rules, line(amount="30.00"), advance_id=advance.id))
    taxi = approved(session, world, rules, expenses(session, world, rules, line("taxi", "25.00"), key="taxi"))
    assert owed(session, world) == 2500

    services.settle_advance_surplus(session, advance.id, how="netted", on=dt.date(2025, 6, 10),
                                    actor_user_id=world.finance)

    assert held(session, world) == 0 and owed(session, world) == 1500
    netted = services.get_claim(session, taxi.id)
    assert netted.amount_pence == 1500 and netted.offered_pence == 2500  # the next payment run pays £15
    assert netted.events[-1].action == "net_off"


def test_a_surplus_cannot_be_netted_when_no_expenses_are_owed(session, world, rules, advance):
    approved(session, world, rules, expenses(session, world, rules, line(amount="30.00"), advance_id=advance.id))
    before = footprint(session)

    with pytest.raises(Conflict) as refused:
        services.settle_advance_surplus(session, advance.id, how="netted", on=dt.date(2025, 6, 10),
                                        actor_user_id=world.finance)

    assert "how" in refused.value.fields and footprint(session) == before and held(session, world) == 1000


def test_receipts_over_the_advance_leave_the_excess_owed(session, world, rules, advance):
    claim = expenses(session, world, rules, line(amount="30.00"), line("taxi", "25.00"), advance_id=advance.id)

    done = approved(session, world, rules, claim)

    entry = load_entry(session, done.accrual_entry_id)
    assert {(p.account, p.amount) for p in entry.postings} == {
        ("expenses:project:GUIDE", 5500), (f"advance:participant:{world.ann}", -4000),
        (f"owed:participant:{world.ann}", -1500)}
    assert done.amount_pence == 1500 and owed(session, world) == 1500 and held(session, world) == 0
    with pytest.raises(Conflict, match="used all"):
        services.settle_advance_surplus(session, advance.id, how="returned", on=TODAY, actor_user_id=world.finance)


def test_rejecting_a_settling_claim_after_approval_reverses_it_and_frees_the_advance(session, world, rules, advance):
    claim = approved(session, world, rules,
                     expenses(session, world, rules, line(amount="55.00"), advance_id=advance.id))

    services.reject_claim(session, claim.id, reason="Receipt is for another trip", actor_user_id=world.finance2,
                          today=TODAY, rules=rules)

    freed = services.advance_record(session, session.get(services.Advance, advance.id))
    assert freed.status == "paid" and freed.settlement_claim_id is None
    assert held(session, world) == 4000 and owed(session, world) == 0
    assert services.get_claim(session, claim.id).amount_pence == 5500


def test_a_claim_rejected_before_approval_frees_its_advance_for_another_claim(session, world, rules, advance):
    first = expenses(session, world, rules, line(amount="30.00"), advance_id=advance.id)
    services.submit_claim(session, first.id, actor_user_id=world.manager)
    services.reject_claim(session, first.id, reason="Wrong receipts", actor_user_id=world.finance, today=TODAY,
                          rules=rules)

    second = expenses(session, world, rules, line(amount="35.00"), key="second", advance_id=advance.id)

    assert approved(session, world, rules, second).amount_pence == 0 and held(session, world) == 500


def test_one_advance_settles_one_claim(session, world, rules, advance):
    expenses(session, world, rules, line(), advance_id=advance.id)

    with pytest.raises(Conflict) as refused:
        expenses(session, world, rules, line(), key="other", advance_id=advance.id)

    assert "advance_id" in refused.value.fields


def test_another_participants_advance_is_unknown(session, world, rules, advance):
    with pytest.raises(NotFound):
        expenses(session, world, rules, line(), participant=world.carer, advance_id=advance.id)


def test_an_unused_advance_can_be_returned_whole(session, world, advance):
    services.settle_advance_surplus(session, advance.id, how="returned", on=dt.date(2025, 6, 10),
                                    actor_user_id=world.finance)

    assert held(session, world) == 0 and queries.balance(session, "bank:main") == 0
