"""The journal in the organisation's nominal codes, for Xero and Sage: every journal balances, nothing is guessed."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger.books.accounting import (
    SAGE_HEADER,
    XERO_HEADER,
    UnmappedAccounts,
    accounting_csv,
    read_nominal_map,
)
from ledger.errors import ValidationError
from ledger.events.models import Event
from ledger.reports.exports import EXAMPLE_MAP
from tests.factories import JUNE_1, add_user, api_token_for, bearer, database, fee_entry, post, sign_in

MAPPING = """
[xero]
tax_rate = "No VAT"
tracking_name = "Department"

[[map]]
account = "bank"
nominal = "1200"

[[map]]
account = "fees:project:*"
nominal = "5010"
cost_centre = "CC-{last}"

[[map]]
account = "owed:participant:*"
nominal = "2110"

[[map]]
account = "owed:participant:2"
nominal = "2111"
"""
JUNE_30 = JUNE_1.replace(day=30)


def _june(books) -> None:
    fee_entry(books, "fee-1", JUNE_1.replace(day=3), 4500)
    fee_entry(books, "fee-2", JUNE_1.replace(day=4), 3000, payee="owed:participant:2")
    post(books, "pay", JUNE_1.replace(day=20), ("owed:participant:1", 4500), ("owed:participant:2", 3000),
         ("bank", -7500), kind="payment", description='=SUM(A1) payment run "PR-6"')
    post(books, "time", JUNE_1.replace(day=5), ("time:participant:1", -90), ("time:issued", 90), kind="time_credits")
    fee_entry(books, "july", JUNE_1.replace(month=7, day=1), 999)
    books.commit()


def _rows(books, fmt: str, mapping: str = MAPPING) -> list[list[str]]:
    text = "".join(accounting_csv(books, fmt, read_nominal_map(mapping), JUNE_1, JUNE_30))
    return list(csv.reader(io.StringIO(text)))


def test_xero_journals_balance_in_nominal_codes_with_cost_centres_as_tracking(books):
    _june(books)

    rows = _rows(books, "xero")

    assert tuple(rows[0]) == XERO_HEADER
    journals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows[1:]:
        journals[row[0], row[1]] += Decimal(row[5])
    assert len(journals) == 3 and set(journals.values()) == {Decimal(0)}  # June's pound entries, each balanced
    fee = next(r for r in rows[1:] if r[3] == "5010" and r[1] == "03/06/2025")
    assert fee[4:8] == ["No VAT", "45.00", "Department", "CC-guide"]
    payment = [r for r in rows[1:] if r[1] == "20/06/2025"]
    assert {(r[3], r[5]) for r in payment} == {("2110", "45.00"), ("2111", "30.00"), ("1200", "-75.00")}
    assert payment[0][0] == "'=SUM(A1) payment run \"PR-6\" (ledger entry 3)"  # not a formula
    assert all(not cell.startswith("=") for r in rows for cell in r)


def test_sage_journals_are_debits_and_credits_that_balance_per_reference(books):
    _june(books)

    rows = _rows(books, "sage")

    assert tuple(rows[0]) == SAGE_HEADER
    net: dict[str, Decimal] = defaultdict(Decimal)
    for kind, _account, _nominal, _department, _date, reference, _details, amount, tax, tax_amount in rows[1:]:
        assert kind in ("JD", "JC") and Decimal(amount) > 0 and (tax, tax_amount) == ("T9", "0.00")
        net[reference] += Decimal(amount) if kind == "JD" else -Decimal(amount)
    assert len(net) == 3 and set(net.values()) == {Decimal(0)}
    assert rows[1][:5] == ["JD", "", "5010", "CC-guide", "03/06/2025"]


def test_an_unmapped_account_stops_the_export_and_is_named(books):
    _june(books)
    without_bank = MAPPING.replace('account = "bank"', 'account = "bank:old"')

    with pytest.raises(UnmappedAccounts) as refused:
        _rows(books, "xero", without_bank)

    assert refused.value.accounts == ["bank"]  # time credits need no mapping; July is outside the range
    assert refused.value.fields == {"mapping": ["No nominal code for bank"]}
    assert refused.value.status == 400


@pytest.mark.parametrize(("text", "problem"), [
    ("not = [toml", "not valid TOML"),
    ("[xero]\n", "at least one [[map]] rule"),
    ('[[map]]\naccount = "bank"\n', "rule 1: nominal must be non-empty text"),
    ('[[map]]\naccount = "ba*nk"\nnominal = "1"\n', "* only at its end"),
    ('[[map]]\naccount = "bank"\nnominal = "1"\n[[map]]\naccount = "bank"\nnominal = "2"\n', "another rule"),
])
def test_a_bad_mapping_file_is_refused_naming_mapping(text, problem):
    with pytest.raises(ValidationError) as refused:
        read_nominal_map(text)
    assert problem in " ".join(refused.value.fields["mapping"])


def test_the_example_mapping_file_maps_the_organisation_s_accounts():
    example = read_nominal_map(EXAMPLE_MAP.read_bytes())
    assert example.place("fees:project:GUIDE") == ("5010", "GUIDE")
    assert example.place("owed:participant:12") == ("2110", "")
    assert example.place("bank:main") == ("1200", "")
    assert example.place("grant:council") is None


@pytest.fixture
def mapped_app(database_url):
    """The app with the example mapping file configured, as an organisation would set NOMINAL_MAP_PATH."""
    from ledger import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret-key-test-secret-key-0123456789", "NOMINAL_MAP_PATH": str(EXAMPLE_MAP)})
    yield app
    app.extensions["engine"].dispose()


def test_the_exports_page_api_and_command_refuse_unmapped_accounts_and_take_an_uploaded_map(
        books, mapped_app, tmp_path):
    _june(books)
    client, runner = mapped_app.test_client(), mapped_app.test_cli_runner()
    finance = add_user(mapped_app, "fin@example.org", ["finance"])
    headers = bearer(api_token_for(mapped_app, finance))
    june = {"from": "2025-06-01", "to": "2025-06-30"}

    # The configured example maps bank:main, not this chart's "bank": refused, naming it, before any line.
    refused = client.get("/api/v1/exports/xero", query_string=june, headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["fields"] == {"mapping": ["No nominal code for bank"]}
    wrong_date = client.get("/api/v1/exports/sage", query_string={"from": "2025-06-31"}, headers=headers)
    assert wrong_date.status_code == 400 and list(wrong_date.get_json()["error"]["fields"]) == ["from"]

    sign_in(client, "fin@example.org")
    assert client.get("/finance/exports").status_code == 200
    form = {"from-day": "1", "from-month": "6", "from-year": "2025", "to-day": "30", "to-month": "6",
            "to-year": "2025", "format": "xero"}
    page = client.post("/finance/exports", data=form)
    assert page.status_code == 400 and 'id="unmapped-accounts"' in page.get_data(as_text=True)
    uploaded = client.post("/finance/exports", data={**form, "format": "sage",
                                                      "mapping": (io.BytesIO(MAPPING.encode()), "map.toml")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 200 and uploaded.mimetype == "text/csv"
    assert uploaded.get_data(as_text=True).startswith(",".join(SAGE_HEADER) + "\r\nJD,,5010,CC-guide,03/06/2025")
    backwards = client.post("/finance/exports", data={**form, "to-year": "2024"})
    assert backwards.status_code == 400 and 'id="to-error"' in backwards.get_data(as_text=True)

    own = tmp_path / "map.toml"
    own.write_text(MAPPING)
    out = tmp_path / "june.csv"
    done = runner.invoke(args=["ledger", "export", "--format", "xero", "--from", "2025-06-01", "--to", "2025-06-30",
                               "--mapping", str(own), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text().splitlines()[0] == ",".join(XERO_HEADER)
    stopped = runner.invoke(args=["ledger", "export", "--format", "xero", "--from", "2025-06-01"])
    assert stopped.exit_code == 2 and "mapping: No nominal code for bank" in stopped.output
    # Each export that went out is an event, with how many rows; the refused ones are not.
    with database(mapped_app) as session:
        taken = session.execute(select(Event.subject_id, Event.details).where(Event.subject_type == "export")
                                .order_by(Event.id)).all()
    assert [(what, details["via"], details["rows"]) for what, details in taken] == [
        ("export_sage", "web", 7), ("export_xero", "cli", 7)]  # 2 + 2 + 3 lines
