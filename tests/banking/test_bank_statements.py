"""Bank statement import, matching and reconciliation at the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

import ledger.models  # noqa: F401  (map every table before flushing)
from ledger.banking import parsing, reconciliation, services
from ledger.banking.models import BankStatementLine
from ledger.errors import Conflict, ValidationError
from ledger.events.models import Event
from ledger.payments import returns
from tests.factories import PAY_ON, PaymentsWorld


@pytest.fixture
def world(session) -> PaymentsWorld:
    return PaymentsWorld(session)


def uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def barclays(*rows: tuple[dt.date, str, str]) -> bytes:
    lines = ["Number,Date,Account,Amount,Subcategory,Memo"]
    lines += [f",{uk(day)},20-00-00 12345678,{amount},PAYMENT,{memo}" for day, amount, memo in rows]
    return ("\n".join(lines) + "\n").encode()


def paid_run(world: PaymentsWorld):
    ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
    world.claim(ann, 4000)
    world.claim(bob, 3000)
    run = world.draft()
    world.confirm(run.id)
    return run, ann, bob


def test_a_run_total_is_suggested_confirmed_and_reconciles(world, session):
    run, _ann, _bob = paid_run(world)
    data = barclays((PAY_ON, "-70.00", f"BACS {run.reference}"), (PAY_ON, "-2.50", "BANK CHARGE"))
    done = services.import_statement(session, data, filename="march.csv", preset="barclays",
                                     actor_user_id=world.finance_id, opening_balance_pence=0)
    assert (done.added, done.suggested) == (2, 1)
    queue = services.list_lines(session, status="unmatched").lines
    suggested = next(line for line in queue if line.has_suggestion)
    assert suggested.suggested_kind == "payment_run" and suggested.suggested_id == run.id
    assert suggested.suggested_score == 100 and run.reference in suggested.suggested_reason

    report = reconciliation.reconcile(session, PAY_ON)
    assert report.bank_balance_pence == -7250 and report.books_balance_pence == -7000
    assert report.unexplained_pence == 0

    matched = services.confirm_suggestion(session, suggested.id, actor_user_id=world.finance_id)
    assert matched.status == "matched" and len(matched.entries) == 2
    report = reconciliation.reconcile(session, PAY_ON)
    assert [(d.kind, d.amount_pence) for d in report.differences] == [("in_bank_only", -250)]
    assert report.unexplained_pence == 0
    with pytest.raises(Conflict):
        services.confirm_suggestion(session, suggested.id, actor_user_id=world.finance_id)
    actions = session.execute(select(Event.action).where(Event.subject_type == "bank_line")).scalars().all()
    assert actions == ["confirm"]


def test_reimporting_the_same_file_adds_nothing_and_identical_lines_are_kept_apart(world, session):
    data = barclays((PAY_ON, "-5.00", "COFFEE"), (PAY_ON, "-5.00", "COFFEE"), (PAY_ON, "12.00", "REFUND"))
    first = services.import_statement(session, data, filename="a.csv", preset="barclays",
                                      actor_user_id=world.finance_id)
    again = services.import_statement(session, data, filename="a.csv", preset="barclays",
                                      actor_user_id=world.finance_id)
    assert (first.added, again.added, again.already_imported) == (3, 0, 3)
    assert "nothing was added" in again.message
    assert session.execute(select(func.count()).select_from(BankStatementLine)).scalar_one() == 3


def test_per_payee_lines_and_a_returned_payment_match_and_a_manual_match_needs_a_reason(world, session):
    run, ann, bob = paid_run(world)
    back_on = PAY_ON + dt.timedelta(days=2)
    returns.record_payment_return(session, run.id, returns.ReturnRequest(
        payee_kind="participant", payee_id=bob, amount_pence=3000, returned_on=back_on, reason="account_closed",
        bank_reference="RTN-9"), actor_user_id=world.finance_id, today=back_on)
    data = barclays((PAY_ON, "-40.00", f"{run.reference} P{ann}"), (PAY_ON, "-30.00", f"{run.reference} P{bob}"),
                    (back_on, "30.00", "RETURNED RTN-9"))
    services.import_statement(session, data, filename="b.csv", preset="barclays", actor_user_id=world.finance_id)
    kinds = sorted(line.suggested_kind for line in services.list_lines(session).lines)
    assert kinds == ["payment", "payment", "payment_return"]

    line = services.list_lines(session).lines[0]
    with pytest.raises(ValidationError) as refused:
        services.match_line(session, line.id, kind="payment_run", target_id=run.id, reason=" ",
                            actor_user_id=world.finance_id)
    assert "reason" in refused.value.fields
    unmatched = services.unmatch_line  # a matched line goes back to the queue, with a reason
    done = services.confirm_suggestion(session, line.id, actor_user_id=world.finance_id)
    back = unmatched(session, done.id, reason="Wrong payee", actor_user_id=world.finance_id)
    assert back.status == "unmatched" and back.entries == ()


def test_a_bad_row_is_refused_naming_the_line_and_nothing_is_written(world, session):
    data = barclays((PAY_ON, "-5.00", "OK"), (PAY_ON, "12.3x", "BAD"))
    with pytest.raises(ValidationError) as refused:
        services.import_statement(session, data, filename="c.csv", preset="barclays", actor_user_id=None)
    assert "Line 3" in refused.value.fields["file"][0]
    with pytest.raises(ValidationError) as unmapped:
        services.import_statement(session, data, filename="c.csv", mapping={"date": "Date"}, actor_user_id=None)
    assert {"description", "amount"} <= set(unmapped.value.fields)


@pytest.mark.parametrize(("preset", "text", "pence"), [
    ("lloyds", "Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,"
               "Credit Amount,Balance\n28/08/2026,FPI,'30-91-74,02344812,NAME REASON,,20.00,120.61\n", 2000),
    ("starling", "Date,Counter Party,Reference,Type,Amount (GBP),Balance (GBP)\n01/09/2026,Ann,PR1 P2,FASTER PAYMENT,"
                 "-12.50,100.00\n", -1250),
    ("natwest", "Date,Type,Description,Value,Balance,Account Name,Account Number\n03 Sep 2026,D/D,UK FUELS,-443.98,"
                "24746.07,Main,12345678\n", -44398),
    ("hsbc", "02/09/2026,CHARGES,\"-1,234.50\"\n", -123450),
])
def test_presets_read_each_banks_export_into_pence(preset, text, pence):
    parsed = services.parse_file(text.encode(), preset=preset)
    assert parsed.lines[0].amount_pence == pence


def test_ofx_is_read_with_its_fitid_and_ledger_balance():
    ofx = b"""OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260905<LANGUAGE>ENG</SONRS>
</SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>GBP
<BANKACCTFROM><BANKID>200000<ACCTID>12345678<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20260901
<DTEND>20260905<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260902<TRNAMT>-70.00<FITID>T1<NAME>BACS PR000001</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>930.00<DTASOF>20260905</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""
    parsed = services.parse_file(ofx)
    assert parsed.format == "ofx" and parsed.lines[0].fitid == "T1" and parsed.lines[0].amount_pence == -7000
    assert (parsed.opening_balance_pence, parsed.closing_balance_pence) == (100000, 93000)
    assert parsing.pence("(3.20)") == -320


def test_the_reconciliation_lists_every_difference_and_they_add_up_to_the_gap(world, session):
    paid_run(world)
    before = PAY_ON - dt.timedelta(days=1)
    # The statement's own balance column: 500.00 before the first line; a 50p line (interest) is missing from the
    # file, so the bank's running balance on the payment day says 430.50 while the imported lines give 430.00.
    text = ("Date,Description,Amount,Balance\n"
            f"{uk(before)},Grant received,100.00,600.00\n"
            f"{uk(PAY_ON)},Bank charge,-170.00,430.50\n")
    services.import_statement(session, text.encode(), filename="santander.csv", preset="santander",
                              actor_user_id=world.finance_id)
    report = reconciliation.reconcile(session, PAY_ON)
    kinds = sorted((d.kind, d.amount_pence) for d in report.differences)
    # Opening 500.00 against books of 0; two lines not in the books; the run (70.00 out) not yet through the bank.
    assert kinds == [("in_bank_only", -17000), ("in_bank_only", 10000), ("in_books_only", 3000),
                     ("in_books_only", 4000), ("opening", 50000)]
    assert report.difference_pence == 43000 - (-7000) and report.unexplained_pence == 0
    assert report.statement_disagrees and report.statement_says_pence == 43050
    with pytest.raises(ValidationError) as early:
        reconciliation.reconcile(session, before - dt.timedelta(days=1))
    assert "date" in early.value.fields
