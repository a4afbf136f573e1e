"""The running footer says what the document is, whole, beside its verification code and page number.

Issued documents carry "Code K7QM2-9XHWR   Page 10 of 12" at the foot of each page; the document's name on the
same line was cut short to fit ("What we paid you on 8 J…" in easy read at 16 pt). Every kind, in every format,
long enough to run to ten pages or more where it can, stamped as the register stamps it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.documents import examples as ex
from ledger.documents.stamp import Stamp, stamped
from tests.documents.layout_reader import pages
from tests.documents.test_layouts import FORMATS, KINDS

STAMP = Stamp(number="D0001234", code="K7QM2-9XHWR", issued_on=dt.date(2026, 9, 8), organisation=ex.ORGANISATION)
CASES = [(kind, name) for kind, spec in KINDS.items() for name in spec[2]]


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_the_footer_names_the_document_whole(kind, name):
    make, draw, _, _, long, _ = KINDS[kind]
    with stamped(STAMP):
        found = pages(draw(make(long * 3), **FORMATS[name]))
    for number, page in enumerate(found, start=1):
        [footer] = [line for line in page.lines if f"Page {number} of {len(found)}" in line.text]
        assert "Code K7QM2-9XHWR" in footer.text
        assert "…" not in footer.text, f"{kind}, {name}, page {number}: the footer is cut: {footer.text!r}"
