"""The keyed chain: what someone with database access alone cannot do unnoticed, and the auditor's checkpoint."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ledger.books.verify import verify_books
from ledger.chain import audit
from ledger.chain import links as chain
from ledger.chain.models import ChainHead, ChainLink
from ledger.db import make_session_factory, unit_of_work
from ledger.events.records import NewEvent
from ledger.events.writer import record_event
from tests.factories import JUNE_1, PaymentsWorld, fee_entry, open_chart, post


def guards_off(session: Session) -> None:
    """Let this transaction change what the database protects, as someone with database access alone could."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        return
    for name in session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all():
        session.execute(text(f'DROP TRIGGER "{name}"'))
    session.execute(text("PRAGMA defer_foreign_keys = ON"))


def chain_problems(session: Session) -> list:
    return [p for p in verify_books(session, audit.VERIFY_CHECKS).problems
            if p.check in ("chain", "claims-agree", "payments-agree")]


@pytest.fixture
def linked(session):
    """Books with five entries and an event, committed (so linked)."""
    open_chart(session)
    entries = [fee_entry(session, f"fee-{i}", JUNE_1, 1000 * (i + 1)) for i in range(5)]
    record_event(session, NewEvent(subject="period", subject_id="2025-06", action="lock", actor_user_id=None,
                                   before="open", after="locked"))
    session.commit()
    return entries


def test_every_entry_and_event_is_linked_in_commit_order(linked, session):
    links = session.execute(select(ChainLink).order_by(ChainLink.seq)).scalars().all()
    entries = session.execute(text("SELECT count(*) FROM journal_entries")).scalar_one()
    events = session.execute(text("SELECT count(*) FROM events")).scalar_one()

    assert [link.seq for link in links] == list(range(1, entries + events + 1))
    assert {link.record_id for link in links if link.record_type == "entry"} == {e.id for e in linked}
    assert session.get(ChainHead, 1).seq == len(links)
    assert session.get(ChainHead, 1).link == links[-1].link
    report = verify_books(session, audit.VERIFY_CHECKS)
    assert report.ok, report.describe()


def test_a_savepoint_rolled_back_keeps_what_came_before_it_linked(session):
    open_chart(session)
    kept = fee_entry(session, "kept", JUNE_1, 500)
    savepoint = session.begin_nested()
    fee_entry(session, "undone", JUNE_1, 700)
    savepoint.rollback()
    session.commit()

    linked = session.execute(select(ChainLink.record_id).where(ChainLink.record_type == "entry")).scalars().all()
    assert linked == [kept.id]
    assert verify_books(session, audit.VERIFY_CHECKS).ok


def test_a_rolled_back_transaction_links_nothing(session):
    open_chart(session)
    session.commit()
    fee_entry(session, "gone", JUNE_1, 500)
    session.rollback()
    fee_entry(session, "kept", JUNE_1, 600)
    session.commit()

    assert session.execute(select(func.count()).select_from(ChainLink)).scalar_one() == 1
    assert verify_books(session, audit.VERIFY_CHECKS).ok


def test_a_balanced_edit_is_reported_at_its_entry(linked, session):
    target = linked[2]
    guards_off(session)
    # Both sides moved by the same amount, the stored balances and the unkeyed fingerprint made to match.
    for sign, code in ((1, "fees:project:guide"), (-1, "owed:participant:1")):
        session.execute(text("UPDATE postings SET amount = amount + :d WHERE entry_id = :e AND account_id = "
                             "(SELECT id FROM accounts WHERE code = :c)"), {"d": sign * 100, "e": target.id, "c": code})
    session.commit()

    problems = chain_problems(session)
    assert [(p.check, p.entry_id) for p in problems] == [("chain", target.id)]
    assert "changed afterwards" in problems[0].message


def test_a_deleted_entry_is_reported_by_its_number(linked, session):
    target = linked[1]
    guards_off(session)
    session.execute(text("DELETE FROM postings WHERE entry_id = :e"), {"e": target.id})
    session.execute(text("DELETE FROM journal_entries WHERE id = :e"), {"e": target.id})
    session.commit()

    problems = chain_problems(session)
    assert [(p.check, p.entry_id) for p in problems] == [("chain", target.id)]
    assert "deleted" in problems[0].message


def test_an_entry_inserted_outside_the_app_is_reported(linked, session):
    with Session(session.get_bind()) as outsider:  # a session of no factory: nothing links what it writes
        fee_entry(outsider, "outside", JUNE_1, 999)
        outsider.commit()
        inserted = outsider.execute(text("SELECT max(id) FROM journal_entries")).scalar_one()

    problems = chain_problems(session)
    assert [(p.check, p.entry_id) for p in problems] == [("chain", inserted)]
    assert "outside the application" in problems[0].message


def test_a_chain_rewritten_without_the_key_is_reported_where_it_starts(linked, session):
    """Edit an entry, then remake its link and every link after it, as someone without the key must guess it."""
    target = linked[1]
    guards_off(session)
    session.execute(text("UPDATE journal_entries SET description = 'Something else' WHERE id = :e"), {"e": target.id})
    start = session.execute(select(ChainLink.seq).where(ChainLink.record_type == "entry",
                                                        ChainLink.record_id == target.id)).scalar_one()
    rows = session.execute(select(ChainLink).where(ChainLink.seq >= start).order_by(ChainLink.seq)).scalars().all()
    previous = session.execute(select(ChainLink.link).where(ChainLink.seq == start - 1)).scalar_one()
    digests = dict(audit._entry_digests(session))
    guessed = b"not-the-key"
    for row in rows:
        digest = digests[row.record_id] if row.record_type == "entry" else row.digest
        previous = chain.make_link(guessed, previous, row.seq, row.record_type, row.record_id, digest)
        session.execute(text("UPDATE chain_links SET digest = :d, link = :l WHERE seq = :s"),
                        {"d": digest, "l": previous, "s": row.seq})
    session.execute(text("UPDATE chain_head SET link = :l"), {"l": previous})
    session.expunge_all()
    session.commit()

    problems = chain_problems(session)
    assert problems[0].entry_id == target.id
    assert f"link {start} does not hold" in problems[0].message
    assert all(p.check == "chain" for p in problems)


def test_an_edited_claim_amount_is_reported_at_its_accrual_entry(session):
    world = PaymentsWorld(session)
    claim_id = world.claim(world.participant("Ann"), 4500)
    session.commit()
    entry_id = session.execute(text("SELECT accrual_entry_id FROM claims WHERE id = :c"), {"c": claim_id}).scalar_one()
    assert chain_problems(session) == []
    guards_off(session)
    session.execute(text("UPDATE claims SET amount_pence = 45000 WHERE id = :c"), {"c": claim_id})
    session.commit()

    problems = chain_problems(session)
    assert [(p.check, p.entry_id) for p in problems] == [("claims-agree", entry_id)]
    assert f"claim {claim_id} says 45000 pence" in problems[0].message


def test_an_edited_payment_amount_is_reported_at_its_entry(session):
    world = PaymentsWorld(session)
    world.claim(world.participant("Ann"), 4500)
    run = world.draft()
    world.confirm(run.id)
    session.commit()
    payment_id, entry_id = session.execute(text("SELECT id, entry_id FROM payments")).one()
    assert verify_books(session, audit.VERIFY_CHECKS).ok
    guards_off(session)
    session.execute(text("UPDATE payments SET amount_pence = 1 WHERE id = :p"), {"p": payment_id})
    session.commit()

    assert [(p.check, p.entry_id) for p in chain_problems(session)] == [("payments-agree", entry_id)]


def test_an_edited_event_is_reported(linked, session):
    event_id = session.execute(text("SELECT max(id) FROM events")).scalar_one()
    guards_off(session)
    session.execute(text("UPDATE events SET to_status = 'open' WHERE id = :e"), {"e": event_id})
    session.commit()

    problems = chain_problems(session)
    assert len(problems) == 1 and problems[0].message.startswith(f"event {event_id}: ")


def test_records_from_before_the_chain_wait_for_the_seal(session):
    open_chart(session)
    fee_entry(session, "linked", JUNE_1, 300)
    session.commit()
    with Session(session.get_bind()) as before:  # as the books stood when migration 0025 ran
        fee_entry(before, "old-1", JUNE_1, 100)
        fee_entry(before, "old-2", JUNE_1, 200)
        before.commit()
    last = session.execute(text("SELECT max(id) FROM journal_entries")).scalar_one()
    session.execute(text("UPDATE chain_head SET before_chain_entry_id = :n"), {"n": last})
    session.commit()

    waiting = chain_problems(session)
    assert len(waiting) == 1 and "2 entry(s) from before the chain" in waiting[0].message
    assert audit.seal(session) == 2
    session.commit()
    assert audit.seal(session) == 0
    assert verify_books(session, audit.VERIFY_CHECKS).ok


def test_a_checkpoint_holds_after_later_entries_but_not_after_the_past_is_rewritten(linked, session):
    checkpoint = audit.make_checkpoint(session, at=dt.datetime(2026, 10, 1, 9, 30, tzinfo=dt.UTC))
    assert checkpoint["date"] == "1 October 2026"
    assert (checkpoint["entries"], checkpoint["events"]) == (5, 1)
    fee_entry(session, "later", JUNE_1, 100)
    session.commit()

    held = audit.check_checkpoint(session, checkpoint)
    assert held.ok, held.describe()
    assert "1 link(s) have been added since" in held.describe()

    forged = {**checkpoint, "head_seq": checkpoint["head_seq"] - 1}
    assert "signature does not match" in audit.check_checkpoint(session, forged).describe()

    guards_off(session)
    session.execute(text("UPDATE chain_links SET link = :l WHERE seq = 3"), {"l": "0" * 64})
    session.commit()
    broken = audit.check_checkpoint(session, checkpoint)
    assert not broken.ok
    assert any("link 3 does not hold" in p.message for p in broken.problems)


def test_a_checkpoint_reports_links_deleted_since(linked, session):
    checkpoint = audit.make_checkpoint(session)
    guards_off(session)
    session.execute(text("DELETE FROM chain_links WHERE seq = :s"), {"s": checkpoint["head_seq"]})
    session.execute(text("UPDATE chain_head SET seq = seq - 1"))
    session.commit()

    result = audit.check_checkpoint(session, checkpoint)
    assert any(f"no link {checkpoint['head_seq']} any more" in p.message for p in result.problems)


def test_another_key_finds_every_link_broken(linked, engine):
    with unit_of_work(make_session_factory(engine, "another key, thirty-two characters or more")) as other:
        problems = audit.check_chain(other)
    assert problems and "link 1 does not hold" in problems[0].message


@pytest.mark.postgres_only
def test_concurrent_writers_on_postgresql_never_fork_the_chain(database_url, session):
    from ledger.db import make_engine
    from tests.factories import all_at_once

    open_chart(session)
    session.commit()
    engine = make_engine(database_url, pool_size=10, max_overflow=0)
    factory = make_session_factory(engine)

    def write(i: int, ready) -> int:
        ready()
        for n in range(5):
            with unit_of_work(factory) as s:
                record_event(s, NewEvent(subject="period", subject_id=f"2025-{n + 1:02d}", action="note",
                                         actor_user_id=None))
                post(s, f"w{i}-{n}", JUNE_1, ("fees:project:guide", 100 + i), (f"owed:participant:{1 + i % 2}",
                                                                               -(100 + i)))
        return i

    try:
        assert all_at_once(10, write) == list(range(10))
    finally:
        engine.dispose()
    session.expire_all()
    assert session.execute(select(func.count()).select_from(ChainLink)).scalar_one() == 100
    report = verify_books(session, audit.VERIFY_CHECKS)
    assert report.ok, report.describe()


# ---------------------------------------------------------------- the commands


def test_verify_checkpoint_and_checkpoint_check_from_the_command_line(app, runner, tmp_path):
    from tests.factories import database

    with database(app) as session:
        open_chart(session)
        fee_entry(session, "fee-cli", JUNE_1, 4500)
    verified = runner.invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output
    assert f"All {len(audit.VERIFY_CHECKS)} checks passed." in verified.output

    path = tmp_path / "checkpoint.json"
    made = runner.invoke(args=["ledger", "checkpoint", "--out", str(path)])
    assert made.exit_code == 0, made.output
    assert json.loads(path.read_text())["entries"] == 1
    checked = runner.invoke(args=["ledger", "checkpoint-check", str(path)])
    assert checked.exit_code == 0 and "holds" in checked.output, checked.output

    path.write_text("[1, 2]")
    refused = runner.invoke(args=["ledger", "checkpoint-check", str(path)])
    assert refused.exit_code == 2 and "is not a checkpoint file" in refused.output

    with database(app) as session:
        guards_off(session)
        session.execute(text("UPDATE journal_entries SET description = 'Edited'"))
    broken = runner.invoke(args=["ledger", "verify"])
    assert broken.exit_code == 1
    assert "(check: chain)" in broken.output and "The books are NOT sound" in broken.output


def test_production_refuses_to_start_without_a_chain_key(monkeypatch, tmp_path):
    from cryptography.fernet import Fernet

    from ledger.config import from_environment
    from ledger.errors import ConfigurationError

    monkeypatch.setenv("LEDGER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("BANK_DETAILS_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/ledger")
    monkeypatch.delenv("LEDGER_CHAIN_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="LEDGER_CHAIN_KEY"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("LEDGER_CHAIN_KEY", "k" * 40)
    assert from_environment(str(tmp_path))["LEDGER_CHAIN_KEY"] == "k" * 40


def test_verification_and_checkpoints_over_the_api(app, client):
    from tests.factories import add_user, api_token_for, bearer, database

    finance = add_user(app, "fin@example.org", ["finance"])
    headers = bearer(api_token_for(app, finance))
    with database(app) as session:
        open_chart(session)
        fee_entry(session, "fee-api", JUNE_1, 4500)

    verified = client.get("/api/v1/verification", headers=headers)
    assert verified.status_code == 200 and verified.json["ok"] is True
    assert "check_chain" in verified.json["checks"]
    kept = client.get("/api/v1/checkpoint", headers=headers).json
    assert kept["entries"] == 1
    held = client.post("/api/v1/checkpoint-check", json=kept, headers=headers)
    assert held.status_code == 200 and held.json["ok"] is True, held.json

    bad = client.post("/api/v1/checkpoint-check", json={"head_seq": "x"}, headers=headers)
    assert bad.status_code == 400
    assert set(bad.json["error"]["fields"]) == {"head_seq", "head_link", "signature"}
    assert client.get("/api/v1/verification").status_code == 401

    with database(app) as session:
        guards_off(session)
        session.execute(text("UPDATE journal_entries SET description = 'Edited'"))
    broken = client.get("/api/v1/verification", headers=headers).json
    assert broken["ok"] is False
    assert {p["check"] for p in broken["problems"]} == {"content-hash", "chain"}
    assert client.post("/api/v1/checkpoint-check", json=kept, headers=headers).json["ok"] is False
