"""Exports an auditor can check with independent tools: hledger and beancount agree with our trial balance."""

from __future__ import annotations

import ast
import csv
import io
import itertools
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data as beancount_data
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ledger.books import posting, queries
from ledger.books.export import account_component, account_name, export_journal, format_amount, readable_names
from ledger.books.export import hledger_text as hledger_escape
from ledger.books.models import JournalEntry
from ledger.books.units import UNITS
from ledger.errors import ValidationError
from tests.factories import CHART, JUNE_1, fee_entry, post, record_a_year

IN_CI = os.environ.get("CI", "").lower() == "true"
BEAN_CHECK = Path(sys.executable).parent / "bean-check"  # installed beside pytest, from beancount on PyPI
COMPONENT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")


def _hledger() -> str:
    found = shutil.which("hledger")
    if found is None:
        message = "hledger is not installed (Debian package 'hledger')"
        if IN_CI:
            pytest.fail(message + "; CI=true needs it", pytrace=False)
        pytest.skip(message)
    return found


# ---------------------------------------------------------------- names, amounts, text


@pytest.mark.parametrize(("type_", "code", "name"), [
    ("liability", "owed:p1", "Liabilities:Owed:P1"),
    ("liability", "owed:participant:12", "Liabilities:Owed:Participant:12"),
    ("asset", "bank", "Assets:Bank"),
    ("income", "grant:council", "Income:Grant:Council"),
    ("expense", "fees:project:dementia-guide", "Expenses:Fees:Project:Dementia-guide"),
    ("equity", "equity:opening", "Equity:Equity:Opening"),
    ("expense", "fees:project:2025", "Expenses:Fees:Project:2025"),
    ("expense", "fees:project:Training_Course", "Expenses:Fees:Project:XXTraining-5F-Course"),
    ("liability", "owed:P1", "Liabilities:Owed:XXP1"),
    ("expense", "fees:project:GUIDE", "Expenses:Fees:Project:GUIDE"),
    ("expense", "fees:project:PRJ-2025", "Expenses:Fees:Project:PRJ-2025"),
    ("expense", "fees:project:XXGUIDE", "Expenses:Fees:Project:XXXXGUIDE"),
    ("expense", "fees:project:XX", "Expenses:Fees:Project:XXXX"),
    ("liability", "owed:x-y", "Liabilities:Owed:X-y"),
    ("liability", "owed:X--Y", "Liabilities:Owed:X--Y"),
    ("liability", "owed:Ab-c", "Liabilities:Owed:XXAb--c"),
    ("asset", "café", "Assets:XXcaf-E9-"),
])
def test_account_names_follow_the_account_type_and_code(type_, code, name):
    assert account_name(type_, code) == name


PARTS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Zs", "Cc", "Cs")), max_size=8),
    st.text("aApPxX01-_é", max_size=6),  # few letters, so that near-collisions are tried often
)
CODES = st.lists(PARTS, min_size=1, max_size=4).map(":".join)


@given(CODES, CODES)
def test_different_account_codes_never_share_an_exported_name(first, second):
    names = (account_name("asset", first), account_name("asset", second))
    assert (names[0] == names[1]) == (first == second)
    for name in names:
        assert all(COMPONENT.fullmatch(part) for part in name.split(":")), name


def test_every_short_code_part_has_a_name_of_its_own():
    names = {}
    for length in range(5):
        for part in map("".join, itertools.product("aAxX0-_", repeat=length)):
            name = account_component(part)
            assert COMPONENT.fullmatch(name), (part, name)
            assert names.setdefault(name, part) == part, f"{part!r} and {names[name]!r} both become {name}"


@pytest.mark.parametrize(("amount", "unit", "text"), [
    (1234, "GBP", "12.34 GBP"), (-1234, "GBP", "-12.34 GBP"), (5, "GBP", "0.05 GBP"), (-5, "GBP", "-0.05 GBP"),
    (100, "GBP", "1.00 GBP"), (123_456_789_01, "GBP", "123456789.01 GBP"),
    (90, "TIME", "90 TCMIN"), (-20, "TIME", "-20 TCMIN"),
])
def test_amounts_are_written_in_pounds_and_in_minutes(amount, unit, text):
    assert format_amount(amount, unit) == text


TRICKY = ['He said "no"', "back\\slash \\n not a newline", "two\nlines\r\nand\ttab", "semi; colon", " padded  ",
          "(code?) *x* !y | z", "Zoë's café ☕ £4.50", "bell\x07"]


@pytest.mark.parametrize("description", TRICKY)
def test_hledger_descriptions_stay_on_one_line_and_can_be_read_back(description):
    text = hledger_escape(description)

    assert "\n" not in text and "\r" not in text and ";" not in text and text == text.strip()
    assert ast.literal_eval('"' + text.replace('"', '\\"') + '"') == description


def _post_tricky(books) -> dict[int, str]:
    return {post(books, f"tricky-{i}", JUNE_1, ("bank", 100 + i, f"memo: {text}"), ("equity:opening", -100 - i),
                 description=text).id: text for i, text in enumerate(TRICKY)}


def test_tricky_descriptions_and_memos_read_back_exactly_in_beancount(books, tmp_path):
    ours = _post_tricky(books)
    books.commit()
    path = tmp_path / "books.beancount"

    _export(books, "beancount", path)

    _, transactions = _beancount_balances(path)
    assert {int(t.meta["entry_id"]): t.narration for t in transactions} == ours
    assert {int(t.meta["entry_id"]): t.postings[0].meta["memo"] for t in transactions} == {
        entry_id: f"memo: {text}" for entry_id, text in ours.items()}


def test_tricky_descriptions_read_back_exactly_in_hledger(books, tmp_path):
    ours = _post_tricky(books)
    books.commit()
    path = tmp_path / "books.journal"

    _export(books, "hledger", path)

    assert _hledger_descriptions(path) == ours


def test_an_unknown_export_format_is_refused(session):
    with pytest.raises(ValidationError, match="hledger, beancount"):
        export_journal(session, "ledger-cli", io.StringIO())


# ---------------------------------------------------------------- whole journals, checked by the tools


def _expected(session) -> dict[tuple[str, str], Decimal]:
    """Our trial balance, in the exported names, commodities and units."""
    expected = {}
    for row in queries.trial_balance(session).rows:
        unit = UNITS[row.account.unit]
        scale = unit.minor_per_major if unit.export_commodity == unit.code else 1
        expected[account_name(row.account.type, row.account.code), unit.export_commodity] = (
            Decimal(row.balance) / scale)
    return expected


def _hledger_balances(path: Path) -> dict[tuple[str, str], Decimal]:
    out = subprocess.run([_hledger(), "-f", str(path), "balance", "--flat", "--no-total", "--empty",
                          "--layout=bare", "-O", "csv"], capture_output=True, text=True, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["account", "commodity", "balance"]
    return {(account, commodity): Decimal(amount) for account, commodity, amount in rows[1:] if commodity}


def _hledger_descriptions(path: Path) -> dict[int, str]:
    """Entry id (each transaction's code) and description, as hledger reads them, unescaped."""
    out = subprocess.run([_hledger(), "-f", str(path), "print", "-O", "csv"], capture_output=True, text=True,
                         check=True).stdout
    return {int(row["code"]): ast.literal_eval('"' + row["description"].replace('"', '\\"') + '"')
            for row in csv.DictReader(io.StringIO(out))}


def _beancount_balances(path: Path) -> tuple[dict[tuple[str, str], Decimal], list]:
    entries, errors, _options = loader.load_file(str(path))
    assert errors == []
    balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    transactions = [e for e in entries if isinstance(e, beancount_data.Transaction)]
    for transaction in transactions:
        for line in transaction.postings:
            balances[line.account, line.units.currency] += line.units.number
    return dict(balances), transactions


def _assert_same_balances(tool: dict, expected: dict, name: str) -> None:
    for key, amount in expected.items():
        assert tool.get(key, Decimal(0)) == amount, f"{name} has {key} at {tool.get(key)}, we have {amount}"
    extra = {key: amount for key, amount in tool.items() if key not in expected and amount != 0}
    assert extra == {}, f"{name} has balances on accounts we do not know: {extra}"


def _export(session, fmt: str, path: Path) -> int:
    with path.open("w", encoding="utf-8") as stream:
        return export_journal(session, fmt, stream)


@pytest.fixture
def year(session):
    summary = record_a_year(session)
    session.commit()
    return summary


def test_hledger_agrees_with_our_trial_balance_over_a_year_of_books(session, year, tmp_path):
    path = tmp_path / "books.journal"

    written = _export(session, "hledger", path)

    assert written == posting.count_entries(session) == year.entries
    assert 250 <= written <= 600 and year.reversals >= 3
    expected = _expected(session)
    assert {commodity for _, commodity in expected} == {"GBP", "TCMIN"}
    _assert_same_balances(_hledger_balances(path), expected, "hledger")
    # Every account is declared, every commodity too, and the dates run in order.
    subprocess.run([_hledger(), "-f", str(path), "check", "accounts", "commodities", "ordereddates"],
                   capture_output=True, text=True, check=True)
    # Each transaction's code is our entry id, and each description reads back exactly.
    ours = dict(session.execute(select(JournalEntry.id, JournalEntry.description)).all())
    assert all(any(c in d for d in ours.values()) for c in '"\\\n;(')  # the year has tricky descriptions
    assert _hledger_descriptions(path) == ours


def test_beancount_agrees_with_our_trial_balance_over_a_year_of_books(session, year, tmp_path):
    path = tmp_path / "books.beancount"

    written = _export(session, "beancount", path)

    balances, transactions = _beancount_balances(path)
    assert written == len(transactions) == year.entries
    _assert_same_balances(balances, _expected(session), "beancount")
    # Metadata carries the entry id, key and reversal links; descriptions come back exactly.
    ours = {e.id: e for e in session.execute(select(JournalEntry)).scalars()}
    for transaction in transactions:
        entry = ours[int(transaction.meta["entry_id"])]
        assert transaction.narration == entry.description
        assert transaction.meta["idempotency_key"] == entry.idempotency_key
        assert transaction.date == entry.effective_date
        if entry.reverses_entry_id is not None:
            assert int(transaction.meta["reverses_entry_id"]) == entry.reverses_entry_id
            assert transaction.links == {f"entry-{entry.reverses_entry_id}"}
    result = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_export_is_in_effective_date_then_entry_order(books, tmp_path):
    late = fee_entry(books, "late", JUNE_1.replace(day=20), 100)
    early = fee_entry(books, "early", JUNE_1.replace(day=2), 200)
    same_day = fee_entry(books, "same-day", JUNE_1.replace(day=20), 300)
    books.commit()
    path = tmp_path / "books.beancount"

    _export(books, "beancount", path)

    _, transactions = _beancount_balances(path)
    assert [int(t.meta["entry_id"]) for t in transactions] == [early.id, late.id, same_day.id]


def test_an_account_posted_to_before_it_was_opened_is_opened_in_time(books, tmp_path):
    """Accounts are created today, but entries may be dated earlier: beancount must still accept them."""
    post(books, "old", JUNE_1.replace(year=2020), ("bank", 500), ("equity:opening", -500), kind="opening")
    books.commit()
    path = tmp_path / "books.beancount"

    _export(books, "beancount", path)

    assert _beancount_balances(path)[0][("Assets:Bank", "GBP")] == Decimal("5.00")


def test_a_closed_account_is_closed_after_its_last_posting(books, tmp_path):
    fee_entry(books, "fee", JUNE_1, 4500, payee="owed:participant:2")
    post(books, "paid", JUNE_1.replace(day=30), ("owed:participant:2", 4500), ("bank", -4500), kind="payment")
    posting.close_account(books, "owed:participant:2")
    books.commit()
    path = tmp_path / "books.beancount"

    _export(books, "beancount", path)

    assert "close Liabilities:Owed:Participant:2" in path.read_text()
    assert _beancount_balances(path)[0][("Liabilities:Owed:Participant:2", "GBP")] == 0


def test_empty_books_export_to_journals_both_tools_accept(session, tmp_path):
    for fmt, name in (("hledger", "empty.journal"), ("beancount", "empty.beancount")):
        assert _export(session, fmt, tmp_path / name) == 0
    assert _beancount_balances(tmp_path / "empty.beancount")[0] == {}
    assert _hledger_balances(tmp_path / "empty.journal") == {}


def test_flask_ledger_export_writes_a_file_beancount_accepts(books, runner, tmp_path):
    fee_entry(books, "fee", JUNE_1, 4500)
    books.commit()
    path = tmp_path / "out.beancount"

    result = runner.invoke(args=["ledger", "export", "--format", "beancount", "--out", str(path)])

    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote 1 entries to {path}.\n"
    assert _beancount_balances(path)[0][("Liabilities:Owed:Participant:1", "GBP")] == Decimal("-45.00")


def test_flask_ledger_export_writes_hledger_to_standard_output(books, runner):
    fee_entry(books, "fee", JUNE_1, 4500)
    books.commit()

    result = runner.invoke(args=["ledger", "export", "--format", "hledger"])

    assert result.exit_code == 0, result.output
    assert "2025-06-01 * (1) Fee for the advisory group  ; kind:fee\n" in result.output
    assert "    Liabilities:Owed:Participant:1  -45.00 GBP\n" in result.output


@pytest.mark.slow
def test_the_demo_books_export_to_hledger_and_beancount_with_the_same_balances(runner, session, tmp_path):
    """The issue's audit check, end to end: demo data in, verify, export both ways, three tools agree."""
    demo = runner.invoke(args=["ledger", "demo"])
    assert demo.exit_code == 0, demo.output
    verify = runner.invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0, verify.output
    journal, beancount_file = tmp_path / "demo.journal", tmp_path / "demo.beancount"
    named = tmp_path / "named.beancount"
    for fmt, path, names in (("hledger", journal, "--coded"), ("beancount", beancount_file, "--coded"),
                             ("beancount", named, "--readable")):
        result = runner.invoke(args=["ledger", "export", "--format", fmt, names, "--out", str(path)])
        assert result.exit_code == 0, result.output

    expected = _expected(session)
    assert posting.count_entries(session) >= 100
    _assert_same_balances(_hledger_balances(journal), expected, "hledger")
    _assert_same_balances(_beancount_balances(beancount_file)[0], expected, "beancount")
    checked = subprocess.run([str(BEAN_CHECK), str(beancount_file)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # With people's and projects' names: the same total per commodity (zero), and beancount accepts it.
    readable, _ = _beancount_balances(named)
    assert readable and sum(v for (_, c), v in readable.items() if c == "GBP") == 0
    assert any("Participant:" in a and not a.rsplit(":", 1)[-1].isdigit() for a, _ in readable)
    checked = subprocess.run([str(BEAN_CHECK), str(named)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# ---------------------------------------------------------------- a date range, and readable names


def _three_months(books) -> None:
    """A fee in May, one in June and one in July, the May fee paid in June, time credits in May."""
    fee_entry(books, "may", JUNE_1.replace(month=5, day=10), 4500)
    fee_entry(books, "june", JUNE_1.replace(day=12), 3000, payee="owed:participant:2")
    post(books, "pay-may", JUNE_1.replace(day=20), ("owed:participant:1", 4500), ("bank", -4500), kind="payment")
    post(books, "grant", JUNE_1.replace(month=5, day=1), ("bank", 100_000), ("grant:council", -100_000),
         kind="grant")
    post(books, "time", JUNE_1.replace(month=5, day=2), ("time:participant:1", -90), ("time:issued", 90),
         kind="time_credits")
    fee_entry(books, "july", JUNE_1.replace(month=7, day=3), 1500)
    books.commit()


def test_a_june_export_opens_with_the_balances_brought_forward_and_ends_with_june_s_trial_balance(books, tmp_path):
    _three_months(books)
    june = (JUNE_1, JUNE_1.replace(day=30))
    expected = {(account_name(r.account.type, r.account.code), UNITS[r.account.unit].export_commodity):
                Decimal(r.balance) / (100 if r.account.unit == "GBP" else 1)
                for r in queries.trial_balance(books, as_of=june[1]).rows}
    journal, ledger_file = tmp_path / "june.journal", tmp_path / "june.beancount"
    for fmt, path in (("hledger", journal), ("beancount", ledger_file)):
        with path.open("w", encoding="utf-8") as stream:
            assert export_journal(books, fmt, stream, start=june[0], end=june[1]) == 2  # the June fee and payment

    _assert_same_balances(_hledger_balances(journal), expected, "hledger")
    balances, transactions = _beancount_balances(ledger_file)
    _assert_same_balances(balances, expected, "beancount")
    assert transactions[0].narration == "Opening balances"
    assert {t.date for t in transactions} == {JUNE_1, JUNE_1.replace(day=12), JUNE_1.replace(day=20)}
    assert ("Liabilities:Owed:Participant:1", "GBP") in balances  # brought forward, paid in June: now 0
    checked = subprocess.run([str(BEAN_CHECK), str(ledger_file)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    subprocess.run([_hledger(), "-f", str(journal), "check", "accounts", "commodities", "ordereddates"],
                   capture_output=True, text=True, check=True)


def test_a_range_that_ends_before_it_starts_is_refused_naming_to(session):
    with pytest.raises(ValidationError) as refused:
        export_journal(session, "hledger", io.StringIO(), start=JUNE_1, end=JUNE_1.replace(month=5))
    assert refused.value.fields == {"to": ["The last day must be on or after the first day."]}


def test_readable_names_use_people_s_names_and_two_people_of_one_name_never_meet(books, tmp_path):
    _three_months(books)
    labels = {"owed:participant:1": "Jane Smith", "owed:participant:2": "Jane Smith",
              "time:participant:1": "Zoë O'Brien", "fees:project:guide": "Dementia guide",
              "advance:participant:1": "Expenses:Guide", "bank": "Project"}
    path = tmp_path / "named.beancount"
    with path.open("w", encoding="utf-8") as stream:
        export_journal(books, "beancount", stream, labels=labels)

    balances, _ = _beancount_balances(path)
    assert balances[("Liabilities:Owed:Participant:Jane-Smith-1", "GBP")] == Decimal("-15.00")  # the July fee
    assert balances[("Liabilities:Owed:Participant:Jane-Smith-2", "GBP")] == Decimal("-30.00")
    assert balances[("Liabilities:Time:Participant:Zoe-O-Brien", "TCMIN")] == -90
    assert balances[("Expenses:Fees:Project:Dementia-guide", "GBP")] == Decimal("90.00")
    text = path.read_text()
    assert 'code: "owed:participant:1"' in text and 'code: "owed:participant:2"' in text  # ids kept as metadata
    checked = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@settings(max_examples=50)
@given(st.dictionaries(st.sampled_from(sorted(CHART)), st.text(max_size=6), max_size=len(CHART)))
def test_readable_names_are_always_valid_and_never_shared(labels):
    names = readable_names({code: (type_, "") for code, (_, type_, _) in CHART.items()}, labels)
    assert len(set(names.values())) == len(CHART)
    for name in names.values():
        assert all(COMPONENT.fullmatch(part) for part in name.split(":")), name
