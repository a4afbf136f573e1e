"""The time bank at the service layer, on SQLite and PostgreSQL: balances, spending, giving, the floor at zero."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.books import queries
from ledger.books.models import Account
from ledger.books.posting import lock_period
from ledger.db import unit_of_work
from ledger.errors import Conflict, IdempotencyConflict, NotFound, PeriodLocked, ValidationError
from ledger.organisation import group_time_account, open_organisation_accounts
from ledger.timebank import services
from ledger.timebank.models import TimeCreditTransfer
from tests.factories import TODAY, all_at_once, make_group, make_participant, make_partner, post_time_credits

_keys = itertools.count(1)


def key() -> str:
    return f"movement-{next(_keys)}"


class Bank:
    def __init__(self, session: Session):
        open_organisation_accounts(session)
        self.session = session
        self.ann = make_participant(session, "Ann Smith").id
        self.bob = make_participant(session, "Bob Jones").id
        self.pool = make_partner(session, "Leisure Centre").id
        self.group = make_group(session, "Voices Together").id

    def spend(self, minutes: int, *, who: int | None = None, overdraft: int = 0, idempotency_key: str | None = None,
              on: dt.date = TODAY, note: str | None = "Swim"):
        return services.spend_time_credits(self.session, who or self.ann, self.pool, minutes, on, note,
                                           idempotency_key or key(), None, overdraft, today=TODAY)

    def give(self, minutes: int, **to):
        return services.give_time_credits(self.session, self.ann, **to, minutes=minutes, on=TODAY, note=None,
                                          idempotency_key=key(), actor_user_id=None, today=TODAY)


@pytest.fixture
def bank(session) -> Bank:
    return Bank(session)


def test_a_new_participant_holds_no_credits(bank):
    assert services.time_credit_balance(bank.session, bank.ann) == 0
    assert services.time_credit_history(bank.session, bank.ann) == services.TimeCreditHistory(bank.ann, 0, ())
    for unknown in (999, "1"):
        with pytest.raises(NotFound, match="no participant"):
            services.time_credit_balance(bank.session, unknown)
        with pytest.raises(NotFound, match="no participant"):
            services.time_credit_history(bank.session, unknown)


def test_the_history_in_one_statement_tells_no_account_from_no_credits(bank, session):
    """The history reads the participant, their account and its postings at once: each person's own lines
    only, oldest first with the running balance; an opened account with none is an empty history, and a
    participant whose account was never opened is told so."""
    post_time_credits(session, bank.ann, 180)
    post_time_credits(session, bank.bob, 60)
    post_time_credits(session, bank.ann, 30)
    history = services.time_credit_history(session, bank.ann)
    assert [(line.minutes, line.running_minutes) for line in history.lines] == [(180, 180), (30, 210)]
    assert history.balance_minutes == 210
    cara = make_participant(session, "Cara Lee").id
    assert services.time_credit_history(session, cara) == services.TimeCreditHistory(cara, 0, ())
    # As if it were never opened: no account under the code the history looks for.
    session.execute(update(Account).where(Account.code == f"time:participant:{cara}").values(code="time:elsewhere"))
    with pytest.raises(NotFound, match="no account"):
        services.time_credit_history(session, cara)


def test_spending_at_a_partner_moves_credits_to_the_partner(bank, session):
    post_time_credits(session, bank.ann, 180)
    spent = bank.spend(90)
    assert (spent.kind, spent.minutes, spent.partner_id, spent.balance_minutes) == ("spent", 90, bank.pool, 90)
    assert services.time_credit_balance(session, bank.ann) == 90
    assert queries.balance(session, f"time:partner:{bank.pool}") == -90
    assert queries.trial_balance(session).totals["TIME"] == 0


def test_giving_to_another_participant_and_to_a_group(bank, session):
    post_time_credits(session, bank.ann, 240)
    to_bob = bank.give(60, to_participant_id=bank.bob)
    to_group = bank.give(30, to_group_id=bank.group)
    assert (to_bob.kind, to_group.kind) == ("given_to_participant", "given_to_group")
    assert services.time_credit_balance(session, bank.ann) == 150
    assert services.time_credit_balance(session, bank.bob) == 60
    assert queries.balance(session, group_time_account(bank.group)) == -30  # opened on first use
    bank.give(15, to_group_id=bank.group)
    assert queries.balance(session, group_time_account(bank.group)) == -45


def test_the_history_shows_every_movement_with_a_running_balance(bank, session):
    post_time_credits(session, bank.ann, 120)
    bank.spend(30)
    bank.give(60, to_participant_id=bank.bob)
    history = services.time_credit_history(session, bank.ann)
    assert [(line.minutes, line.running_minutes, line.transfer_kind) for line in history.lines] == [
        (120, 120, None), (-30, 90, "spent"), (-60, 30, "given_to_participant")]
    assert history.balance_minutes == 30
    [received] = services.time_credit_history(session, bank.bob).lines
    assert (received.minutes, received.transfer_kind, received.from_participant_id) == (
        60, "received_from_participant", bank.ann)


def test_spending_more_than_is_held_is_refused_and_moves_nothing(bank, session):
    post_time_credits(session, bank.ann, 60)
    refused = "holds 1 h of time credits: 1 h 30 min would take them to -30 min"
    with pytest.raises(services.InsufficientTimeCredits, match=refused):
        bank.spend(90)
    with pytest.raises(services.InsufficientTimeCredits):
        bank.give(61, to_group_id=bank.group)
    assert services.time_credit_balance(session, bank.ann) == 60
    assert session.execute(select(func.count()).select_from(TimeCreditTransfer)).scalar_one() == 0


def test_an_overdraft_limit_allows_going_that_far_below_zero_and_no_further(bank, session):
    post_time_credits(session, bank.ann, 60)
    assert bank.spend(90, overdraft=30).balance_minutes == -30
    with pytest.raises(services.InsufficientTimeCredits, match="allows going 30 min below zero"):
        bank.spend(1, overdraft=30)
    assert services.time_credit_balance(session, bank.ann) == -30


def test_the_same_request_twice_moves_credits_once(bank, session):
    post_time_credits(session, bank.ann, 60)
    first = bank.spend(20, idempotency_key="till-receipt-7")
    again = bank.spend(20, idempotency_key="till-receipt-7")
    assert again.id == first.id and services.time_credit_balance(session, bank.ann) == 40
    with pytest.raises(IdempotencyConflict):
        bank.spend(25, idempotency_key="till-receipt-7")


@pytest.mark.parametrize(("minutes", "field"), [(0, "minutes"), (-5, "minutes"), (10**6, "minutes"), (1.5, "minutes"),
                                                (True, "minutes")])
def test_absurd_amounts_are_refused(bank, session, minutes, field):
    post_time_credits(session, bank.ann, 60)
    with pytest.raises(ValidationError) as refused:
        bank.spend(minutes)
    assert field in refused.value.fields


def test_bad_dates_recipients_and_partners_are_refused(bank, session):
    post_time_credits(session, bank.ann, 600)
    with pytest.raises(ValidationError, match="on"):
        bank.spend(10, on=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        bank.give(10, to_participant_id=bank.ann)
    with pytest.raises(ValidationError):
        bank.give(10, to_participant_id=bank.bob, to_group_id=bank.group)
    with pytest.raises(NotFound):
        bank.give(10, to_participant_id=999)
    with pytest.raises(NotFound):
        bank.give(10, to_group_id=999)
    with pytest.raises(NotFound):
        services.spend_time_credits(session, bank.ann, 999, 10, TODAY, None, key(), None, today=TODAY)
    lock_period(session, dt.date(2025, 5, 1))
    with pytest.raises(PeriodLocked):
        bank.spend(10, on=dt.date(2025, 5, 30))
    assert services.time_credit_balance(session, bank.ann) == 600


def test_an_inactive_partner_takes_no_credits(bank, session):
    from ledger.people.models import PartnerOrganisation

    post_time_credits(session, bank.ann, 60)
    session.get(PartnerOrganisation, bank.pool).is_active = False
    with pytest.raises(Conflict, match="no longer takes time credits"):
        bank.spend(10)


@pytest.mark.postgres_only
def test_two_spends_racing_cannot_overdraw(session_factory, backend):
    with unit_of_work(session_factory) as session:
        bank = Bank(session)
        post_time_credits(session, bank.ann, 60)
        ann, pool = bank.ann, bank.pool

    def spend(minutes: int, round_: int):
        def work(i: int, ready) -> str:
            ready()
            try:
                with unit_of_work(session_factory) as session:
                    services.spend_time_credits(session, ann, pool, minutes, TODAY, None, f"race-{round_}-{i}", None, 0,
                                                today=TODAY)
            except services.InsufficientTimeCredits:
                return "refused"
            return "spent"

        outcomes = all_at_once(2, work)
        assert all(isinstance(outcome, str) for outcome in outcomes), outcomes
        return sorted(outcomes)

    assert spend(40, 0) == ["refused", "spent"]
    for round_ in (1, 2):
        assert spend(1, round_) == ["spent", "spent"]

    with unit_of_work(session_factory) as session:
        assert services.time_credit_balance(session, ann) == 60 - 40 - 2 * 2
        assert queries.trial_balance(session).totals["TIME"] == 0


def test_a_participant_cannot_back_date_their_own_spend_before_this_month(bank, session):
    post_time_credits(session, bank.ann, 180, on=TODAY.replace(day=1))
    last_month = TODAY.replace(day=1) - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.spend_time_credits(session, bank.ann, bank.pool, 60, last_month, None, key(), None, today=TODAY,
                                    by_participant=True)
    assert list(refused.value.fields) == ["on"]
    assert "1 June 2025" in refused.value.fields["on"][0]
    with pytest.raises(ValidationError):
        services.give_time_credits(session, bank.ann, to_group_id=bank.group, minutes=30, on=last_month, note=None,
                                   idempotency_key=key(), actor_user_id=None, today=TODAY, by_participant=True)
    spent = services.spend_time_credits(session, bank.ann, bank.pool, 60, TODAY.replace(day=1), None, key(), None,
                                        today=TODAY, by_participant=True)
    assert spent.minutes == 60
    # Finance may still record a spend from before this month (while that month is open in the books).
    post_time_credits(session, bank.ann, 60, on=last_month)
    services.spend_time_credits(session, bank.ann, bank.pool, 30, last_month, None, key(), None, today=TODAY)
