"""Erasure empties the person's free text in events, entries and postings, and ``ledger verify`` still holds and
still catches tampering with what it emptied (issue 16, item 3), on both backends."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from ledger.books import posting
from ledger.books.queries import trial_balance
from ledger.books.records import PostingLine
from ledger.books.verify import verify_books
from ledger.chain import audit
from ledger.chain.links import ERASED, text_sha
from ledger.chain.models import Redaction
from ledger.claims import services as claims
from ledger.db import Base
from ledger.events.models import Event
from ledger.payments import hold_actions
from ledger.privacy import erasure
from tests.factories import RULES, TODAY, PaymentsWorld

AFTER_RETENTION = dt.date(2032, 4, 6)
TYPED = "Ann-private-words"  # in everything typed about Ann; must be nowhere afterwards
BOBS = "Bob-private-words"  # typed about Bob, who is not erased


def _ann_with_typed_text(session) -> tuple[PaymentsWorld, int, int]:
    """Ann paid once, with words typed about her in a hold, its release, a rejection, a manual entry and its memo
    (and its reversal); Bob held with words of his own. Returns the world, Ann and Bob."""
    world = PaymentsWorld(session)
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    paid, refused = world.claim(ann, 4000), world.claim(ann, 1500, kind="expense")
    hold_actions.hold_claim(session, paid, actor_user_id=world.finance_id, reason=f"{TYPED}: receipt altered?")
    hold_actions.release_claim(session, paid, actor_user_id=world.finance_id, note=f"{TYPED}: her sister explained")
    claims.reject_claim(session, refused, reason=f"{TYPED}: the trip was for her hospital visit",
                        actor_user_id=world.finance_id, today=TODAY, rules=RULES)
    hold_actions.hold_claim(session, world.claim(bob, 1000), actor_user_id=world.finance_id, reason=f"{BOBS} here")
    world.confirm(world.draft().id)
    owed = f"owed:participant:{ann}"
    entry = posting.post_entry(session, effective_date=TODAY, description=f"{TYPED}: goodwill payment, bereavement",
                               postings=[PostingLine("fees:project:GUIDE", 500, "GBP", f"{TYPED} on the other leg"),
                                         PostingLine(owed, -500, "GBP", f"{TYPED} memo", kind="fee")],
                               idempotency_key="manual:goodwill", kind="manual")
    posting.reverse_entry(session, entry.id, effective_date=TODAY, idempotency_key="manual:goodwill:undo")
    session.commit()
    return world, ann, bob


def _everything(session) -> str:
    """Every value of every table, as text: where a typed word could still be."""
    values = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(sa.select(table)):
            values.extend(str(v) for v in row)
    return "\n".join(values)


def _problems(session) -> list[str]:
    session.expire_all()
    return [p.describe() for p in verify_books(session, audit.VERIFY_CHECKS).problems]


def _guards_down(session) -> None:
    """What someone with database access does first: switch the append-only triggers off for this transaction."""
    if session.bind.dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    else:
        for name in ("events_no_update", "redactions_no_update", "journal_entries_no_update"):
            session.execute(sa.text(f"DROP TRIGGER {name}"))


@pytest.fixture
def erased(session):
    world, ann, bob = _ann_with_typed_text(session)
    assert TYPED in _everything(session)
    assert not _problems(session)
    balances = trial_balance(session)
    erasure.erase_participant(session, ann, actor_user_id=world.finance_id, today=AFTER_RETENTION,
                              retention_years=6)
    session.commit()
    return world, ann, bob, balances


def test_erasure_empties_the_typed_words_everywhere_and_the_books_and_chain_still_hold(session, erased):
    _, ann, _, balances = erased
    dump = _everything(session)
    assert TYPED not in dump
    assert BOBS in dump  # Bob's words are his, not Ann's
    assert trial_balance(session) == balances
    assert _problems(session) == []
    fields = set(session.execute(sa.select(Redaction.record_type, Redaction.field)).all())
    assert {("event", "reason"), ("event", "note"), ("entry", "description"), ("posting", "memo")} <= fields
    event = session.execute(sa.select(Event).where(Event.action == "erase_personal_details")).scalar_one()
    assert event.details["redactions"] == session.execute(sa.select(sa.func.count()).select_from(Redaction)).scalar()
    assert event.details["not_erasable"] == 0
    # The history is still there, in the system's words: who held which claim, when.
    actions = session.execute(sa.select(Event.action, Event.reason).where(
        Event.participant_id == ann, Event.subject_type == "hold")).all()
    assert ("hold", ERASED) in actions and all(reason in (ERASED, None) for _, reason in actions)


def test_the_triggers_let_through_only_the_marker_where_a_redaction_covers_it(session, erased):
    bobs_hold = session.execute(sa.select(Event.id).where(Event.reason.like(f"{BOBS}%"))).scalar_one()
    anns = session.execute(sa.select(Redaction.record_id).where(Redaction.record_type == "event",
                                                                Redaction.field == "reason")).scalars().first()
    entry = session.execute(sa.select(Redaction.record_id).where(Redaction.record_type == "entry")).scalars().first()
    refused = [
        f"UPDATE events SET reason = '{ERASED}' WHERE id = {bobs_hold}",  # no redaction covers it
        f"UPDATE events SET reason = 'something else' WHERE id = {anns}",  # text, not the marker
        f"UPDATE events SET action = 'tampered', reason = '{ERASED}' WHERE id = {anns}",  # another column too
        f"UPDATE events SET reason = reason WHERE id = {anns}",  # the marker already: nothing to erase
        f"DELETE FROM events WHERE id = {anns}",
        f"UPDATE journal_entries SET description = 'rewritten' WHERE id = {entry}",
        f"UPDATE journal_entries SET kind = 'other' WHERE id = {entry}",
        "UPDATE redactions SET sha256 = 'x'",
        "DELETE FROM redactions",
    ]
    for statement in refused:
        with pytest.raises(sa.exc.DBAPIError, match=r"append-only|immutable"), session.begin_nested():
            session.execute(sa.text(statement))
    # The one update allowed (erasure itself went through it): a text set to the marker once a redaction covers it.
    session.execute(sa.insert(Redaction).values(record_type="event", record_id=bobs_hold, field="reason",
                                                sha256="0" * 64, erasure_event_id=anns))
    session.execute(sa.text(f"UPDATE events SET reason = '{ERASED}' WHERE id = {bobs_hold}"))
    assert session.execute(sa.select(Event.reason).where(Event.id == bobs_hold)).scalar_one() == ERASED


def test_text_written_back_over_an_erased_reason_is_reported_with_its_event(session, erased):
    anns = session.execute(sa.select(Redaction.record_id).where(Redaction.record_type == "event",
                                                                Redaction.field == "reason")).scalars().first()
    _guards_down(session)
    session.execute(sa.text(f"UPDATE events SET reason = '{TYPED}: put back' WHERE id = {anns}"))
    problems = _problems(session)
    assert any(re.search(rf"event {anns}: its reason was erased \(by erasure event \d+\) but holds text again", p)
               for p in problems), problems
    assert any(p.startswith(f"event {anns}: it is not what it was") for p in problems)


def test_a_reason_blanked_by_hand_is_reported_with_its_event(session, erased):
    bobs_hold = session.execute(sa.select(Event.id).where(Event.reason.like(f"{BOBS}%"))).scalar_one()
    _guards_down(session)
    session.execute(sa.text(f"UPDATE events SET reason = '{ERASED}' WHERE id = {bobs_hold}"))
    problems = _problems(session)
    assert (f"event {bobs_hold}: its reason says {ERASED} but no erasure covers it: the text was blanked outside "
            "the application. (check: erasure)") in problems
    assert any(p.startswith(f"event {bobs_hold}: it is not what it was") for p in problems)


def test_an_edited_redaction_row_is_reported_with_the_record_and_the_erasure(session, erased):
    row = session.execute(sa.select(Redaction).where(Redaction.record_type == "entry")).scalars().first()
    _guards_down(session)
    session.execute(sa.text(f"UPDATE redactions SET sha256 = '{'0' * 64}' WHERE id = {row.id}"))
    problems = _problems(session)
    assert any(p.startswith(f"entry {row.record_id}: its content no longer matches") for p in problems), problems
    assert any(p.startswith(f"entry {row.record_id}: it is not what it was") for p in problems)
    assert any(p.startswith(f"event {row.erasure_event_id}: the erasure committed to") for p in problems)


def test_a_forged_redaction_covering_a_blanked_text_is_reported(session, erased):
    bobs_hold, reason = session.execute(sa.select(Event.id, Event.reason).where(
        Event.reason.like(f"{BOBS}%"))).one()
    erasure_event = session.execute(sa.select(Event.id).where(Event.action == "erase_personal_details")).scalar_one()
    session.execute(sa.insert(Redaction).values(record_type="event", record_id=bobs_hold, field="reason",
                                                sha256=text_sha(reason), erasure_event_id=erasure_event))
    _guards_down(session)
    session.execute(sa.text(f"UPDATE events SET reason = '{ERASED}' WHERE id = {bobs_hold}"))
    problems = _problems(session)
    assert any(p.startswith(f"event {erasure_event}: the erasure committed to") for p in problems), problems
