"""``verify_books`` re-checks every invariant and names what was broken, and where."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.books import posting
from ledger.books.verify import CHECKS, verify_books
from ledger.chain.audit import VERIFY_CHECKS
from tests.factories import JUNE_1, fee_entry, post

JULY = dt.date(2025, 7, 3)


def tamper(session: Session) -> None:
    """Let this transaction change what the database otherwise protects, as a careless admin might.

    On SQLite the guard triggers are dropped (inside the transaction, so a rollback restores them) and
    CHECK and foreign key constraints are set aside; on PostgreSQL triggers are switched off for the
    transaction (``session_replication_role``; the test user is a superuser).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        return
    for name in session.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('journal_entries', 'postings')"
    )).scalars().all():
        session.execute(text(f'DROP TRIGGER "{name}"'))
    session.execute(text("PRAGMA ignore_check_constraints = ON"))
    session.execute(text("PRAGMA defer_foreign_keys = ON"))


@pytest.fixture
def sound(books):
    """Sound books: fees, a payment, time credits, a corrected mistake. Returns the entries by name."""
    entries = {
        "fee": fee_entry(books, "fee-1", JUNE_1, 4500),
        "other fee": fee_entry(books, "fee-2", dt.date(2025, 6, 9), 3000, payee="owed:participant:2"),
        "credits": post(books, "credits-1", dt.date(2025, 6, 9), ("time:issued", 120), ("time:participant:1", -120),
                        ("fees:project:guide", 2500), ("owed:participant:1", -2500), kind="fee"),
        "payment": post(books, "pay-1", dt.date(2025, 6, 30), ("owed:participant:1", 4500), ("bank", -4500),
                        description="Payment run 1", kind="payment"),
        "mistake": fee_entry(books, "fee-wrong", dt.date(2025, 6, 12), 9900, payee="owed:group:1"),
    }
    entries["reversal"] = posting.reverse_entry(books, entries["mistake"].id, effective_date=JULY)
    books.commit()
    return entries


def _id(books, code: str) -> int:
    """The id of an account."""
    return books.execute(text("SELECT id FROM accounts WHERE code = :code"), {"code": code}).scalar_one()


def test_sound_books_pass_every_check(sound, books):
    report = verify_books(books)

    assert report.ok
    assert report.problems == ()
    assert (report.entries, report.postings, report.accounts) == (6, 14, 12)
    assert report.describe() == (
        "Verified the books: 6 entries, 14 postings, 12 accounts checked.\n"
        f"All {len(CHECKS)} checks passed."
    )


def test_empty_books_pass_every_check(session):
    assert verify_books(session).ok


# Each corruption: SQL run with the guards off, the checks that must fire, and what they must name.
# Placeholders: {fee} and the like are entry ids of the sound books; {bank} and the like account ids.
FEE_POSTING = "(SELECT min(id) FROM postings WHERE entry_id = {fee})"
CORRUPTIONS = {
    "an entry left with one posting": (
        f"DELETE FROM postings WHERE id = {FEE_POSTING}",
        {"two-postings", "balanced", "stored-balance", "daily-totals", "content-hash", "trial-balance"},
        ("entry", "fee")),
    "a posting's amount changed": (
        f"UPDATE postings SET amount = amount + 1 WHERE id = {FEE_POSTING}",
        {"balanced", "stored-balance", "daily-totals", "content-hash", "trial-balance"},
        ("entry", "fee")),
    "a posting in the wrong unit": (
        f"UPDATE postings SET unit = 'TIME' WHERE id = {FEE_POSTING}",
        {"account-unit", "balanced", "content-hash", "trial-balance"},
        ("account", "fees")),
    "a posting dated apart from its entry": (
        f"UPDATE postings SET effective_date = '2025-06-02' WHERE id = {FEE_POSTING}",
        {"posting-date", "daily-totals"},
        ("entry", "fee")),
    "a stored balance changed": (
        "UPDATE account_balances SET balance = balance + 7 WHERE account_id = {bank}",
        {"stored-balance", "trial-balance"},
        ("account", "bank")),
    "a stored postings count changed": (
        "UPDATE account_balances SET postings_count = 5 WHERE account_id = {bank}",
        {"stored-balance"},
        ("account", "bank")),
    "a stored balance row lost": (
        "DELETE FROM account_balances WHERE account_id = {owed2}",
        {"stored-balance", "trial-balance"},
        ("account", "owed2")),
    "a daily total lost": (
        "DELETE FROM account_daily_totals WHERE account_id = {bank}",
        {"daily-totals"},
        ("account", "bank")),
    "a daily total for a day without postings": (
        "INSERT INTO account_daily_totals (account_id, day, amount) VALUES ({bank}, '2025-06-15', 0)",
        {"daily-totals"},
        ("account", "bank")),
    "a daily total changed": (
        "UPDATE account_daily_totals SET amount = amount - 1 WHERE account_id = {bank}",
        {"daily-totals"},
        ("account", "bank")),
    "a reversal that is not the mirror of its original": (
        "UPDATE postings SET amount = amount * 2 WHERE entry_id = {reversal}",
        {"reversal-mirror", "stored-balance", "daily-totals", "content-hash"},
        ("entry", "reversal")),
    "a reversal of a reversal": (
        "UPDATE journal_entries SET reverses_entry_id = {reversal} WHERE id = {payment}",
        {"reversal-target", "reversal-mirror", "content-hash"},
        ("entry", "payment")),
    "a reversal of an entry that does not exist": (
        "UPDATE journal_entries SET reverses_entry_id = 999 WHERE id = {payment}",
        {"reversal-target", "reversal-mirror", "content-hash"},
        ("entry", "payment")),
    "a reversal of a later entry": (
        "UPDATE journal_entries SET reverses_entry_id = {payment} WHERE id = {fee}",
        {"reversal-target", "reversal-mirror", "content-hash"},
        ("entry", "fee")),
    "an entry's description changed": (
        "UPDATE journal_entries SET description = 'Something else' WHERE id = {fee}",
        {"content-hash"},
        ("entry", "fee")),
    "a memo added to a posting": (
        f"UPDATE postings SET memo = 'added later' WHERE id = {FEE_POSTING}",
        {"content-hash"},
        ("entry", "fee")),
    "an entry recorded into a month after it was locked": (
        "INSERT INTO locked_periods (month, locked_at) VALUES ('2025-06-01', '2000-01-01 00:00:00')",
        {"locked-period"},
        ("entry", "fee")),
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_verify_names_what_was_broken(sound, books, case):
    sql, expected_checks, (kind, name) = CORRUPTIONS[case]
    ids = {name: entry.id for name, entry in sound.items()} | {
        "bank": _id(books, "bank"), "owed2": _id(books, "owed:participant:2"), "fees": _id(books, "fees:project:guide")}
    tamper(books)
    books.execute(text(sql.format(**ids)))

    report = verify_books(books)

    assert not report.ok
    assert {p.check for p in report.problems} == expected_checks
    named = {p.entry_id for p in report.problems} if kind == "entry" else {p.account_id for p in report.problems}
    assert ids[name] in named
    assert "The books are NOT sound" in report.describe()


def test_verify_reports_a_zero_posting(sound, books):
    tamper(books)
    if books.get_bind().dialect.name == "postgresql":
        books.execute(text("ALTER TABLE postings DROP CONSTRAINT ck_postings_nonzero"))  # undone by the rollback
    books.execute(text(f"UPDATE postings SET amount = 0 WHERE entry_id = {sound['other fee'].id}"))

    report = verify_books(books)

    assert {p.check for p in report.problems} == {"non-zero", "stored-balance", "daily-totals", "content-hash"}
    assert [p.entry_id for p in report.problems if p.check == "non-zero"] == [sound["other fee"].id] * 2


@pytest.mark.postgres_only
def test_verify_reports_an_entry_reversed_twice(sound, books):
    tamper(books)
    books.execute(text("ALTER TABLE journal_entries DROP CONSTRAINT uq_journal_entries_reverses_entry_id"))
    books.execute(text(f"UPDATE journal_entries SET reverses_entry_id = {sound['mistake'].id} "
                       f"WHERE id = {sound['payment'].id}"))

    report = verify_books(books)

    twice = [p for p in report.problems if p.check == "reversed-once"]
    assert [(p.entry_id, p.message) for p in twice] == [
        (sound["mistake"].id, "is reversed 2 times; an entry may be reversed only once.")]


def test_verify_lists_a_limited_number_of_problems_of_one_kind(books, monkeypatch):
    monkeypatch.setattr("ledger.books.verify.MAX_PER_CHECK", 3)
    entries = [fee_entry(books, f"fee-{i}", JUNE_1, 100 + i) for i in range(5)]
    tamper(books)
    books.execute(text("UPDATE journal_entries SET description = 'Changed'"))

    problems = verify_books(books).problems

    assert [p.entry_id for p in problems[:3]] == [e.id for e in entries[:3]]
    assert problems[-1].message == "... and 2 more problem(s) of this kind not listed."
    assert len(problems) == 4


def test_describe_explains_each_problem_in_plain_words(sound, books):
    books.execute(text(f"UPDATE account_balances SET balance = balance + 7 WHERE account_id = {_id(books, 'bank')}"))

    text_report = verify_books(books).describe()

    assert text_report.splitlines()[0] == "Verified the books: 6 entries, 14 postings, 12 accounts checked."
    assert "2 problem(s) found by 2 of 13 checks (stored-balance, trial-balance):" in text_report
    assert (f"  - account {_id(books, 'bank')}: account bank has a stored balance of -4493 pence over 1 posting(s), "
            "but its postings add up to -4500 pence over 1. (check: stored-balance)") in text_report
    assert "  - the stored balances in GBP add up to 7 pence, not 0. (check: trial-balance)" in text_report


def test_flask_ledger_verify_passes_sound_books(sound, runner):
    result = runner.invoke(args=["ledger", "verify"])

    assert result.exit_code == 0, result.output
    assert "6 entries, 14 postings, 12 accounts checked" in result.output
    assert f"All {len(VERIFY_CHECKS)} checks passed." in result.output  # the books', the chain's, claims', payments'


def test_flask_ledger_verify_fails_with_a_report_when_books_were_tampered_with(sound, books, runner):
    books.execute(text(f"UPDATE account_balances SET balance = balance + 7 WHERE account_id = {_id(books, 'bank')}"))
    tamper(books)
    books.execute(text(f"UPDATE journal_entries SET description = 'Edited behind our back' "
                       f"WHERE id = {sound['fee'].id}"))
    books.commit()

    result = runner.invoke(args=["ledger", "verify"])

    assert result.exit_code == 1
    assert "The books are NOT sound" in result.output
    assert f"entry {sound['fee'].id}: its content no longer matches" in result.output
    assert "account bank has a stored balance of -4493 pence" in result.output
