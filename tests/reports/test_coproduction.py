"""The co-production report's figures checked against the books, a median and 90th percentile worked by hand,
and a wrong date refused naming its field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ledger.books.models import Account, Posting
from ledger.claims import services as claims
from ledger.claims.models import Claim
from ledger.errors import ValidationError
from ledger.reports.coproduction import (
    financial_year,
    median_and_p90,
    organisation_report,
    project_report,
    read_period,
    report_csv,
)
from tests.factories import (
    PROJECT,
    RULES,
    TODAY,
    approve,
    approved_fee_claim,
    claims_world,
    make_participant,
    submitted_fee,
)

YEAR = (dt.date(2025, 4, 1), dt.date(2026, 3, 31))


def _books_total(session, code: str) -> int:
    return int(session.execute(select(func.coalesce(func.sum(Posting.amount), 0)).join(
        Account, Account.id == Posting.account_id).where(
        Account.code == code, Posting.effective_date.between(*YEAR))).scalar_one())


def test_median_and_90th_percentile_worked_by_hand():
    # 10 claims: middle two are 5 and 6 -> 5.5; nearest rank ceil(0.9 x 10) = 9th -> 9.
    assert median_and_p90([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]) == (Decimal("5.5"), 9)
    # 3 claims: the middle is 3; ceil(0.9 x 3) = 3rd -> 40.
    assert median_and_p90([3, 40, 1]) == (Decimal(3), 40)
    assert median_and_p90([]) == (None, None)


def test_the_report_agrees_with_the_books_and_times_claims_to_payment(session):
    world = claims_world(session)
    make_participant(session, "Dee Never-came")  # on the register, took part in nothing
    first = approved_fee_claim(session, world)  # Ann, approved by Fin
    second = approved_fee_claim(session, world, world.teen, by=world.finance2)
    third = submitted_fee(session, world, world.carer)
    claims.record_choice(session, third, actor_user_id=world.carer_user, rules=RULES, today=TODAY,
                         choice="redirect", group_id=world.group_id)
    approve(session, world, third)
    # Paid 3, 10 and 20 days after being submitted (the payment run is not what this test is about).
    for claim_id, days in ((first, 3), (second, 10), (third, 20)):
        claim = session.get(Claim, claim_id)
        claim.submitted_at = dt.datetime(2025, 6, 5, 16, 30, tzinfo=dt.UTC)
        claim.status, claim.paid_on = "paid", dt.date(2025, 6, 5) + dt.timedelta(days=days)
    session.flush()

    report = project_report(session, PROJECT, start=YEAR[0], end=YEAR[1])
    fees = _books_total(session, f"fees:project:{PROJECT}")
    expenses = _books_total(session, f"expenses:project:{PROJECT}")
    assert fees > 0
    assert (report.totals.fees_pence, report.totals.expenses_pence) == (fees, expenses)
    given = session.get(Claim, third).amount_pence
    assert report.totals.to_groups_pence == given > 0
    assert (report.totals.people, report.totals.sessions) == (3, 3)  # three attended three meetings
    assert report.totals.hours == Decimal(3 * 3 * 3)  # 3 people x 3 meetings x 3 hours each
    assert [(t.name, t.claims, t.median_days, t.p90_days) for t in report.by_approver] == [
        ("Fin", 2, Decimal("11.5"), 20), ("Fin Two", 1, Decimal(10), 10)]
    assert (report.overall.claims, report.overall.median_days, report.overall.p90_days) == (3, Decimal(10), 20)

    whole = organisation_report(session, start=YEAR[0], end=YEAR[1])
    assert (whole.network_size, whole.network_taking_part, whole.network_share_percent) == (4, 3, Decimal("75.0"))
    assert whole.totals.fees_pence == fees
    assert [(t.name, t.claims) for t in whole.by_project] == [(PROJECT, 3)]
    csv = report_csv(whole)
    assert f"\r\n{PROJECT}," in csv
    assert f"{Decimal(fees) / 100:.2f}" in csv

    before = project_report(session, PROJECT, start=dt.date(2024, 4, 1), end=dt.date(2025, 3, 31))
    assert (before.totals.fees_pence, before.totals.people, before.overall.claims) == (0, 0, 0)


@pytest.mark.parametrize(("args", "field"), [
    ({"from": "2025-13-01"}, "from"),
    ({"to-day": "31", "to-month": "2", "to-year": "2026"}, "to"),
    ({"from-day": "1", "from-year": "2025"}, "from"),
    ({"from": "2026-04-01", "to": "2025-04-01"}, "to"),
])
def test_a_wrong_date_is_refused_naming_its_field(args, field):
    with pytest.raises(ValidationError) as refused:
        read_period(args, today=TODAY)
    assert list(refused.value.fields) == [field]


def test_the_period_defaults_to_the_financial_year():
    assert read_period({}, today=dt.date(2026, 3, 31)) == financial_year(dt.date(2026, 3, 31)) == YEAR
    assert read_period({"from-day": "1", "from-month": "6", "from-year": "2025"}, today=TODAY) == (
        dt.date(2025, 6, 1), YEAR[1])
