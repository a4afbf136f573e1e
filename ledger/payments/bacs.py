"""Bacs Standard 18 direct-credit files: written from plain data, and read back so finance can re-check one.

A file pays a list of credits from one originator (the organisation's bank account, registered with Bacs
under its service user number, SUN) and balances them with one contra record that debits the originator
for their total. The invariant: the contra amount and the UTL1 debit total equal the sum of the credits,
the UTL1 credit total and counts agree with the records, and every character is in the Bacs character set.
``write_standard18`` refuses input that would break it (``ledger.errors.ValidationError`` naming every bad
field); ``parse_standard18`` refuses a file that breaks it.

Layout (1-based, inclusive positions; N = zero-filled digits, A = space-padded text; b = blank). The label
records are 80 characters, as Bacs defines them (``label_width=100`` pads them with blanks for software
that wants every record 100 long); data records are 100 characters, the single-processing-day ("DAILY")
form without the 6-character multi-day date. Dates are Bacs "Julian" dates, ``bYYDDD``: a blank, the year's
last two digits and the day of the year, so 2026-01-01 is ``" 26001"``. Records end with CRLF.

VOL1 (volume header)      1-4 ``VOL1`` | 5-10 submission serial number N6 | 11 accessibility b |
                          12-41 b | 42-47 SUN | 48-79 b | 80 label standard level ``1``
HDR1 (file header 1)      1-4 ``HDR1`` | 5-21 file identifier ``A`` + SUN + ``S  1`` + SUN |
                          22-27 set identification = serial | 28-31 file section ``0001`` |
                          32-35 file sequence ``0001`` | 36-39 generation ``0001`` | 40-41 version ``01`` |
                          42-47 creation date bYYDDD | 48-53 expiration date bYYDDD (= processing day) |
                          54 accessibility b | 55-60 block count ``000000`` | 61-80 b
HDR2 (file header 2)      1-4 ``HDR2`` | 5 record format ``F`` | 6-10 block length ``02000`` |
                          11-15 record length ``00100`` | 16-50 b | 51-52 buffer offset ``00`` | 53-80 b
UHL1 (user header)        1-4 ``UHL1`` | 5-10 processing day bYYDDD | 11-20 receiving party ``999999`` + bbbb |
                          21-22 currency ``00`` (sterling) | 23-28 country ``000000`` | 29-37 work code
                          ``1 DAILY  `` | 38-40 file number N3 (serial mod 1000) | 41-80 b
Credit (one per payment)  1-6 destination sort code | 7-14 destination account number | 15 account type
                          ``0`` | 16-17 transaction code ``99`` (direct credit) | 18-23 originator's sort
                          code | 24-31 originator's account number | 32-35 b | 36-46 amount in pence N11 |
                          47-64 originator's name A18 | 65-82 payment reference (or building society
                          roll number) A18 |
                          83-100 destination account name A18
Contra (one)              1-14 originator's sort code and account | 15 ``0`` | 16-17 transaction code ``17``
                          (debit) | 18-31 originator's sort code and account | 32-35 b | 36-46 total of
                          the credits N11 | 47-64 narrative ``PAYMENT RUN nnnnnn`` | 65-82 ``CONTRA`` A18 |
                          83-100 originator's name A18
EOF1, EOF2                HDR1 and HDR2 again, labelled ``EOF1`` and ``EOF2``
UTL1 (user trailer)       1-4 ``UTL1`` | 5-17 debit total N13 (the contra) | 18-30 credit total N13 |
                          31-37 debit count N7 (1, the contra) | 38-44 credit count N7 | 45-80 b

Sources: the label and record layouts published in banks' Standard 18 implementation guides, cross-checked
against open-source writers and their tests (Odoo's ``account_bacs``, an HSBC Standard 18 exporter).

The day in UHL1 is the Bacs *processing day*; the money arrives one banking day later, on the payment date
(see ``ledger.payments.calendar``). ``write_standard18`` takes the payment date and works the processing day
out, so a payment run cannot put the wrong day in its file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.errors import ValidationError
from ledger.payments import calendar

#: Bacs's limit on one item: £20 million.
MAX_ITEM_PENCE = 20_000_000 * 100
#: The contra's amount field holds 11 digits, so a file's total can be at most £999,999,999.99.
MAX_TOTAL_PENCE = 10**11 - 1
#: UTL1 counts hold 7 digits.
MAX_PAYMENTS = 10**7 - 1
#: Bacs takes files for processing up to 31 days ahead.
MAX_DAYS_AHEAD = 31
#: Name and reference fields are 18 characters.
FIELD_LENGTH = 18

CREDIT = "99"
DEBIT_CONTRA = "17"
CONTRA_REFERENCE = "CONTRA"
RECORD_LENGTH = 100
LABEL_LENGTH = 80
WORK_CODE_DAILY = "1 DAILY  "

BACS_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.&/- ")

# Letters that Unicode decomposition does not reduce to ASCII, spelt as English-speaking banks spell them.
_TRANSLITERATIONS = str.maketrans(
    {
        "ß": "SS",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "AE",
        "Œ": "OE",
        "œ": "OE",
        "Ø": "O",
        "ø": "O",
        "Ł": "L",
        "ł": "L",
        "Đ": "D",
        "đ": "D",
        "Ð": "D",
        "ð": "D",
        "Þ": "TH",
        "þ": "TH",
        "ı": "I",
        "Ħ": "H",
        "ħ": "H",
        # Apostrophes vanish rather than split a name: O'Brien is OBRIEN, as banks hold it.
        "'": "",
        "’": "",
        "‘": "",
        "`": "",
        "´": "",
    }
)
_SPACES = re.compile(r" +")
_SUN = re.compile(r"[0-9]{6}")


def is_digits(value: object, length: int) -> bool:
    """Say whether ``value`` is exactly ``length`` ASCII digits: a normalised sort code (6) or account number (8).

    Bank details are normalised and checked where they are entered (``ledger.people.bank.check_bank_details``);
    this only refuses anything else reaching a bank file.
    """
    return isinstance(value, str) and len(value) == length and value.isascii() and value.isdigit()


def bacs_text(text: str) -> str:
    """Return ``text`` in the Bacs character set: upper case, accents removed, anything else a space.

    'Siân Öztürk' becomes 'SIAN OZTURK'; runs of spaces become one; the result may be longer than a field.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATIONS))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    # upper() can itself produce letters needing decomposition (e.g. 'ǆ'), so decompose once more.
    plain = unicodedata.normalize("NFKD", plain.translate(_TRANSLITERATIONS))
    kept = "".join(ch if ch in BACS_CHARACTERS else " " for ch in plain if not unicodedata.combining(ch))
    return _SPACES.sub(" ", kept).strip()


def bacs_name(text: str) -> str:
    """Return an account or originator name as Bacs carries it: ``bacs_text`` cut to 18 characters."""
    return bacs_text(text)[:FIELD_LENGTH].rstrip()


def julian(day: dt.date) -> str:
    """Return ``day`` as a Bacs date, ``bYYDDD``: 2026-01-01 is ' 26001'."""
    return f" {day.year % 100:02d}{day.timetuple().tm_yday:03d}"


def parse_julian(text: str) -> dt.date:
    """Return the date in a Bacs date field ``bYYDDD`` (years 2000-2099), or raise ``ValueError``."""
    if len(text) != 6 or text[0] != " " or not text[1:].isascii() or not text[1:].isdigit():
        raise ValueError(f"{text!r} is not a Bacs date (blank, 2-digit year, 3-digit day of the year)")
    year, day_of_year = 2000 + int(text[1:3]), int(text[3:6])
    start = dt.date(year, 1, 1)
    if not 1 <= day_of_year <= (dt.date(year + 1, 1, 1) - start).days:
        raise ValueError(f"{text!r} names day {day_of_year} of {year}, which has no such day")
    return start + dt.timedelta(days=day_of_year - 1)


@dataclass(frozen=True)
class Originator:
    """The organisation paying: its Bacs service user number and the account the payments come from."""

    service_user_number: str
    name: str
    sort_code: str
    account_number: str


@dataclass(frozen=True)
class CreditPayment:
    """One direct credit: the payee's account, the name on it, an amount in pence and a reference.

    A building society account that needs a roll number gets it in the reference field, as the societies
    ask; the payment's own reference is then not in the file (read back, the roll number is the reference).
    """

    sort_code: str
    account_number: str
    account_name: str
    amount_pence: int
    reference: str
    roll_number: str | None = None

    @property
    def reference_field(self) -> str:
        """What goes in positions 65-82: the roll number if there is one, otherwise the reference."""
        return bacs_text(self.roll_number if self.roll_number else self.reference)


@dataclass(frozen=True)
class Standard18File:
    """What a Standard 18 file says, as ``parse_standard18`` reads it."""

    service_user_number: str
    serial_number: str
    created_on: dt.date
    processing_day: dt.date
    originator: Originator
    payments: tuple[CreditPayment, ...]
    contra_pence: int
    debit_total_pence: int
    credit_total_pence: int
    debit_count: int
    credit_count: int

    @property
    def total_pence(self) -> int:
        return sum(payment.amount_pence for payment in self.payments)

    @property
    def payment_date(self) -> dt.date:
        """The day the money arrives: the banking day after the processing day."""
        return calendar.bacs_entry_day(self.processing_day)


# -- writing -----------------------------------------------------------------------------------------------


def _check_originator(originator: Originator, problems: dict[str, str]) -> None:
    if not isinstance(originator.service_user_number, str) or not _SUN.fullmatch(originator.service_user_number):
        problems["originator.service_user_number"] = "must be the 6-digit Bacs service user number"
    if not is_digits(originator.sort_code, 6):
        problems["originator.sort_code"] = "must be 6 digits"
    if not is_digits(originator.account_number, 8):
        problems["originator.account_number"] = "must be 8 digits"
    if not isinstance(originator.name, str) or not bacs_name(originator.name):
        problems["originator.name"] = "must contain letters or digits Bacs can carry"


def _check_payment(index: int, payment: CreditPayment, problems: dict[str, str]) -> None:
    key = f"payments[{index}]"
    if not isinstance(payment, CreditPayment):
        problems[key] = "must be a CreditPayment"
        return
    if not is_digits(payment.sort_code, 6):
        problems[f"{key}.sort_code"] = "must be 6 digits"
    if not is_digits(payment.account_number, 8):
        problems[f"{key}.account_number"] = "must be 8 digits"
    if not isinstance(payment.account_name, str) or not bacs_name(payment.account_name):
        problems[f"{key}.account_name"] = "must contain letters or digits Bacs can carry (A-Z, 0-9)"
    amount = payment.amount_pence
    if type(amount) is not int:  # bool is an int, and Decimal or float pounds are a bug upstream
        problems[f"{key}.amount_pence"] = "must be a whole number of pence"
    elif amount <= 0:
        problems[f"{key}.amount_pence"] = "must be more than zero"
    elif amount > MAX_ITEM_PENCE:
        problems[f"{key}.amount_pence"] = "must be at most £20,000,000.00, Bacs's limit for one payment"
    reference = bacs_text(payment.reference) if isinstance(payment.reference, str) else ""
    if not any(ch.isalnum() for ch in reference):
        problems[f"{key}.reference"] = "must contain letters or digits Bacs can carry (A-Z, 0-9)"
    elif len(reference) > FIELD_LENGTH:
        problems[f"{key}.reference"] = f"must be at most {FIELD_LENGTH} characters in the Bacs character set"
    elif reference == CONTRA_REFERENCE:
        problems[f"{key}.reference"] = "must not be CONTRA, which Bacs reserves for the balancing record"
    if payment.roll_number is not None:
        roll = bacs_text(payment.roll_number) if isinstance(payment.roll_number, str) else ""
        if not any(ch.isalnum() for ch in roll) or len(roll) > FIELD_LENGTH or roll == CONTRA_REFERENCE:
            problems[f"{key}.roll_number"] = f"must be 1 to {FIELD_LENGTH} letters and digits in the Bacs character set"


def _check_dates(payment_date: dt.date, created_on: dt.date, problems: dict[str, str]) -> dt.date | None:
    if not calendar.is_banking_day(payment_date):
        problems["payment_date"] = (
            f"{payment_date.isoformat()} is a weekend or bank holiday; the next payment "
            f"date is {calendar.next_payment_date(payment_date).isoformat()}"
        )
        return None
    processing_day = calendar.bacs_processing_day(payment_date)
    if created_on > calendar.bacs_input_day(payment_date):
        problems["payment_date"] = (
            f"a file made on {created_on.isoformat()} is too late to pay on "
            f"{payment_date.isoformat()}; the earliest payment date is "
            f"{calendar.earliest_payment_date(created_on).isoformat()}"
        )
    elif (processing_day - created_on).days > MAX_DAYS_AHEAD:
        problems["payment_date"] = (
            f"Bacs takes files at most {MAX_DAYS_AHEAD} days before processing; make this "
            f"one on or after {(processing_day - dt.timedelta(MAX_DAYS_AHEAD)).isoformat()}"
        )
    return processing_day


def _problems_error(problems: dict[str, str]) -> ValidationError:
    listed = "; ".join(f"{field}: {message}" for field, message in list(problems.items())[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return ValidationError(f"The Bacs file cannot be written: {listed}{more}.", fields=dict(problems))


def _text(value: str, width: int) -> str:
    return value.ljust(width)[:width]


def _number(value: int, width: int) -> str:
    return str(value).rjust(width, "0")


def _header_1(label: str, sun: str, serial: str, created_on: dt.date, expires_on: dt.date) -> str:
    return f"{label}A{sun}S  1{sun}{serial}00010001000101{julian(created_on)}{julian(expires_on)} 000000{' ' * 20}"


def _header_2(label: str) -> str:
    return f"{label}F0200000100{' ' * 35}00{' ' * 28}"


def write_standard18(
    originator: Originator,
    payments: Sequence[CreditPayment],
    *,
    payment_date: dt.date,
    created_on: dt.date,
    serial_number: int = 1,
    label_width: int = LABEL_LENGTH,
) -> str:
    """Return a Bacs Standard 18 file paying ``payments`` from ``originator`` so they arrive on ``payment_date``.

    ``payment_date`` must be a banking day; the file carries the processing day before it and must be
    submitted by ``calendar.bacs_input_day(payment_date)``, which must not be before ``created_on``.
    ``serial_number`` (1-999999) must differ between files submitted on one day: pass the payment run's id.
    Names are put into the Bacs character set and cut to 18 characters; references are put into the
    character set and must then fit in 18. Encode the result as ASCII.
    """
    payments = list(payments)
    processing_day = _check_file(originator, payments, payment_date, created_on, serial_number, label_width)
    total = sum(payment.amount_pence for payment in payments)
    sun = originator.service_user_number
    serial = _number(serial_number, 6)
    labels_before = [
        f"VOL1{serial}{' ' * 31}{sun}{' ' * 32}1",
        _header_1("HDR1", sun, serial, created_on, processing_day),
        _header_2("HDR2"),
        f"UHL1{julian(processing_day)}999999    00000000{WORK_CODE_DAILY}{_number(serial_number % 1000, 3)}{' ' * 40}",
    ]
    labels_after = [
        _header_1("EOF1", sun, serial, created_on, processing_day),
        _header_2("EOF2"),
        f"UTL1{_number(total, 13)}{_number(total, 13)}{_number(1, 7)}{_number(len(payments), 7)}{' ' * 36}",
    ]
    lines = [label.ljust(label_width) for label in labels_before] + _data_records(originator, payments, serial)
    lines += [label.ljust(label_width) for label in labels_after]
    return "\r\n".join(lines) + "\r\n"


def _check_file(
    originator: Originator, payments: list[CreditPayment], payment_date: dt.date, created_on: dt.date,
    serial_number: int, label_width: int,
) -> dt.date:
    """Refuse a file Bacs would reject, naming every problem at once; return the processing day."""
    problems: dict[str, str] = {}
    _check_originator(originator, problems)
    if not payments:
        problems["payments"] = "a Bacs file needs at least one payment"
    elif len(payments) > MAX_PAYMENTS:
        problems["payments"] = f"a Bacs file holds at most {MAX_PAYMENTS:,} payments"
    for index, payment in enumerate(payments):
        _check_payment(index, payment, problems)
    if not problems:
        total = sum(payment.amount_pence for payment in payments)
        if total > MAX_TOTAL_PENCE:
            problems["payments"] = "the total must be at most £999,999,999.99, the most one contra can carry"
    if type(serial_number) is not int or not 1 <= serial_number <= 999_999:
        problems["serial_number"] = "must be a whole number from 1 to 999999"
    if label_width not in (LABEL_LENGTH, RECORD_LENGTH):
        problems["label_width"] = f"must be {LABEL_LENGTH} (as Bacs defines labels) or {RECORD_LENGTH}"
    processing_day = _check_dates(payment_date, created_on, problems)
    if problems or processing_day is None:
        raise _problems_error(problems)
    return processing_day


def _data_records(originator: Originator, payments: list[CreditPayment], serial: str) -> list[str]:
    """One credit record per payment, then the contra debiting the originator's account with the total."""
    total = sum(payment.amount_pence for payment in payments)
    own_account = originator.sort_code + originator.account_number
    own_name = _text(bacs_name(originator.name), FIELD_LENGTH)
    records = [
        f"{p.sort_code}{p.account_number}0{CREDIT}{own_account}    {_number(p.amount_pence, 11)}{own_name}"
        f"{_text(p.reference_field, FIELD_LENGTH)}{_text(bacs_name(p.account_name), FIELD_LENGTH)}"
        for p in payments
    ]
    records.append(
        f"{own_account}0{DEBIT_CONTRA}{own_account}    {_number(total, 11)}"
        f"{_text(f'PAYMENT RUN {serial}', FIELD_LENGTH)}{_text(CONTRA_REFERENCE, FIELD_LENGTH)}{own_name}"
    )
    return records


# -- reading -----------------------------------------------------------------------------------------------


class _Reader:
    """Field access on one record, with errors that name the line and positions."""

    def __init__(self, number: int, line: str):
        self.number = number
        self.line = line

    def fail(self, message: str) -> ValidationError:
        return ValidationError(f"Line {self.number} of the Bacs file: {message}.", fields={"line": self.number})

    def text(self, start: int, end: int) -> str:
        """Return positions ``start``-``end`` (1-based, inclusive)."""
        return self.line[start - 1 : end]

    def expect(self, start: int, end: int, wanted: str, what: str) -> None:
        if self.text(start, end) != wanted:
            raise self.fail(f"{what} (positions {start}-{end}) should be {wanted!r}, not {self.text(start, end)!r}")

    def blank(self, start: int, end: int) -> None:
        self.expect(start, end, " " * (end - start + 1), "reserved field")

    def digits(self, start: int, end: int, what: str) -> str:
        value = self.text(start, end)
        if not (value.isascii() and value.isdigit()):
            raise self.fail(f"{what} (positions {start}-{end}) should be digits, not {value!r}")
        return value

    def date(self, start: int, what: str) -> dt.date:
        try:
            return parse_julian(self.text(start, start + 5))
        except ValueError as error:
            raise self.fail(f"{what}: {error}") from None

    def bacs_field(self, start: int, end: int, what: str) -> str:
        value = self.text(start, end)
        if not set(value) <= BACS_CHARACTERS:
            raise self.fail(f"{what} (positions {start}-{end}) has characters outside the Bacs set: {value!r}")
        return value.rstrip()


def _records(text: str) -> list[_Reader]:
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < 9:
        raise ValidationError("A Bacs file has at least 9 records: 4 labels, a credit, the contra and 3 labels.")
    readers = [_Reader(number, line) for number, line in enumerate(lines, start=1)]
    labels = readers[:4] + readers[-3:]
    for reader in labels:
        if not reader.line.isascii():
            raise reader.fail("has characters that are not ASCII")
        if len(reader.line) == RECORD_LENGTH:
            reader.blank(LABEL_LENGTH + 1, RECORD_LENGTH)
        elif len(reader.line) != LABEL_LENGTH:
            raise reader.fail(
                f"a label record is {LABEL_LENGTH} characters (or {RECORD_LENGTH}), not {len(reader.line)}"
            )
    for reader in readers[4:-3]:
        if len(reader.line) != RECORD_LENGTH:
            raise reader.fail(f"a data record is {RECORD_LENGTH} characters, not {len(reader.line)}")
    return readers


def _read_account(reader: _Reader, start: int) -> tuple[str, str]:
    return reader.digits(start, start + 5, "sort code"), reader.digits(start + 6, start + 13, "account number")


def _read_header_1(reader: _Reader, label: str) -> tuple[str, str, dt.date]:
    reader.expect(1, 5, f"{label}A", "label")
    sun = reader.digits(6, 11, "service user number")
    reader.expect(12, 15, "S  1", "file identifier")
    reader.expect(16, 21, sun, "second service user number")
    serial = reader.text(22, 27)
    reader.digits(28, 41, "section, sequence and generation numbers")
    created_on = reader.date(42, "creation date")
    reader.date(48, "expiration date")
    return sun, serial, created_on


def parse_standard18(text: str) -> Standard18File:
    """Read a single-day Bacs Standard 18 direct-credit file, checking its structure, totals and counts.

    Raises ``ValidationError`` naming the line at fault when the file is not one ``write_standard18`` could
    have written: a record of the wrong length or kind, a debit among the credits, a contra or trailer that
    does not add up.
    """
    readers = _records(text)
    vol1, hdr1, hdr2, uhl1 = readers[:4]
    eof1, eof2, utl1 = readers[-3:]
    *credits, contra = readers[4:-3]
    sun, serial, created_on, processing_day = _read_labels(vol1, hdr1, hdr2, uhl1, eof1, eof2)
    originator, contra_pence = _read_contra(contra, sun)
    payments = [_read_credit(reader, originator) for reader in credits]
    debit_total, credit_total, debit_count, credit_count = _read_trailer(utl1, contra, contra_pence, payments)
    return Standard18File(
        service_user_number=sun,
        serial_number=serial,
        created_on=created_on,
        processing_day=processing_day,
        originator=originator,
        payments=tuple(payments),
        contra_pence=contra_pence,
        debit_total_pence=debit_total,
        credit_total_pence=credit_total,
        debit_count=debit_count,
        credit_count=credit_count,
    )


def _read_labels(
    vol1: _Reader, hdr1: _Reader, hdr2: _Reader, uhl1: _Reader, eof1: _Reader, eof2: _Reader
) -> tuple[str, str, dt.date, dt.date]:
    """The volume, header and user header labels, agreeing with each other and repeated at the end.

    Returns the service user number, the serial number, the creation date and the processing day.
    """
    vol1.expect(1, 4, "VOL1", "label")
    serial = vol1.text(5, 10)
    sun = vol1.digits(42, 47, "service user number")
    vol1.expect(80, 80, "1", "label standard level")

    hdr_sun, hdr_serial, created_on = _read_header_1(hdr1, "HDR1")
    if (hdr_sun, hdr_serial) != (sun, serial):
        raise hdr1.fail("its service user number and serial number differ from VOL1's")
    hdr2.expect(1, 5, "HDR2F", "label and record format")
    hdr2.expect(11, 15, "00100", "record length")
    if eof1.line[4:] != hdr1.line[4:] or eof1.text(1, 4) != "EOF1":
        raise eof1.fail("EOF1 should repeat HDR1")
    if eof2.line[4:] != hdr2.line[4:] or eof2.text(1, 4) != "EOF2":
        raise eof2.fail("EOF2 should repeat HDR2")

    uhl1.expect(1, 4, "UHL1", "label")
    processing_day = uhl1.date(5, "processing day")
    uhl1.expect(29, 37, WORK_CODE_DAILY, "work code")
    return sun, serial, created_on, processing_day


def _read_contra(contra: _Reader, sun: str) -> tuple[Originator, int]:
    """The last data record: the contra debiting the originator's own account; who they are and the amount."""
    own_sort_code, own_account_number = _read_account(contra, 1)
    contra.expect(15, 17, f"0{DEBIT_CONTRA}", "account type and transaction code of the contra")
    if _read_account(contra, 18) != (own_sort_code, own_account_number):
        raise contra.fail("the contra should debit the originator's own account")
    contra.blank(32, 35)
    contra_pence = int(contra.digits(36, 46, "contra amount"))
    contra.bacs_field(47, 64, "narrative")
    if contra.text(65, 82).rstrip() != CONTRA_REFERENCE:
        raise contra.fail("the last data record should be the contra, with reference CONTRA")
    originator = Originator(sun, contra.bacs_field(83, 100, "originator's name"), own_sort_code, own_account_number)
    return originator, contra_pence


def _read_credit(reader: _Reader, originator: Originator) -> CreditPayment:
    """One credit record, from the originator's account, for more than zero."""
    sort_code, account_number = _read_account(reader, 1)
    reader.expect(15, 17, f"0{CREDIT}", "account type and transaction code (only credits are expected)")
    if _read_account(reader, 18) != (originator.sort_code, originator.account_number):
        raise reader.fail("the credit should come from the originator's account, as the contra does")
    reader.blank(32, 35)
    amount = int(reader.digits(36, 46, "amount"))
    if amount <= 0:
        raise reader.fail("a credit must be for more than zero")
    reader.bacs_field(47, 64, "originator's name")
    reference = reader.bacs_field(65, 82, "reference")
    if reference == CONTRA_REFERENCE:
        raise reader.fail("only one contra record is expected, at the end of the data records")
    return CreditPayment(sort_code, account_number, reader.bacs_field(83, 100, "account name"), amount, reference)


def _read_trailer(
    utl1: _Reader, contra: _Reader, contra_pence: int, payments: list[CreditPayment]
) -> tuple[int, int, int, int]:
    """The user trailer's totals and counts, which must agree with the contra and the credits."""
    utl1.expect(1, 4, "UTL1", "label")
    debit_total = int(utl1.digits(5, 17, "debit total"))
    credit_total = int(utl1.digits(18, 30, "credit total"))
    debit_count = int(utl1.digits(31, 37, "debit count"))
    credit_count = int(utl1.digits(38, 44, "credit count"))
    total = sum(payment.amount_pence for payment in payments)
    if contra_pence != total:
        raise contra.fail(f"the contra is for {contra_pence} pence but the credits add up to {total}")
    if (debit_total, credit_total) != (contra_pence, total):
        raise utl1.fail(f"the totals ({debit_total} debit, {credit_total} credit) should both be {total} pence")
    if (debit_count, credit_count) != (1, len(payments)):
        raise utl1.fail(f"the counts ({debit_count} debit, {credit_count} credit) should be 1 and {len(payments)}")
    return debit_total, credit_total, debit_count, credit_count
