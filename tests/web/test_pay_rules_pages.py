"""Finance's pages show the pay rules: a flat fee below the legal minimum (and the reason to approve it), a
rate that may be out of date (on the claim, at approval and in the run), and mileage owed after repricing."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.claims import services
from ledger.context import reload_settings, settings
from ledger.organisation import open_organisation_accounts
from ledger.payments import runs
from ledger.people.bank import BankCipher
from ledger.people.services import set_bank_details
from ledger.projects.services import record_attendance, schedule_activity
from tests.factories import MEETING_DAY, PASSWORD, ClaimsWorld, claims_world, database, entry_count, sign_in
from tests.web.test_finance_pages import text_of

REASON = "Agreed honorarium for a short film; the participant asked for the flat sum."


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        built = claims_world(session)
        open_organisation_accounts(session)
        set_bank_details(session, BankCipher(app.config["BANK_DETAILS_KEY"]), built.ann, sort_code="20-00-00",
                         account_number="11112222", account_name="A JONES")
        return built


@pytest.fixture
def finance(client, world):
    assert sign_in(client, "fin@example.org", PASSWORD).status_code == 302
    return client


def _submitted_fee(app, world, *, on=MEETING_DAY, flat_fee_pence=None) -> int:
    with app.app_context(), database(app) as session:
        made = schedule_activity(session, world.project_code, kind="advisory_meeting", occurs_on=on,
                                 duration_minutes=180, preparation_minutes=60, region="uk", title="Short film",
                                 flat_fee_pence=flat_fee_pence)
        record_attendance(session, made.id, world.ann, today=on)
        claim, _ = services.draft_fee_claim(session, activity_id=made.id, participant_id=world.ann,
                                            actor_user_id=world.manager, rules=settings().claim_rules)
        services.submit_claim(session, claim.id, actor_user_id=world.manager)
        return claim.id


def test_a_fee_below_the_legal_minimum_is_shown_and_needs_a_reason_to_approve(app, finance, world):
    app.config["FLAT_FEE_BELOW_MINIMUM"] = "override"
    reload_settings(app)
    claim_id = _submitted_fee(app, world, flat_fee_pence=2000)

    page = text_of(finance.get(f"/finance/claims/{claim_id}"))
    entries = entry_count(app)
    refused = finance.post(f"/finance/claims/{claim_id}/approve", data={"below_minimum_reason": ""})
    approved = finance.post(f"/finance/claims/{claim_id}/approve", data={"below_minimum_reason": REASON})

    assert "Below the legal minimum" in page and "£28.84 short of the legal minimum of £48.84" in page
    assert "Pay rules" in page and "Reason for paying below the legal minimum" in page
    assert refused.status_code == 400 and "paying less than the legal minimum" in text_of(refused)
    assert approved.status_code == 302 and entry_count(app) == entries + 1
    assert REASON in text_of(finance.get(f"/finance/claims/{claim_id}"))


def test_a_stale_rate_is_a_warning_on_the_claim_and_in_the_payment_run(app, finance, world):
    claim_id = _submitted_fee(app, world, on=dt.date(2026, 11, 5))

    page = text_of(finance.get(f"/finance/claims/{claim_id}"))
    approved = finance.post(f"/finance/claims/{claim_id}/approve", data={})
    with app.app_context(), database(app) as session:
        today = dt.date.today()
        run = runs.draft_payment_run(session, cutoff_date=today, payment_date=today + dt.timedelta(days=7),
                                     actor_user_id=world.finance, rulebook=settings().rulebook,
                                     settings=settings().policy, today=today)
    run_page = text_of(finance.get(f"/finance/payment-runs/{run.id}"))

    assert "Rate may be out of date" in page and "31 October 2026" in page
    assert approved.status_code == 302
    assert "Stale rates" in run_page and f"Stale rate: claim {claim_id}" in run_page


def test_mileage_owed_after_repricing_is_shown_with_a_button_that_drafts_the_top_up(app, finance, world):
    with app.app_context(), database(app) as session:
        rules = settings().claim_rules

        def mileage(key, count, on=MEETING_DAY):
            line = {"category": "mileage", "description": "Drove", "miles": str(count), "incurred_on": on}
            return services.create_expense_claim(session, participant_id=world.ann, project_code="GUIDE",
                                                 idempotency_key=key, lines=[line], actor_user_id=world.manager,
                                                 rules=rules)[0]

        for n in range(5):
            mileage(f"spring-{n}", 1990, dt.date(2025, 4, 7 + n))
        crossing, later = mileage("crossing", 100), mileage("later", 10)
        services.submit_claim(session, later.id, actor_user_id=world.manager)
        services.approve_claim(session, later.id, actor_user_id=world.finance2, actor_participant_id=None,
                               rules=rules, today=dt.date.today())
        services.cancel_claim(session, crossing.id, actor_user_id=world.finance2, today=dt.date.today(), rules=rules)

    response = finance.get(f"/finance/claims/{later.id}")
    page = text_of(response)
    drafted = finance.post(f"/finance/claims/{later.id}/mileage-top-up", data={})
    top_up_page = text_of(finance.get(drafted.headers["Location"]))

    assert "Mileage underpaid" in page and "£2.00 still owed" in page
    assert 'value="Draft a top-up claim for the £2.00 of mileage owed"' in response.get_data(as_text=True)
    assert drafted.status_code == 302 and f"The mileage underpaid on claim {later.id}" in top_up_page
