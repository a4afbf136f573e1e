"""``flask ledger record-returns FILE.csv``: the bank's returned payments in bulk, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ledger.books import queries
from ledger.context import reload_settings
from ledger.payments.models import PaymentReturn
from tests.factories import PAY_ON, PaymentsWorld, add_user, database, footprint

LATER = PAY_ON + dt.timedelta(days=4)
HEADER = "run_reference,payee_reference,amount,date,reason,bank_reference,note\n"


@pytest.fixture
def paid(app):
    app.config["LEDGER_TODAY"] = LATER.isoformat()
    reload_settings(app)
    with database(app) as session:
        world = PaymentsWorld(session)
        ann, bob = world.participant("Ann Smith"), world.participant("Bob Jones")
        world.claim(ann, 4000)
        world.claim(bob, 3000)
        run = world.draft()
        world.confirm(run.id)
    add_user(app, "fiona@example.org", ["finance"])
    return {"app": app, "run": run.reference, "ann": ann, "bob": bob}


def write(tmp_path, *rows: str) -> str:
    path = tmp_path / "returns.csv"
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return str(path)


def test_a_file_of_returns_is_recorded(runner, paid, tmp_path):
    path = write(tmp_path, f"{paid['run']},{paid['run']} P{paid['ann']},40.00,{PAY_ON},account_closed,R1,",
                 f"{paid['run']},P{paid['bob']},£30.00,{LATER},other,R2,Payee says the name is misspelt")
    result = runner.invoke(args=["ledger", "record-returns", path, "--as-user", "fiona@example.org"])
    assert result.exit_code == 0, result.output
    assert "Recorded 2 returned payment(s), £70.00." in result.output
    with database(paid["app"]) as session:
        assert session.execute(select(func.count()).select_from(PaymentReturn)).scalar_one() == 2
        assert -queries.balance(session, f"owed:participant:{paid['ann']}") == 4000
        assert queries.trial_balance(session).totals["GBP"] == 0


@pytest.mark.parametrize(("row", "says"), [
    ("{run},P{bob},31.00,{day},account_closed,R2,", "amount"),
    ("{run},X{bob},30.00,{day},account_closed,R2,", "payee_reference"),
    ("{run},P{bob},30.00,16/06/2025,account_closed,R2,", "returned_on"),
    ("{run},P{bob},30.00,{day},moved,R2,", "reason"),
    ("PR999999,P{bob},30.00,{day},account_closed,R2,", "no payment run"),
])
def test_one_bad_row_refuses_the_whole_file(runner, paid, tmp_path, row, says):
    good = f"{paid['run']},P{paid['ann']},40.00,{PAY_ON},account_closed,R1,"
    path = write(tmp_path, good, row.format(run=paid["run"], bob=paid["bob"], day=PAY_ON))
    with database(paid["app"]) as session:
        before = footprint(session)
    result = runner.invoke(args=["ledger", "record-returns", path, "--as-user", "fiona@example.org"])
    assert result.exit_code == 1, result.output
    assert "Line 3" in result.output and says in result.output and "Nothing was recorded." in result.output
    with database(paid["app"]) as session:
        assert footprint(session) == before
        assert session.execute(select(func.count()).select_from(PaymentReturn)).scalar_one() == 0


def test_a_file_without_the_columns_or_a_finance_user_is_refused(runner, paid, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("run,payee\nPR1,P1\n", encoding="utf-8")
    result = runner.invoke(args=["ledger", "record-returns", str(path), "--as-user", "fiona@example.org"])
    assert result.exit_code == 1 and "header lacks" in result.output
    add_user(paid["app"], "pat@example.org", ["participant"])
    good = write(tmp_path, f"{paid['run']},P{paid['ann']},40.00,{PAY_ON},account_closed,R1,")
    result = runner.invoke(args=["ledger", "record-returns", good, "--as-user", "pat@example.org"])
    assert result.exit_code == 2 and "not a finance user" in result.output
