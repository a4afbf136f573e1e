import csv
import dataclasses
import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import ValidationError
from ledger.payments.bank_csv import HEADER, BankCsvRow, defuse, pounds, write_bank_csv

SIAN = BankCsvRow(
    payee_name="Siân Öztürk",
    sort_code="012345",
    account_number="00123456",
    amount_pence=4500,
    reference="COPROD JAN 2026",
    payment_date=dt.date(2026, 1, 5),
)


def read(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_upload_has_a_header_and_one_row_per_payee():
    group = dataclasses.replace(
        SIAN, payee_name="Voices & Choices, C.I.C.", amount_pence=123_456_789, reference="RUN 42/7"
    )
    text = write_bank_csv([SIAN, group])
    assert text.endswith("\r\n") and "\r\n" in text
    assert read(text) == [
        list(HEADER),
        ["SIAN OZTURK", "012345", "00123456", "45.00", "COPROD JAN 2026", "2026-01-05"],
        ["VOICES & CHOICES C", "012345", "00123456", "1234567.89", "RUN 42/7", "2026-01-05"],
    ]


@pytest.mark.parametrize(
    ("pence", "shown"), [(1, "0.01"), (10, "0.10"), (100, "1.00"), (4550, "45.50"), (2_000_000_000, "20000000.00")]
)
def test_amounts_are_pounds_with_two_decimal_places(pence, shown):
    assert pounds(pence) == shown


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 7700", "'+44 7700"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("Ann", "Ann"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_defused(cell, safe):
    assert defuse(cell) == safe


def test_names_and_references_as_given_are_quoted_and_defused():
    tricky = dataclasses.replace(SIAN, payee_name='=cmd|" /C calc"!A0', reference='-2+3, "quoted"\nsecond line')
    rows = read(write_bank_csv([tricky], bacs_safe=False))
    assert rows[1][0] == '\'=cmd|" /C calc"!A0'
    assert rows[1][4] == '\'-2+3, "quoted"\nsecond line'
    assert rows[1][1:4] == ["012345", "00123456", "45.00"]


def test_in_the_bacs_character_set_nothing_starts_like_a_formula():
    tricky = dataclasses.replace(SIAN, payee_name="=Ann - Smith", reference="-- @REF 1")
    assert read(write_bank_csv([tricky]))[1][0::4] == ["ANN - SMITH", "REF 1"]


def test_bad_rows_are_all_reported_at_once():
    bad = [
        dataclasses.replace(SIAN, sort_code="01-23-45"),
        dataclasses.replace(SIAN, amount_pence=0),
        dataclasses.replace(SIAN, amount_pence=12.5),
        dataclasses.replace(SIAN, reference="A REFERENCE THAT IS TOO LONG"),
        dataclasses.replace(SIAN, payee_name="  "),
        dataclasses.replace(SIAN, payment_date=dt.datetime(2026, 1, 5, 9, 0)),
    ]
    with pytest.raises(ValidationError) as caught:
        write_bank_csv(bad)
    assert set(caught.value.fields) == {
        "rows[0].sort_code",
        "rows[1].amount_pence",
        "rows[2].amount_pence",
        "rows[3].reference",
        "rows[4].payee_name",
        "rows[5].payment_date",
    }


def test_an_empty_run_is_just_the_header():
    assert read(write_bank_csv([])) == [list(HEADER)]


@given(
    st.lists(
        st.builds(
            BankCsvRow,
            payee_name=st.text(min_size=1).filter(str.strip),
            sort_code=st.from_regex(r"\A[0-9]{6}\Z"),
            account_number=st.from_regex(r"\A[0-9]{8}\Z"),
            amount_pence=st.integers(min_value=1, max_value=2_000_000_000),
            reference=st.text(),
            payment_date=st.dates(),
        ),
        max_size=10,
    )
)
def test_any_rows_read_back_cell_for_cell(rows):
    read_back = read(write_bank_csv(rows, bacs_safe=False))
    assert read_back[0] == list(HEADER)
    assert len(read_back) == len(rows) + 1
    for row, cells in zip(rows, read_back[1:], strict=True):
        assert (cells[0], cells[4]) == (defuse(row.payee_name), defuse(row.reference))
        assert cells[1:3] == [row.sort_code, row.account_number]
        pounds_part, pence_part = cells[3].split(".")
        assert int(pounds_part) * 100 + int(pence_part) == row.amount_pence
        assert cells[5] == row.payment_date.isoformat()
        assert not cells[0].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert not cells[4].startswith(("=", "+", "-", "@", "\t", "\r"))
