"""The benefit check re-run when a reversed paid claim is recovered by netting or written off.

Ann gets Carer's Allowance (2025-26 weekly limit £196; weeks from Monday). A fee paid to her on Thursday
12 June 2025 is reversed (paid in error). Netted off a later claim paid on 19 June, the money comes back
from the week of 9 June and the later claim counts in full in the week of 16 June: never both. Written off,
she keeps it: the week of 9 June is re-checked as it stands. A re-check showing a breach flags her for finance.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.claims import corrections, rechecks
from ledger.claims.benefit_check import received_payments
from ledger.claims.models import BenefitRecheck
from ledger.context import reload_settings
from ledger.events.models import Event
from ledger.people import services as people
from ledger.reports.receipts import received_lines
from tests.factories import (
    PAY_ON,
    RULES,
    TODAY,
    PaymentsWorld,
    add_user,
    api_token_for,
    bearer,
    database,
    make_finance_user,
)

NEXT_RUN = PAY_ON + dt.timedelta(days=7)
LATER = PAY_ON + dt.timedelta(days=2)
OVERRIDE = "Ann was told and chose to be paid."


@pytest.fixture
def world(session) -> PaymentsWorld:
    return PaymentsWorld(session)


def reversed_fee(world: PaymentsWorld, session, pence: int) -> tuple[int, int]:
    """Ann, on Carer's Allowance, paid ``pence`` on 12 June; the claim then reversed as paid in error."""
    ann = world.participant("Ann Smith")
    people.declare_benefits(session, ann, benefits=[{"name": "carers_allowance", "week_start": "monday"}],
                            declared_on=dt.date(2025, 4, 1), today=TODAY)
    claim = world.claim(ann, pence)
    world.confirm(world.draft().id, override_reason=OVERRIDE)
    corrections.reverse_paid_claim(session, claim, reason="Paid in error", actor_user_id=world.finance_id,
                                   today=LATER)
    return ann, claim


def netted(world: PaymentsWorld, session, first: int, later: int) -> tuple[int, int]:
    ann, claim = reversed_fee(world, session, first)
    corrections.agree_netting(session, claim, agreed_on=LATER, agreed_how="in_writing", note="Signed form on file",
                              actor_user_id=world.finance_id, today=LATER)
    world.claim(ann, later)
    world.confirm(world.draft(pay_on=NEXT_RUN).id, override_reason=OVERRIDE, rules=RULES)
    return ann, claim


def test_netting_moves_the_money_out_of_the_first_week_and_counts_the_later_claim_in_full(world, session):
    ann, claim = netted(world, session, 15_000, 18_000)

    counted = [(p.received_on, p.amount_pence) for p in received_payments(session, ann, PAY_ON, NEXT_RUN)]
    assert counted == [(NEXT_RUN, 18_000)]  # £30 in cash plus the £150 paid back out of it; the £150 came back
    [line] = received_lines(session, ann, PAY_ON, NEXT_RUN)
    assert (line.on, line.amount) == (NEXT_RUN, 18_000)

    state = corrections.owed_back(session, claim)
    assert [(c.cause, c.period_of, c.outcome, c.needs_finance) for c in state.rechecks] == [
        ("netting", PAY_ON, "ok", False), ("netting", NEXT_RUN, "ok", False)]
    event = session.execute(select(Event).where(Event.claim_id == claim, Event.action == "benefit_rechecked"))
    assert event.scalar_one().details["periods"][1] == {"period_of": NEXT_RUN.isoformat(), "outcome": "ok"}
    assert rechecks.flagged_participants(session) == []


def test_a_netting_that_takes_the_later_week_over_the_limit_flags_her_for_finance(world, session):
    ann, claim = netted(world, session, 15_000, 25_000)

    outcomes = {c.period_of: (c.outcome, c.needs_finance) for c in corrections.owed_back(session, claim).rechecks}
    assert outcomes == {PAY_ON: ("ok", False), NEXT_RUN: ("breach", True)}
    [flag] = rechecks.flagged_participants(session)
    assert (flag.participant_id, flag.name, flag.claim_id, flag.outcome) == (ann, "Ann Smith", claim, "breach")


@pytest.mark.parametrize(("pence", "outcome"), [(15_000, "ok"), (25_000, "breach")])
def test_a_write_off_re_checks_the_week_the_money_was_paid_in(world, session, pence, outcome):
    ann, claim = reversed_fee(world, session, pence)
    corrections.request_write_off(session, claim, reason="Not worth pursuing", actor_user_id=world.finance_id,
                                  today=LATER)
    second = make_finance_user(session, "second@example.org").id
    state = corrections.approve_write_off(session, claim, actor_user_id=second, today=LATER, rules=RULES)

    [check] = state.rechecks
    assert (check.cause, check.period_of, check.outcome) == ("write_off", PAY_ON, outcome)
    assert [(p.received_on, p.amount_pence) for p in received_payments(session, ann, PAY_ON, LATER)] == [
        (PAY_ON, pence)]  # she keeps it: still received
    assert [f.claim_id for f in rechecks.flagged_participants(session)] == ([claim] if outcome == "breach" else [])


def test_a_clean_re_check_later_clears_the_flag(world, session):
    ann, claim = reversed_fee(world, session, 25_000)
    corrections.record_repayment(session, claim, amount_pence=5_000, received_on=LATER, reference="BGC 1",
                                 actor_user_id=world.finance_id, today=LATER, rules=RULES)
    assert [f.participant_id for f in rechecks.flagged_participants(session)] == [ann]  # £200 still counted
    corrections.record_repayment(session, claim, amount_pence=20_000, received_on=LATER, reference="BGC 2",
                                 actor_user_id=world.finance_id, today=LATER, rules=RULES)
    assert rechecks.flagged_participants(session) == []
    assert session.execute(select(func.count()).select_from(BenefitRecheck)).scalar_one() == 2


def test_a_write_off_approved_over_http_shows_the_re_check_and_flags_her(app, client):
    app.config["LEDGER_TODAY"] = LATER.isoformat()
    reload_settings(app)
    with database(app) as session:
        world = PaymentsWorld(session)
        ann, claim = reversed_fee(world, session, 25_000)
        corrections.request_write_off(session, claim, reason="Not worth pursuing", actor_user_id=world.finance_id,
                                      today=LATER)
    auth = bearer(api_token_for(app, add_user(app, "second@example.org", ["finance"])))
    approved = client.post(f"/api/v1/claims/{claim}/write-off/approve", headers=auth)
    assert approved.status_code == 200, approved.get_json()
    [check] = approved.get_json()["rechecks"]
    assert (check["cause"], check["period_of"], check["outcome"], check["needs_finance"]) == (
        "write_off", PAY_ON.isoformat(), "breach", True)
    flagged = client.get("/api/v1/benefit-rechecks/flagged", headers=auth).get_json()
    assert [(f["participant_id"], f["name"], f["claim_id"]) for f in flagged] == [(ann, "Ann Smith", claim)]
