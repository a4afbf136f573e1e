"""Finance's pages: approving a claim that needs an override, and a payment run from draft to confirmed."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from ledger.claims import services
from ledger.organisation import open_organisation_accounts
from ledger.payments import runs
from ledger.people.bank import BankCipher
from ledger.people.services import set_bank_details
from tests.factories import RULES, ClaimsWorld, claims_world, database, entry_count, sign_in, submitted_fee

OVERRIDE = "Siân has been told this week's Carer's Allowance is lost and still wants the fee."


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def world(app) -> ClaimsWorld:
    with database(app) as session:
        built = claims_world(session)
        open_organisation_accounts(session)  # the bank account payments are made from, as set up at installation
        set_bank_details(session, BankCipher(app.config["BANK_DETAILS_KEY"]), built.carer, sort_code="20-00-00",
                         account_number="11112222", account_name="S EVANS")
        return built


@pytest.fixture
def over_the_limit(app, world) -> int:
    """Siân, a carer, already has a £150 fee approved for the next payment date; a £55.40 fee waits.

    Together they take her over the Carer's Allowance weekly limit: the organisation wants an override reason.
    """
    with database(app) as session:
        first = submitted_fee(session, world, world.carer, world.flat_fee_activity_id)
        services.approve_claim(session, first, actor_user_id=world.finance2, actor_participant_id=None,
                               rules=RULES, today=dt.date.today())
        return submitted_fee(session, world, world.carer, world.london_activity_id)


@pytest.fixture
def finance(client, world):
    assert sign_in(client, "fin@example.org").status_code == 302
    return client


def test_finance_approves_a_claim_that_needs_an_override(app, finance, over_the_limit):
    claim_id = over_the_limit
    waiting = text_of(finance.get("/finance/claims"))
    assert "Siân Evans" in waiting and "GUIDE" in waiting and "£55.40" in waiting
    assert "Override needed" in waiting

    page = finance.get(f"/finance/claims/{claim_id}")
    text = text_of(page)
    assert page.status_code == 200
    assert "Carer's Allowance" in text and "Explanation for staff" in text and "Rule and source" in text
    assert "Override needed: a reason must be given to pay this" in text

    entries = entry_count(app)
    refused = finance.post(f"/finance/claims/{claim_id}/approve", data={"override_reason": ""})
    assert refused.status_code == 400
    assert "give an override reason" in text_of(refused)
    assert entry_count(app) == entries

    approved = finance.post(f"/finance/claims/{claim_id}/approve", data={"override_reason": OVERRIDE},
                            follow_redirects=True)
    text = text_of(approved)
    assert approved.status_code == 200
    assert f"Claim {claim_id} is approved" in text and "Status Approved" in text and OVERRIDE in text
    assert entry_count(app) == entries + 1

    balances = text_of(finance.get("/books/trial-balance"))
    assert "fees:project:GUIDE Co-production fees, project GUIDE expense £205.40" in balances
    assert f"owed:participant:{app_carer(app, claim_id)} Owed to participant" in balances


def app_carer(app, claim_id: int) -> int:
    with database(app) as session:
        return services.get_claim(session, claim_id).participant_id


def test_rejecting_and_returning_need_a_reason(finance, over_the_limit):
    claim_id = over_the_limit
    assert finance.post(f"/finance/claims/{claim_id}/reject", data={"reject-reason": ""}).status_code == 400

    returned = finance.post(f"/finance/claims/{claim_id}/return", data={"return-reason": "Which meeting was it?"},
                            follow_redirects=True)

    assert "is returned for more information" in text_of(returned)
    assert "Status Returned" in text_of(returned)


def test_finance_drafts_downloads_and_confirms_a_payment_run(app, finance, over_the_limit):
    finance.post(f"/finance/claims/{over_the_limit}/approve", data={"override_reason": OVERRIDE})
    today = dt.date.today()

    drafted = finance.post("/finance/payment-runs/draft",
                           data={"cutoff_date": today.isoformat(),
                                 "payment_date": (today + dt.timedelta(days=3)).isoformat()})
    assert drafted.status_code == 302
    run_page = finance.get(drafted.headers["Location"])
    text = text_of(run_page)
    assert "Siân Evans" in text and "£205.40" in text and "**-**-00 ****2222" in text
    assert "Flagged: Override needed" in text
    with database(app) as session:
        run = runs.list_payment_runs(session)[0]

    bacs = finance.get(f"/finance/payment-runs/{run.id}/bacs")
    assert bacs.status_code == 200 and bacs.mimetype == "text/plain"
    assert f'filename="{run.reference}.bacs.txt"' in bacs.headers["Content-Disposition"]
    assert bacs.headers["Cache-Control"] == "no-store"
    assert "11112222" in bacs.get_data(as_text=True)
    csv = finance.get(f"/finance/payment-runs/{run.id}/bank.csv")
    assert csv.status_code == 200 and "S EVANS" in csv.get_data(as_text=True)

    refused = finance.post(f"/finance/payment-runs/{run.id}/confirm", data={"bank_reference": "BANK-1"})
    assert refused.status_code == 400 and "Give an override reason" in text_of(refused)

    confirmed = finance.post(f"/finance/payment-runs/{run.id}/confirm",
                             data={"bank_reference": "BANK-1", "override_reason": OVERRIDE}, follow_redirects=True)
    text = text_of(confirmed)
    assert confirmed.status_code == 200, text
    assert f"Payment run {run.reference} is confirmed" in text and "Status Confirmed" in text
    assert "Download the Bacs file" not in text  # a paid run's file is never made again
    with database(app) as session:
        assert services.get_claim(session, over_the_limit).status == "paid"
    assert finance.get(f"/finance/payment-runs/{run.id}/report.pdf").data.startswith(b"%PDF")
    assert "Letters to post (PDF)" in text
    pack = finance.get(f"/finance/payment-runs/{run.id}/print-pack.pdf")
    assert pack.status_code == 200 and pack.data.startswith(b"%PDF")


def test_a_cancelled_run_gives_its_claims_back(app, finance, over_the_limit):
    today = dt.date.today()
    finance.post("/finance/payment-runs/draft", data={"cutoff_date": today.isoformat(),
                                                      "payment_date": today.isoformat()})
    with database(app) as session:
        run = runs.list_payment_runs(session)[0]

    assert finance.post(f"/finance/payment-runs/{run.id}/cancel", data={"cancel-reason": ""}).status_code == 400
    cancelled = finance.post(f"/finance/payment-runs/{run.id}/cancel",
                             data={"cancel-reason": "Drafted before the last approvals."}, follow_redirects=True)

    text = text_of(cancelled)
    assert "is cancelled; its claims wait for the next run" in text and "Status Cancelled" in text
    with database(app) as session:
        assert all(c.payment_run_id is None for c in services.list_claims(session, status="approved"))


def test_drafting_with_nothing_to_pay_says_so(finance, world):
    today = dt.date.today()
    response = finance.post("/finance/payment-runs/draft",
                            data={"cutoff_date": today.isoformat(), "payment_date": today.isoformat()})

    assert response.status_code == 409
    assert "There is nothing to pay" in text_of(response)


@pytest.mark.parametrize("path", ["/finance/claims", "/finance/payment-runs"])
def test_finance_pages_are_closed_to_participants(client, world, path):
    sign_in(client, "sian@example.org")

    assert client.get(path).status_code == 403


def test_the_claim_page_refuses_approval_while_a_line_over_the_amount_has_no_receipt_naming_it(app, finance, world):
    with database(app) as session:
        record, _ = services.create_expense_claim(
            session, participant_id=world.ann, activity_id=world.activity_id, idempotency_key="taxi", rules=RULES,
            actor_user_id=world.manager, lines=[{"category": "taxi", "description": "Taxi home", "amount": "32.00"}])
        services.submit_claim(session, record.id, actor_user_id=world.manager)
        line_id = record.lines[0].id
    entries = entry_count(app)

    refused = finance.post(f"/finance/claims/{record.id}/approve", data={})

    assert refused.status_code == 409
    assert (f"Expense lines over £25.00 need a receipt before the claim is approved: line {line_id} (Taxi home, "
            "£32.00" in text_of(refused))
    with database(app) as session:
        assert services.get_claim(session, record.id).status == "submitted"
    assert entry_count(app) == entries
