"""A participant's statement agrees with the books, line by line, and its PDF prints every figure."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from ledger.books import queries
from ledger.documents import render
from ledger.formatting import duration, duration_signed, long_date, money, money_signed
from ledger.payments.models import PaymentRun
from ledger.people.accounts import participant_accounts
from ledger.reports.records import EntryKind, Unit
from ledger.reports.statements import participant_statement
from tests.documents.pdf import assert_in_order, font_sizes, text
from tests.factories import JUNE, JUNE_APPROVALS, JUNE_MEETINGS, JUNE_PAY_DAY, ORGANISATION


def statement(session: Session, participant_id: int, start: dt.date = JUNE[0], end: dt.date = JUNE[1]):
    return participant_statement(session, participant_id, start, end, organisation=ORGANISATION,
                                 issued=dt.date(2025, 7, 1))


# ---------------------------------------------------------------- statements


@pytest.mark.parametrize("period", [JUNE, (dt.date(2025, 6, 12), dt.date(2025, 6, 30)),
                                    (dt.date(2025, 6, 5), dt.date(2025, 6, 24)), (dt.date(2025, 7, 1),
                                                                                 dt.date(2025, 7, 31))])
def test_statement_balances_are_the_books_with_the_sign_flipped(session, books, period):
    start, end = period
    for who in (books.ann, books.bea, books.cai):
        doc = statement(session, who, start, end)
        codes = participant_accounts(who)
        for section, code, sign in ((doc.money, codes.owed, -1), (doc.time_credits, codes.time_credits, -1),
                                    (doc.advances, codes.advance, 1)):
            book = queries.statement(session, code, start, end)
            if section is None:
                assert code == codes.advance and not book.lines and book.opening_balance == 0
                continue
            assert section.opening == sign * book.opening_balance
            assert section.closing == sign * book.closing_balance
            assert type(section.opening) is int and type(section.closing) is int  # never a Decimal from a SUM
            posted = [line for line in section.lines if line.kind not in (EntryKind.DECLINED, EntryKind.DONATION)]
            per_entry: dict[int, list] = {}  # a payment posts fees and expenses apart; it is one line to them
            for b in book.lines:
                per_entry.setdefault(b.entry_id, []).append(b)
            assert [(x.date, x.amount, x.balance) for x in posted] == [
                (lines[0].effective_date, sign * sum(b.amount for b in lines), sign * lines[-1].running_balance)
                for lines in per_entry.values()]


def test_statement_shows_what_is_still_owed(session, books):
    doc = statement(session, books.cai)
    assert doc.amount_owed == 5040 == -queries.balance(session, participant_accounts(books.cai).owed)
    assert statement(session, books.ann).amount_owed == 0  # everything approved was paid on 25 June


def test_each_entry_has_its_kind_from_the_books(session, books):
    doc = statement(session, books.ann)
    kinds = [line.kind for line in doc.money.lines]
    assert kinds.count(EntryKind.FEE) == 3 and kinds.count(EntryKind.REVERSAL) == 1
    assert kinds.count(EntryKind.EXPENSE) == 1  # the taxi was met by the advance: no money owed for it
    assert kinds.count(EntryKind.PAYMENT) == 1
    assert [line.kind for line in doc.advances.lines] == [EntryKind.ADVANCE, EntryKind.ADVANCE_SETTLED,
                                                         EntryKind.ADVANCE_SETTLED]
    assert [(line.amount, line.balance) for line in doc.advances.lines] == [(3000, 3000), (-2500, 500), (-500, 0)]
    assert [(line.kind, line.amount) for line in doc.time_credits.lines] == [
        (EntryKind.TIME_CREDIT_EARNED, 150), (EntryKind.TIME_CREDIT_SPENT, -60)]
    fee = next(line for line in doc.money.lines if line.kind is EntryKind.FEE)
    assert fee.description.endswith("4 hours at £12.60 an hour")
    payment = next(line for line in doc.money.lines if line.kind is EntryKind.PAYMENT)
    reference = session.get(PaymentRun, books.run_id).reference
    assert payment.description == f"Bank transfer, payment run {reference}, to the account ending 2222"
    assert payment.amount == -(5040 + 2000 + 840) and payment.date == JUNE_PAY_DAY
    assert doc.time_credits.lines[1].description == "Spent at Plas Arthur Leisure Centre: Swimming"


def test_declined_and_redirected_offers_are_memo_lines_that_change_no_balance(session, books):
    doc = statement(session, books.bea)
    memos = [line for line in doc.money.lines if line.kind in (EntryKind.DECLINED, EntryKind.DONATION)]
    assert [(m.kind, m.date, m.amount, m.memo_amount) for m in memos] == [
        (EntryKind.DECLINED, JUNE_MEETINGS[0], 0, 5040), (EntryKind.DONATION, JUNE_MEETINGS[1], 0, 5040)]
    assert memos[1].description.endswith("paid to Voices Together at your request")
    for index, line in enumerate(doc.money.lines):
        if line.kind in (EntryKind.DECLINED, EntryKind.DONATION):
            before = doc.money.lines[index - 1].balance if index else doc.money.opening
            assert line.balance == before
    # Taking less than the fee offered shows the rest as declined, beside the smaller fee.
    ann = statement(session, books.ann).money.lines
    declined = [line for line in ann if line.kind is EntryKind.DECLINED]
    assert [(d.date, d.memo_amount) for d in declined] == [(JUNE_MEETINGS[1], 5040 - 2000)]
    assert "you chose to take £20.00 of the £50.40 offered" in declined[0].description


def test_a_reversed_fee_shows_as_a_correction_and_no_memo(session, books):
    lines = statement(session, books.ann).money.lines
    corrections = [line for line in lines if line.kind is EntryKind.REVERSAL]
    assert [(c.amount, c.date) for c in corrections] == [(-5040, JUNE_APPROVALS)]
    assert corrections[0].description.startswith("Cancelled: Fee for Advisory group 3")


@pytest.mark.parametrize("large_print", [False, True])
def test_statement_pdf_prints_every_figure_of_the_ledger(session, books, large_print):
    doc = statement(session, books.ann)
    pdf = render.render_statement(doc, large_print=large_print)
    words = text(pdf)
    for section in (doc.money, doc.advances, doc.time_credits):
        plain, signed = (duration, duration_signed) if section.unit is Unit.TIME_CREDIT else (money, money_signed)
        expected = [f"Balance on {long_date(JUNE[0])}: {plain(section.opening)}"]
        for line in section.lines:
            expected += [long_date(line.date)]
            expected += [plain(line.memo_amount), "not paid"] if line.memo_amount else [signed(line.amount)]
            expected += [plain(line.balance)]
        expected.append(f"Balance on {long_date(JUNE[1])}: {plain(section.closing)}")
        assert_in_order(words, expected)
    assert "Siân O'Brien" in words
    assert (min(font_sizes(pdf)) >= 16) is large_print
