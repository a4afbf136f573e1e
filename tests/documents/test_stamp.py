"""The QR code of a verification address: made from a code book for a payment run, the same as encoded alone."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ledger.documents import examples, stamp
from ledger.documents.register import drawing_processes
from ledger.documents.render import render_remittance
from ledger.documents.stamp import CodeBook, Stamp, new_code, prepare_codes, qr_picture, stamped


@pytest.mark.parametrize("address", ["http://localhost:5000/verify", "https://taliadau.cyngor.example/gwirio-dogfen"])
def test_the_code_book_gives_exactly_the_qr_code_encoded_alone(address):
    prefix = f"{address}?code=".encode()
    book = CodeBook(prefix)
    for _ in range(200):
        data = prefix + new_code().encode()
        assert book.modules(data) == stamp._encoded(data)


def test_a_document_drawn_with_the_code_book_is_byte_for_byte_the_same(monkeypatch):
    monkeypatch.setattr(stamp, "_BOOKS", {})
    issued = Stamp("D0000042", new_code(), dt.date(2026, 12, 2), examples.ORGANISATION)
    other = dataclasses.replace(issued, organisation=dataclasses.replace(examples.ORGANISATION,
                                                                         verify_url="https://other.example/verify"))
    alone = {s: qr_picture(s.check_url).tobytes() for s in (issued, other)}
    with stamped(issued):
        before = render_remittance(examples.remittance())
    prepare_codes(examples.ORGANISATION)
    assert list(stamp._BOOKS) == [f"{examples.ORGANISATION.verify_url}?code=".encode()]
    with stamped(issued):
        assert render_remittance(examples.remittance()) == before
    assert {s: qr_picture(s.check_url).tobytes() for s in (issued, other)} == alone  # another address: encoded


def _has_code_book(organisation) -> bool:
    return Stamp("", "", dt.date.min, organisation).check_url.encode() in stamp._BOOKS


def test_the_drawing_processes_have_the_code_book_before_their_first_advice(monkeypatch):
    """Started before the run is read, each process makes its own (while the run is read), whatever this one has."""
    monkeypatch.setattr(stamp, "_BOOKS", {})
    with drawing_processes(2, examples.ORGANISATION) as processes:
        assert processes is not None
        assert list(processes.map(_has_code_book, [examples.ORGANISATION] * 4)) == [True] * 4
    assert not _has_code_book(examples.ORGANISATION)  # made there, not here
    with drawing_processes(1, examples.ORGANISATION) as processes:
        assert processes is None  # one: drawn in this process
