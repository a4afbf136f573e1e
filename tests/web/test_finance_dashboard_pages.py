"""Finance's dashboard figures, the claims queue's filters, holding a payee picked by name, and a project manager's
activity scheduled in hours and minutes."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from ledger.claims import advances, services
from ledger.errors import PermissionDenied
from ledger.labels import PAY_BASIS_LABELS
from ledger.organisation import open_organisation_accounts
from ledger.payments import returns
from ledger.payments.models import Hold
from ledger.projects import services as projects
from ledger.projects.models import Activity
from ledger.reports.finance_dashboard import finance_dashboard
from policies.pay import BASES
from tests.factories import (
    PAY_ON,
    RULES,
    TODAY,
    PaymentsWorld,
    claims_world,
    database,
    draft_fee,
    make_project,
    sign_in,
    submitted_fee,
)


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def world(app):
    """Ann's fee is drafted (her choice still open); Siân's (a carer, over her limit with a £150 fee approved) and
    Kai's wait for approval; an advance to Kai was paid with receipts due on 10 June 2025."""
    with database(app) as session:
        built = claims_world(session)
        open_organisation_accounts(session)
        make_project(session, "OTHER", name="Another project")
        draft_fee(session, built, built.ann)
        first = submitted_fee(session, built, built.carer, built.flat_fee_activity_id)
        services.approve_claim(session, first, actor_user_id=built.finance2, actor_participant_id=None,
                               rules=RULES, today=dt.date.today())
        carer = submitted_fee(session, built, built.carer, built.london_activity_id)
        teen = submitted_fee(session, built, built.teen)
        advance = advances.request_advance(session, participant_id=built.teen, project_code=built.project_code,
                                           amount="40.00", purpose="Train to the panel", settle_by=dt.date(2025, 6, 10),
                                           today=TODAY, actor_user_id=built.manager)
        advances.approve_advance(session, advance.id, actor_user_id=built.finance, actor_participant_id=None,
                                 second_approval_above_pence=RULES.second_approval_above_pence, today=TODAY)
        advances.mark_advance_paid(session, advance.id, paid_by="cheque", reference="CHQ 1", paid_on=TODAY,
                                   actor_user_id=built.finance, today=TODAY)
        return {"world": built, "carer_claim": carer, "teen_claim": teen}


def test_dashboard_counts_what_waits_for_finance(app, world):
    with database(app) as session:
        before_due = finance_dashboard(session, today=dt.date(2025, 6, 9))
        figures = finance_dashboard(session, today=dt.date(2025, 6, 20))
    assert figures.claims_waiting == 2 and figures.claims_to_pay == 1 and figures.fees_waiting_for_choice == 1
    assert figures.claims_by_status == {"draft": 1, "submitted": 2, "approved": 1}
    assert figures.oldest_waiting_submitted_at is not None
    assert (before_due.advances_overdue, figures.advances_overdue, figures.advances_overdue_pence) == (0, 1, 4000)
    assert figures.draft_runs == () and figures.returns_not_repaid == 0
    assert figures.last_locked_month is None and figures.reopen_requests_waiting == 0


def test_dashboard_shows_a_draft_run_due_at_the_bank(app):
    with database(app) as session:
        payments = PaymentsWorld(session)
        payments.claim(payments.participant("Ann Smith"), 4000)
        run = payments.draft()
        early = finance_dashboard(session, today=TODAY - dt.timedelta(days=20))
        near = finance_dashboard(session, today=PAY_ON - dt.timedelta(days=3))
        late = finance_dashboard(session, today=PAY_ON)
    assert [r.reference for r in near.draft_runs] == [run.reference] and near.draft_runs[0].total_pence == 4000
    assert (early.runs_due, [r.id for r in near.runs_due]) == ((), [run.id])
    assert not near.runs_due[0].submission_passed and late.draft_runs[0].submission_passed


def test_dashboard_counts_a_returned_payment_until_it_is_paid_again(app):
    with database(app) as session:
        payments = PaymentsWorld(session)
        ann = payments.participant("Ann Smith")
        payments.claim(ann, 4000)
        run = payments.confirm(payments.draft().id)
        assert finance_dashboard(session, today=PAY_ON).returns_not_repaid == 0
        returns.record_payment_return(session, run.id, returns.ReturnRequest(
            payee_kind="participant", payee_id=ann, amount_pence=4000, returned_on=PAY_ON, reason="account_closed",
            bank_reference="RTN-1"), actor_user_id=payments.finance_id, today=PAY_ON)
        figures = finance_dashboard(session, today=PAY_ON)
    assert (figures.returns_not_repaid, figures.returns_not_repaid_pence, figures.claims_to_pay) == (1, 4000, 1)


@pytest.fixture
def finance(client, world):
    assert sign_in(client, "fin@example.org").status_code == 302
    return client


def test_finance_dashboard_page_names_the_figures(finance):
    page = finance.get("/finance")
    text = text_of(page)
    assert page.status_code == 200
    assert "Waiting for approval 2, the oldest submitted" in text
    assert "Fees waiting for the participant's choice 1" in text and "Advances overdue" in text
    assert 'href="/finance"' in finance.get("/", follow_redirects=True).get_data(as_text=True)  # in the navigation


def test_claims_queue_filters_by_person_status_project_and_benefit_flag(finance, world):
    carer, teen = world["carer_claim"], world["teen_claim"]

    def shown(**query) -> set[int]:
        page = finance.get("/finance/claims", query_string=query)
        assert page.status_code == 200
        return {int(n) for n in re.findall(r'href="/finance/claims/(\d+)"', page.get_data(as_text=True))}

    assert shown() == {carer, teen}
    assert shown(person="siân") == {carer} and shown(person="BROWN") == {teen} and shown(person="Nobody") == set()
    assert shown(project="GUIDE") == {carer, teen} and shown(project="OTHER") == set()
    assert finance.get("/finance/claims", query_string={"project": "NOPE"}).status_code == 400
    assert shown(benefit_flag="none") == {teen}  # Kai declared no benefits
    assert shown(benefit_flag="override") == {carer} == shown(benefit_flag="flagged")
    assert shown(benefit_flag="block") == set()
    assert len(shown(status="approved")) == 1 and shown(status="approved").isdisjoint({carer, teen})
    text = text_of(finance.get("/finance/claims", query_string={"person": "siân"}))
    assert "Siân Evans" in text and "Kai Brown" not in text and "Clear the filters" in text

    refused = finance.get("/finance/claims", query_string={"status": "lost"})
    assert refused.status_code == 400 and "Not a valid choice" in text_of(refused)


def test_claim_page_names_people_and_puts_the_benefit_check_in_a_card(finance, world):
    html = finance.get(f"/finance/claims/{world['carer_claim']}").get_data(as_text=True)
    assert 'class="govuk-summary-card" id="benefit-check"' in html and "Carer&#39;s Allowance" in html
    history = text_of(finance.get(f"/finance/claims/{world['carer_claim']}")).split("History", 1)[1]
    assert "Pam" in history and "(participant " not in history


def test_every_pay_basis_has_words_on_the_claim_page():
    assert set(PAY_BASIS_LABELS) == set(BASES)


def test_holding_a_payee_picked_by_name(app, finance, world):
    page = finance.get("/finance/holds").get_data(as_text=True)
    assert f'<option value="{world["world"].carer}">Siân Evans</option>' in page and "id number" not in page
    missing = finance.post("/finance/holds/payee", data={"payee_kind": "participant", "reason": "Check"})
    assert missing.status_code == 400 and "Choose who to hold." in text_of(missing)
    held = finance.post("/finance/holds/payee", data={"payee_kind": "participant",
                                                      "participant_id": str(world["world"].carer),
                                                      "reason": "Safeguarding review"}, follow_redirects=True)
    assert "Every claim of Siân Evans is on hold" in text_of(held)
    with database(app) as session:
        assert session.execute(select(Hold.payee_id)).scalars().all() == [world["world"].carer]


def test_manager_schedules_an_activity_in_hours_and_minutes(app, client, world):
    assert sign_in(client, "pm@example.org").status_code == 302
    form = {"kind": "advisory_meeting", "occurs_on-day": "1", "occurs_on-month": "7", "occurs_on-year": "2025",
            "duration_hours": "2", "duration_minutes": "30", "preparation_hours": "", "preparation_minutes": "45",
            "region": "uk"}
    empty = client.post("/projects/GUIDE/activities", data={**form, "duration_hours": "", "duration_minutes": ""})
    assert empty.status_code == 400 and "Enter how long the activity lasts" in text_of(empty)
    not_a_day = client.post("/projects/GUIDE/activities", data={**form, "occurs_on-month": "13"})
    assert not_a_day.status_code == 400 and "Enter a real date, like 14 12 2026." in text_of(not_a_day)
    done = client.post("/projects/GUIDE/activities", data=form)
    assert done.status_code == 302
    with database(app) as session:
        made = session.execute(select(Activity).order_by(Activity.id.desc()).limit(1)).scalar_one()
        assert (made.occurs_on, made.duration_minutes, made.preparation_minutes) == (dt.date(2025, 7, 1), 150, 45)


def test_a_manager_sets_up_their_own_project_and_cannot_give_it_to_someone_else(app, client, world):
    form = {"code": "peer-panel", "name": "Peer research panel", "cost_centre": "CC-4420", "budget": "8000",
            "starts_on-day": "1", "starts_on-month": "10", "starts_on-year": "2025"}
    assert sign_in(client, "pm@example.org").status_code == 302
    assert "Set up a project" in client.get("/projects").get_data(as_text=True)
    page = client.get("/projects/new").get_data(as_text=True)
    assert "You will manage this project" in page and "project_manager_user_id" not in page
    made = client.post("/projects/new", data={**form, "project_manager_user_id": "999"})  # ignored: theirs
    assert made.status_code == 302 and made.headers["Location"].endswith("/projects/PEER-PANEL")
    assert "Peer research panel" in client.get("/projects/PEER-PANEL").get_data(as_text=True)
    with database(app) as session:
        record = projects.get_project(session, "PEER-PANEL")
        assert (record.budget_pence, record.project_manager_user_id) == (800_000, world["world"].manager)
        with pytest.raises(PermissionDenied) as refused:
            projects.create_project(session, code="OTHER", name="Someone else's", cost_centre="CC-1",
                                    budget_pence=100, starts_on=dt.date(2025, 10, 1),
                                    project_manager_user_id=world["world"].finance,
                                    actor_user_id=world["world"].manager)
        assert "project_manager_user_id" in refused.value.fields


def test_finance_sets_up_a_project_for_a_manager(app, client, world):
    form = {"code": "mh-voices", "name": "Mental health voices", "cost_centre": "CC-4410", "budget": "12000",
            "starts_on-day": "1", "starts_on-month": "9", "starts_on-year": "2025",
            "project_manager_user_id": str(world["world"].manager)}
    assert sign_in(client, "fin@example.org").status_code == 302
    page = client.get("/projects/new").get_data(as_text=True)
    assert f'<option value="{world["world"].manager}">Pam</option>' in page
    refused = client.post("/projects/new", data={**form, "budget": "twelve"})
    assert refused.status_code == 400 and "Pounds and pence, like 12000" in text_of(refused)
    made = client.post("/projects/new", data=form)
    assert made.status_code == 302 and made.headers["Location"].endswith("/projects/MH-VOICES")
    with database(app) as session:
        record = projects.get_project(session, "MH-VOICES")
    assert (record.budget_pence, record.starts_on, record.project_manager_user_id) == (
        1_200_000, dt.date(2025, 9, 1), world["world"].manager)
