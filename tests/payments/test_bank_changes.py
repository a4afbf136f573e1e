"""Bank details changed after a run is drafted need a second finance person before the run's bank file is made or
the run confirmed: at the service layer, on the run's page, over the API and from the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.auth.models import User
from ledger.context import reload_settings
from ledger.errors import Conflict, PermissionDenied
from ledger.events.models import Event
from ledger.payments import bacs, bank_changes, runs
from ledger.people import services as people
from ledger.people.models import BankDetailChange
from tests.factories import (
    CIPHER,
    TODAY,
    PaymentsWorld,
    add_user,
    api_token_for,
    bearer,
    database,
    make_finance_user,
    make_user,
    sign_in,
)

ORIGINATOR = bacs.Originator(service_user_number="123456", name="Demo Council", sort_code="200000",
                             account_number="12345678")


def _changed_after_draft(session, world: PaymentsWorld, *, by: int | None = None):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    world.claim(bob, 3000)
    run = world.draft()
    people.set_bank_details(session, CIPHER, ann, sort_code="30-00-00", account_number="22223333",
                            account_name="Ann Smith", actor_user_id=by if by is not None else world.finance_id)
    change = session.execute(select(BankDetailChange.id).where(BankDetailChange.participant_id == ann)
                             .order_by(BankDetailChange.id.desc())).scalars().first()
    return run, ann, change


def test_a_change_after_drafting_holds_the_bank_file_and_confirmation_until_a_second_person_approves(session):
    world = PaymentsWorld(session)
    run, ann, change = _changed_after_draft(session, world)
    summary = runs.payment_run_summary(session, run.id)
    waiting = {p.payee_id: p.bank_change_awaiting_approval for p in summary.payees}
    assert waiting[ann].change_id == change and waiting[ann].account_number == "****3333"
    assert [p.payee_id for p in summary.payees if p.bank_change_awaiting_approval] == [ann]

    for make in (lambda: runs.bacs_file(session, run.id, ORIGINATOR, CIPHER, created_on=TODAY),
                 lambda: runs.bank_csv(session, run.id, CIPHER),
                 lambda: world.confirm(run.id)):
        nested = session.begin_nested()
        with pytest.raises(Conflict, match="second finance person") as refused:
            make()
        nested.rollback()
        assert refused.value.fields == {"bank_detail_changes": [change]}

    with pytest.raises(PermissionDenied, match="You changed these bank details"):
        bank_changes.approve_bank_details_change(session, change, actor_user_id=world.finance_id)
    second = make_finance_user(session, "grace@example.org").id
    approved = bank_changes.approve_bank_details_change(session, change, actor_user_id=second)
    assert approved.payee_id == ann
    with pytest.raises(Conflict, match="approved already"):
        bank_changes.approve_bank_details_change(session, change, actor_user_id=second)
    event = session.execute(select(Event).where(Event.action == "approve_bank_details")).scalar_one()
    assert (event.actor_user_id, event.participant_id, event.details["change_id"]) == (second, ann, change)
    assert "22223333" not in str(event.details)

    assert runs.payment_run_summary(session, run.id).payees[0].bank_change_awaiting_approval is None
    assert bacs.parse_standard18(runs.bacs_file(session, run.id, ORIGINATOR, CIPHER, created_on=TODAY))
    assert world.confirm(run.id).status == "confirmed"


def test_the_payee_cannot_approve_their_own_new_details_nor_can_anyone_but_finance(session):
    world = PaymentsWorld(session)
    _run, ann, change = _changed_after_draft(session, world)
    payee_in_finance = make_user(session, "ann@example.org", ["finance", "participant"], participant_id=ann).id
    with pytest.raises(PermissionDenied, match="your own bank details"):
        bank_changes.approve_bank_details_change(session, change, actor_user_id=payee_in_finance)
    manager = make_user(session, "pm@example.org", ["project_manager"]).id
    with pytest.raises(PermissionDenied, match="Only a finance user"):
        bank_changes.approve_bank_details_change(session, change, actor_user_id=manager)


def test_details_changed_before_the_draft_need_no_second_person(session):
    world = PaymentsWorld(session)
    ann = world.participant("Ann Smith")
    people.set_bank_details(session, CIPHER, ann, sort_code="30-00-00", account_number="22223333",
                            account_name="Ann Smith", actor_user_id=world.finance_id)
    world.claim(ann, 4000)
    run = world.draft()
    assert runs.payment_run_summary(session, run.id).payees[0].bank_change_awaiting_approval is None
    assert world.confirm(run.id).status == "confirmed"


def test_the_run_page_api_and_cli_show_why_and_offer_the_approval(app, client, runner):
    app.config["LEDGER_TODAY"] = TODAY.isoformat()
    reload_settings(app)
    with database(app) as session:
        world = PaymentsWorld(session)
        run, _ann, change = _changed_after_draft(session, world)
        run_id = run.id
    add_user(app, "grace@example.org", ["finance"])
    sign_in(client, "grace@example.org")
    page = client.get(f"/finance/payment-runs/{run_id}").get_data(as_text=True)
    assert "Bank details changed since this run was drafted" in page
    assert f"/finance/payment-runs/{run_id}/bank-changes/{change}/approve" in page
    assert "Download the Bacs file" not in page
    refused = client.get(f"/finance/payment-runs/{run_id}/bacs")
    assert refused.status_code == 409 and "second finance person" in refused.get_data(as_text=True)

    token = api_token_for(app, add_user(app, "other@example.org", ["finance"]))
    shown = client.get(f"/api/v1/payment-runs/{run_id}", headers=bearer(token)).get_json()
    assert [p["bank_change_awaiting_approval"]["change_id"] for p in shown["payees"]
            if p["bank_change_awaiting_approval"]] == [change]
    blocked = client.get(f"/api/v1/payment-runs/{run_id}/bacs", headers=bearer(token))
    assert blocked.status_code == 409
    assert blocked.get_json()["error"]["fields"] == {"bank_detail_changes": [change]}
    cli = runner.invoke(args=["payments", "show", str(run_id), "--as-user", "other@example.org"])
    assert f"approve-bank-change {change}" in cli.output

    approved = client.post(f"/finance/payment-runs/{run_id}/bank-changes/{change}/approve")
    assert approved.status_code == 302
    again = client.post(f"/api/v1/bank-detail-changes/{change}/approve", headers=bearer(token))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert client.get(f"/api/v1/payment-runs/{run_id}/bacs", headers=bearer(token)).status_code == 200


def test_the_command_line_approves_and_refuses_the_one_who_changed_them(app, runner):
    with database(app) as session:
        world = PaymentsWorld(session)
        changer = session.get(User, world.finance_id).email
        _run, _ann, change = _changed_after_draft(session, world)
    add_user(app, "grace@example.org", ["finance"])
    same = runner.invoke(args=["payments", "approve-bank-change", str(change), "--as-user", changer])
    assert same.exit_code != 0 and "You changed these bank details" in same.output
    done = runner.invoke(args=["payments", "approve-bank-change", str(change), "--as-user",
                               "grace@example.org"])
    assert done.exit_code == 0 and "Approved the new bank details of Ann Smith" in done.output
