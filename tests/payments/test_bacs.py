import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ValidationError
from ledger.payments import calendar
from ledger.payments.bacs import (
    BACS_CHARACTERS,
    MAX_ITEM_PENCE,
    CreditPayment,
    Originator,
    bacs_name,
    bacs_text,
    julian,
    parse_julian,
    parse_standard18,
    write_standard18,
)

D = dt.date
COUNCIL = Originator(
    service_user_number="654321",
    name="Northshire Council Adult Social Care",
    sort_code="401234",
    account_number="12345678",
)
SIAN = CreditPayment(
    sort_code="200000",
    account_number="55779911",
    account_name="Siân Öztürk",
    amount_pence=4500,
    reference="COPROD JAN 2026",
)
GROUP = CreditPayment(
    sort_code="309090",
    account_number="00012345",
    account_name="Voices & Choices C.I.C.",
    amount_pence=12_050,
    reference="RUN 42/7",
)
# Money to arrive on Monday 5 January 2026: processed Friday 2 January, submitted by Wednesday 31 December.
PAYMENT_DATE = D(2026, 1, 5)
CREATED_ON = D(2025, 12, 30)


def write(payments=(SIAN, GROUP), originator=COUNCIL, **changes):
    arguments = {"payment_date": PAYMENT_DATE, "created_on": CREATED_ON, "serial_number": 42} | changes
    return write_standard18(originator, list(payments), **arguments)


def problems(**changes):
    with pytest.raises(ValidationError) as caught:
        write(**changes)
    return caught.value.fields


def record(fields):
    """Join a record written field by field, with '|' between the fields."""
    return fields.replace("|", "")


def test_a_payment_run_file_is_laid_out_as_standard_18():
    text = write()
    assert text.endswith("\r\n")
    assert text.isascii()
    lines = text.split("\r\n")[:-1]
    assert lines == [
        "VOL1000042" + " " * 31 + "654321" + " " * 32 + "1",
        "HDR1A654321S  1654321000042" + "00010001000101" + " 25364" + " 26002" + " 000000" + " " * 20,
        "HDR2F0200000100" + " " * 35 + "00" + " " * 28,
        "UHL1 26002999999    00000000" + "1 DAILY  " + "042" + " " * 40,
        record(
            "200000|55779911|0|99|401234|12345678|    |00000004500|"
            "NORTHSHIRE COUNCIL|COPROD JAN 2026   |SIAN OZTURK       "
        ),
        record(
            "309090|00012345|0|99|401234|12345678|    |00000012050|"
            "NORTHSHIRE COUNCIL|RUN 42/7          |VOICES & CHOICES C"
        ),
        record(
            "401234|12345678|0|17|401234|12345678|    |00000016550|"
            "PAYMENT RUN 000042|CONTRA            |NORTHSHIRE COUNCIL"
        ),
        "EOF1A654321S  1654321000042" + "00010001000101" + " 25364" + " 26002" + " 000000" + " " * 20,
        "EOF2F0200000100" + " " * 35 + "00" + " " * 28,
        record("UTL1|0000000016550|0000000016550|0000001|0000002") + " " * 36,
    ]
    assert [len(line) for line in lines] == [80, 80, 80, 80, 100, 100, 100, 80, 80, 80]


def test_labels_can_be_padded_to_100_characters_for_software_that_wants_it():
    text = write(label_width=100)
    assert {len(line) for line in text.splitlines()} == {100}
    assert parse_standard18(text) == parse_standard18(write())


def test_the_file_reads_back_with_names_in_the_bacs_character_set():
    parsed = parse_standard18(write())
    assert parsed.service_user_number == "654321"
    assert parsed.serial_number == "000042"
    assert parsed.created_on == CREATED_ON
    assert parsed.processing_day == D(2026, 1, 2)
    assert parsed.payment_date == PAYMENT_DATE
    assert parsed.originator == Originator("654321", "NORTHSHIRE COUNCIL", "401234", "12345678")
    assert parsed.payments == (
        CreditPayment("200000", "55779911", "SIAN OZTURK", 4500, "COPROD JAN 2026"),
        CreditPayment("309090", "00012345", "VOICES & CHOICES C", 12_050, "RUN 42/7"),
    )
    assert parsed.contra_pence == parsed.total_pence == parsed.debit_total_pence == parsed.credit_total_pence
    assert parsed.total_pence == 16_550
    assert (parsed.debit_count, parsed.credit_count) == (1, 2)


@pytest.mark.parametrize(
    ("day", "field"),
    [
        (D(2026, 1, 1), " 26001"),
        (D(2026, 12, 31), " 26365"),
        (D(2024, 12, 31), " 24366"),
        (D(2025, 2, 1), " 25032"),
        (D(2009, 4, 10), " 09100"),
    ],
)
def test_bacs_dates_are_year_and_day_of_the_year(day, field):
    assert julian(day) == field
    assert parse_julian(field) == day


@pytest.mark.parametrize("field", [" 25366", " 26000", "26001 ", "026001", " 2600A", " 2601"])
def test_impossible_bacs_dates_are_refused(field):
    with pytest.raises(ValueError):
        parse_julian(field)


@pytest.mark.parametrize(
    ("name", "in_bacs"),
    [
        ("Siân Öztürk", "SIAN OZTURK"),
        ("Zoë Ødegaard", "ZOE ODEGAARD"),
        ("Mary O'Brien", "MARY OBRIEN"),
        ("Mary O’Brien", "MARY OBRIEN"),
        ("Łukasz Straße", "LUKASZ STRASSE"),
        ("Æsa Þórsdóttir", "AESA THORSDOTTIR"),
        ("François-Xavier (FX)", "FRANCOIS-XAVIER FX"),
        ("  Ann   Smith, Jr.  ", "ANN SMITH JR."),
        ("Carers' Group @ 5/6", "CARERS GROUP 5/6"),
        ("ﬁnley", "FINLEY"),
    ],
)
def test_names_are_put_into_the_bacs_character_set(name, in_bacs):
    assert bacs_text(name) == in_bacs


def test_names_are_cut_to_eighteen_characters_without_a_trailing_space():
    assert bacs_name("Northshire Council Adult Social Care") == "NORTHSHIRE COUNCIL"
    assert bacs_name("Abcdefghijklmnopq rst") == "ABCDEFGHIJKLMNOPQ"
    assert bacs_name("王秀英") == ""


@given(st.text())
def test_bacs_text_only_ever_holds_bacs_characters(text):
    cleaned = bacs_text(text)
    assert set(cleaned) <= BACS_CHARACTERS
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert bacs_text(cleaned) == cleaned


def test_every_bad_field_is_reported_at_once():
    bad = [
        dataclasses.replace(SIAN, sort_code="20-00-00"),
        dataclasses.replace(SIAN, account_number="5577991"),
        dataclasses.replace(SIAN, account_name="王秀英"),
        dataclasses.replace(SIAN, reference="   "),
    ]
    fields = problems(payments=bad, originator=dataclasses.replace(COUNCIL, service_user_number="65432"))
    assert set(fields) == {
        "originator.service_user_number",
        "payments[0].sort_code",
        "payments[1].account_number",
        "payments[2].account_name",
        "payments[3].reference",
    }


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "more than zero"),
        (-100, "more than zero"),
        (MAX_ITEM_PENCE + 1, "£20,000,000.00"),
        (45.0, "whole number"),
        (True, "whole number"),
        ("4500", "whole number"),
    ],
)
def test_amounts_must_be_positive_whole_pence_within_the_bacs_item_limit(amount, message):
    fields = problems(payments=[dataclasses.replace(SIAN, amount_pence=amount)])
    assert message in fields["payments[0].amount_pence"]


def test_the_largest_single_payment_bacs_allows_is_accepted():
    parsed = parse_standard18(write(payments=[dataclasses.replace(SIAN, amount_pence=MAX_ITEM_PENCE)]))
    assert parsed.total_pence == MAX_ITEM_PENCE


def test_a_file_whose_total_overflows_the_contra_is_refused():
    payments = [dataclasses.replace(SIAN, amount_pence=MAX_ITEM_PENCE)] * 50
    assert "£999,999,999.99" in problems(payments=payments)["payments"]


@pytest.mark.parametrize("reference", ["A REFERENCE LONGER THAN 18", "contra", "---"])
def test_references_must_fit_and_not_pose_as_the_contra(reference):
    assert "payments[0].reference" in problems(payments=[dataclasses.replace(SIAN, reference=reference)])


def test_a_building_society_roll_number_takes_the_place_of_the_reference():
    saver = dataclasses.replace(SIAN, roll_number="Roll 1234/567-8")
    parsed = parse_standard18(write(payments=[saver, GROUP]))
    assert [p.reference for p in parsed.payments] == ["ROLL 1234/567-8", "RUN 42/7"]
    assert "payments[0].roll_number" in problems(payments=[dataclasses.replace(SIAN, roll_number="?")])
    assert "payments[0].roll_number" in problems(payments=[dataclasses.replace(SIAN, roll_number="R" * 19)])


def test_a_file_needs_a_payment_and_a_serial_number():
    assert "payments" in problems(payments=[])
    assert "serial_number" in problems(serial_number=0)
    assert "serial_number" in problems(serial_number=1_000_000)


def test_money_cannot_be_due_on_a_bank_holiday():
    message = problems(payment_date=D(2026, 4, 6))["payment_date"]
    assert "2026-04-07" in message  # the next payment date is offered


def test_a_file_made_after_the_input_day_is_too_late():
    assert calendar.bacs_input_day(PAYMENT_DATE) == D(2025, 12, 31)
    write(created_on=D(2025, 12, 31))
    message = problems(created_on=D(2026, 1, 1))["payment_date"]
    assert "earliest payment date is 2026-01-06" in message


def test_a_file_cannot_be_made_more_than_31_days_before_processing():
    assert "31 days" in problems(created_on=D(2025, 11, 30))["payment_date"]
    write(created_on=D(2025, 12, 2))


def test_the_processing_day_is_the_banking_day_before_the_payment_date_over_easter():
    parsed = parse_standard18(write(payment_date=D(2026, 4, 7), created_on=D(2026, 3, 30)))
    assert parsed.processing_day == D(2026, 4, 2)
    assert parsed.payment_date == D(2026, 4, 7)


def _tamper(text, line_number, start, replacement):
    lines = text.split("\r\n")
    line = lines[line_number - 1]
    lines[line_number - 1] = line[: start - 1] + replacement + line[start - 1 + len(replacement) :]
    return "\r\n".join(lines)


@pytest.mark.parametrize(
    ("line", "start", "replacement", "complaint", "blamed"),
    [
        (5, 36, "00000004501", "contra is for 16550 pence but the credits add up to 16551", 7),
        (7, 36, "00000016551", "contra is for 16551 pence", 7),
        (10, 5, "0000000016551", "totals", 10),
        (10, 38, "0000003", "counts", 10),
        (5, 16, "17", "only credits", 5),
        (7, 65, "NOT A CONTRA", "contra", 7),
        (4, 5, " 26400", "processing day", 4),
        (8, 22, "000043", "EOF1 should repeat HDR1", 8),
        (2, 16, "999999", "second service user number", 2),
        (5, 83, "sian ozturk", "outside the Bacs set", 5),
    ],
)
def test_a_tampered_file_is_refused_naming_the_line(line, start, replacement, complaint, blamed):
    with pytest.raises(ValidationError) as caught:
        parse_standard18(_tamper(write(), line, start, replacement))
    assert complaint in caught.value.message
    assert caught.value.fields == {"line": blamed}


def test_records_of_the_wrong_length_are_refused():
    lines = write().split("\r\n")
    with pytest.raises(ValidationError, match="data record is 100 characters, not 99"):
        parse_standard18("\n".join([*lines[:4], lines[4][:99], *lines[5:]]))
    with pytest.raises(ValidationError, match="label record is 80"):
        parse_standard18("\n".join([lines[0] + " ", *lines[1:]]))
    with pytest.raises(ValidationError, match="at least 9 records"):
        parse_standard18("\n".join(lines[:4] + lines[6:]))


payment_strategy = st.builds(
    CreditPayment,
    sort_code=st.from_regex(r"\A[0-9]{6}\Z"),
    account_number=st.from_regex(r"\A[0-9]{8}\Z"),
    account_name=st.text(min_size=1, max_size=40).filter(lambda name: bacs_name(name) != ""),
    amount_pence=st.integers(min_value=1, max_value=MAX_ITEM_PENCE),
    reference=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 /-.&", max_size=18
    ).filter(lambda ref: any(ch.isalnum() for ch in ref) and bacs_text(ref) != "CONTRA"),
)


@settings(deadline=None, max_examples=75)
@given(
    payments=st.lists(payment_strategy, min_size=1, max_size=40),
    payment_day=st.dates(min_value=D(2025, 1, 1), max_value=D(2035, 12, 31)),
    serial_number=st.integers(min_value=1, max_value=999_999),
)
def test_any_valid_payments_round_trip_with_their_totals(payments, payment_day, serial_number):
    payment_date = calendar.next_payment_date(payment_day)
    created_on = calendar.bacs_input_day(payment_date)
    text = write_standard18(
        COUNCIL, payments, payment_date=payment_date, created_on=created_on, serial_number=serial_number
    )
    lines = text.split("\r\n")
    assert lines.pop() == ""
    assert len(lines) == len(payments) + 8
    assert all(len(line) == 80 for line in lines[:4] + lines[-3:])
    assert all(len(line) == 100 for line in lines[4:-3])

    parsed = parse_standard18(text)
    assert parsed.payments == tuple(
        dataclasses.replace(p, account_name=bacs_name(p.account_name), reference=bacs_text(p.reference))
        for p in payments
    )
    total = sum(p.amount_pence for p in payments)
    assert parsed.contra_pence == parsed.debit_total_pence == parsed.credit_total_pence == total
    assert parsed.credit_count == len(payments)
    assert parsed.payment_date == payment_date
    assert parsed.serial_number == f"{serial_number:06d}"
