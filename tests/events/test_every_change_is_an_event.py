"""Every kind of change the audit log must show (issue 10 item 1) leaves an event of its kind, on both databases.

The walk makes each change through the service the pages, the API and the CLI call, in the order a year's
work would: bank details and benefits, a claim drafted, amended, approved over a benefit flag and paid in a
run, reversed and repaid, a claim held and released, an advance requested, approved and paid, a manual entry
proposed and approved by a second person, a month locked and reopened, a user invited, given roles and
deactivated, a token issued and revoked, and the log itself exported. After each step the kinds written since
the step before are compared with what that step must record, so a path that forgets ``record_events``
fails here by name, whichever it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from ledger.auth import admin, users
from ledger.books import manual, periods
from ledger.books.records import PostingLine
from ledger.claims import advances, corrections
from ledger.claims import services as claims
from ledger.events.audit import AuditFilters, audit_page, parse_filters, recorded_audit_csv
from ledger.events.models import Event
from ledger.organisation import BANK
from ledger.payments import hold_actions, returns, runs
from ledger.people import services as people
from tests.factories import (
    CIPHER,
    MEETING_DAY,
    RULEBOOK,
    RULES,
    TODAY,
    ClaimsWorld,
    approve,
    claims_world,
    draft_fee,
    requested_advance,
    with_policy,
)

PAY_ON = TODAY + dt.timedelta(days=7)
LATER = PAY_ON + dt.timedelta(days=3)
OVERRIDE = "Siân was told she would lose this week's Carer's Allowance and chose to be paid in full."


class Walk:
    """Each step's change, and the event kinds it wrote (those since the step before)."""

    def __init__(self, session):
        self.session = session
        self.mark = self._last()
        self.seen: set[str] = set()

    def _last(self) -> int:
        return self.session.execute(select(func.coalesce(func.max(Event.id), 0))).scalar_one()

    def step(self, expected: set[str], change: Callable[[], object]):
        """Make the change; every kind in ``expected`` must be among the events it wrote."""
        done = change()
        self.session.flush()
        written = {f"{s}.{a}" for s, a in self.session.execute(
            select(Event.subject_type, Event.action).where(Event.id > self.mark))}
        assert expected <= written, f"missing {sorted(expected - written)}; wrote {sorted(written)}"
        self.mark, self.seen = self._last(), self.seen | written
        return done


@pytest.fixture
def world(session) -> ClaimsWorld:
    built = claims_world(session)
    session.commit()
    return built


def _bank_and_benefits(walk: Walk, w: ClaimsWorld) -> None:
    for participant_id, name in ((w.ann, "Ann Jones"), (w.carer, "Sian Evans")):
        walk.step({"participant.set_bank_details"}, lambda p=participant_id, n=name: people.set_bank_details(
            walk.session, CIPHER, p, sort_code="20-00-00", account_number=f"{10_000_000 + p:08d}", account_name=n))
    walk.step({"group.set_bank_details"}, lambda: people.set_group_bank_details(
        walk.session, CIPHER, w.group_id, sort_code="40-00-00", account_number="87654321",
        account_name="Voices Together"))
    walk.step({"participant.declare_benefits"}, lambda: people.declare_benefits(
        walk.session, w.carer, benefits=[{"name": "carers_allowance", "week_start": "monday"}],
        declared_on=MEETING_DAY, today=MEETING_DAY))


def _claims_to_a_paid_run(walk: Walk, w: ClaimsWorld) -> tuple[int, int]:
    """Ann's fee drafted, amended and approved; Siân's fees approved, the second over her limit, by override."""
    session, rules = walk.session, with_policy(RULES, on_breach="override")
    fee = walk.step({"claim.draft"}, lambda: draft_fee(session, w))
    walk.step({"claim.submit"}, lambda: claims.submit_claim(session, fee, actor_user_id=w.manager))
    walk.step({"claim.amend"}, lambda: claims.amend_claim(session, fee, reason="Left an hour early",
                                                          actor_user_id=w.finance, rules=RULES, worked_minutes=180))
    walk.step({"claim.approve"}, lambda: approve(session, w, fee))
    meeting = draft_fee(session, w, w.carer, rules=rules)
    claims.submit_claim(session, meeting, actor_user_id=w.manager)
    approve(session, w, meeting, rules)
    film = draft_fee(session, w, w.carer, w.flat_fee_activity_id, rules=rules)
    claims.submit_claim(session, film, actor_user_id=w.manager)
    walk.step({"claim.approve"}, lambda: approve(session, w, film, rules, override_reason=OVERRIDE))
    assert walk.session.execute(select(Event.reason).where(Event.claim_id == film, Event.action == "approve")
                                ).scalar_one() == OVERRIDE
    run = walk.step({"payment_run.draft"}, lambda: runs.draft_payment_run(
        session, cutoff_date=TODAY, payment_date=PAY_ON, actor_user_id=w.finance, rulebook=RULEBOOK,
        settings=rules.policy, today=TODAY))
    paid = walk.step({"payment_run.override", "payment_run.confirm", "claim.pay"}, lambda: runs.confirm_payment_run(
        session, run.id, actor_user_id=w.finance, bank_reference="BACS-1", override_reason=OVERRIDE))
    (carer,) = [p for p in paid.payees if p.payee_id == w.carer]
    walk.step({"payment_run.payment_returned", "claim.payment_returned"}, lambda: returns.record_payment_return(
        session, run.id, returns.ReturnRequest(payee_kind="participant", payee_id=w.carer,
                                               amount_pence=carer.amount_pence, returned_on=LATER,
                                               reason="account_closed", bank_reference="RTN-1"),
        actor_user_id=w.finance, today=LATER))
    walk.step({"participant.set_bank_details"}, lambda: people.set_bank_details(
        session, CIPHER, w.carer, sort_code="30-00-00", account_number="22223333", account_name="Sian Evans"))
    return fee, run.id


def _corrections(walk: Walk, w: ClaimsWorld, fee: int) -> None:
    session = walk.session
    walk.step({"claim.reverse"}, lambda: corrections.reverse_paid_claim(
        session, fee, reason="Paid twice for the same meeting", actor_user_id=w.finance, today=LATER))
    walk.step({"claim.write_off_requested"}, lambda: corrections.request_write_off(
        session, fee, reason="Too small to chase", actor_user_id=w.finance, today=LATER))
    walk.step({"claim.write_off_approved", "claim.benefit_rechecked"}, lambda: corrections.approve_write_off(
        session, fee, actor_user_id=w.finance2, today=LATER, rules=RULES))


def _hold_and_release(walk: Walk, w: ClaimsWorld) -> None:
    session = walk.session
    held = approve(session, w, claims.submit_claim(session, draft_fee(session, w, w.teen),
                                                   actor_user_id=w.manager).id).claim.id
    walk.step({"hold.hold"}, lambda: hold_actions.hold_claim(session, held, actor_user_id=w.finance,
                                                               reason="Waiting for the register"))
    walk.step({"hold.release"}, lambda: hold_actions.release_claim(session, held, actor_user_id=w.finance,
                                                                   note="Register came in"))
    walk.step({"hold.hold"}, lambda: hold_actions.hold_payee(session, "participant", w.teen, actor_user_id=w.finance,
                                                               reason="Guardian to sign"))


def _advance(walk: Walk, w: ClaimsWorld) -> None:
    session = walk.session
    asked = walk.step({"advance.request"}, lambda: requested_advance(session, w))
    walk.step({"advance.approve"}, lambda: advances.approve_advance(
        session, asked.id, actor_user_id=w.finance, actor_participant_id=None, second_approval_above_pence=50_000,
        today=TODAY))
    walk.step({"advance.pay"}, lambda: advances.mark_advance_paid(
        session, asked.id, paid_by="cheque", reference="CHQ 100231", paid_on=TODAY, actor_user_id=w.finance,
        today=TODAY))


def _books(walk: Walk, w: ClaimsWorld) -> None:
    session = walk.session
    draft = manual.ManualDraft(TODAY, "Petty cash top-up", "Cash tin short at the meeting", "manual:walk-1",
                               (PostingLine("expenses:project:" + w.project_code, 60_000, "GBP"),
                                PostingLine(BANK, -60_000, "GBP")))
    proposed = walk.step({"manual_entry.propose"}, lambda: manual.submit_manual_entry(
        session, draft, actor_user_id=w.finance, second_approval_above_pence=50_000))
    walk.step({"manual_entry.approve"}, lambda: manual.approve_manual_entry(
        session, proposed.record.id, actor_user_id=w.finance2))
    may = dt.date(2025, 5, 1)
    walk.step({"period.lock"}, lambda: periods.close_month(session, may, reason="Reconciled", actor_user_id=w.finance,
                                                           today=TODAY))
    asked = walk.step({"period.reopen_request"}, lambda: periods.request_reopen(
        session, may, reason="A missed invoice", actor_user_id=w.finance))
    walk.step({"period.reopen_approve"}, lambda: periods.decide_reopen(session, asked.id, approve=True,
                                                                       actor_user_id=w.finance2))


def _people_who_sign_in(walk: Walk, w: ClaimsWorld) -> None:
    session = walk.session
    invited = walk.step({"user.invite"}, lambda: admin.invite_user(
        session, email="new@example.org", display_name="New Starter", roles=["finance"], actor_user_id=w.finance))
    walk.step({"user.set_roles"}, lambda: users.set_roles(session, invited.user.id, ["finance", "admin"],
                                                          actor_user_id=w.finance))
    token = walk.step({"api_token.issue"}, lambda: users.issue_token(session, w.finance2, "month-end script"))
    walk.step({"api_token.revoke"}, lambda: users.revoke_token(session, w.finance2, token.id))
    walk.step({"user.deactivate"}, lambda: admin.deactivate_user(session, invited.user.id, actor_user_id=w.finance,
                                                                 reason="Did not start"))
    session.commit()  # a download is a unit of work of its own: it ends the read, then commits its event
    walk.step({"export.download"}, lambda: list(recorded_audit_csv(session, AuditFilters(), via="cli",
                                                                   actor_user_id=w.finance)))


def _kinds(session, **query: str) -> list[str]:
    return [e["kind"] for e in audit_page(session, parse_filters(query), limit=200).events]


def _filters_find_them(session, w: ClaimsWorld, fee: int, run: int) -> None:
    """The log's filters find the walk again: one claim's life, one run's, one person's, one user's."""
    assert _kinds(session, claim_id=str(fee))[::-1] == [
        "claim.draft", "claim.submit", "claim.amend", "claim.approve", "claim.pay", "claim.reverse",
        "claim.write_off_requested", "claim.write_off_approved", "claim.benefit_rechecked"]
    in_run = set(_kinds(session, run_id=str(run)))
    assert {"payment_run.draft", "payment_run.override", "payment_run.confirm", "claim.pay",
            "payment_run.payment_returned", "claim.payment_returned"} <= in_run
    anns = set(_kinds(session, participant_id=str(w.ann)))
    assert {"claim.draft", "claim.pay", "participant.set_bank_details"} <= anns
    by_second = set(_kinds(session, user_id=str(w.finance2)))
    assert by_second >= {"claim.write_off_approved", "manual_entry.approve", "period.reopen_approve"}
    assert set(_kinds(session, kind="period")) == {"period.lock", "period.reopen_request", "period.reopen_approve"}


def test_every_state_change_and_money_movement_is_an_event_of_its_kind(session, world):
    walk = Walk(session)
    _bank_and_benefits(walk, world)
    fee, run = _claims_to_a_paid_run(walk, world)
    _corrections(walk, world, fee)
    _hold_and_release(walk, world)
    _advance(walk, world)
    _books(walk, world)
    _people_who_sign_in(walk, world)

    _filters_find_them(session, world, fee, run)
    # The item's list, subject by subject: each was walked above and wrote at least one event.
    subjects = {kind.split(".")[0] for kind in walk.seen}
    assert subjects >= {"claim", "payment_run", "advance", "manual_entry", "period", "hold", "user", "api_token",
                        "participant", "group", "export"}
