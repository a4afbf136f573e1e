"""Properties of reading a bank's CSV: every sum of pence written as the bank writes it reads back exactly, and a
file's lines get distinct fingerprints, the same each time it is read (so a re-import adds nothing)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.banking import parsing, services

sums = st.integers(min_value=-10**9, max_value=10**9)


def written(pence: int, style: int) -> str:
    pounds = f"{abs(pence) // 100:,}.{abs(pence) % 100:02d}"
    if style == 0:
        return ("-" if pence < 0 else "") + pounds
    if style == 1:
        return f"({pounds})" if pence < 0 else f"£{pounds}"
    return ("-" if pence < 0 else "") + pounds.replace(",", "")


@settings(max_examples=50, deadline=None)
@given(sums, st.integers(min_value=0, max_value=2))
def test_a_sum_reads_back_to_the_penny(pence, style):
    assert parsing.pence(written(pence, style)) == pence


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), sums.filter(bool), st.sampled_from(["FEE", "BACS", "REFUND"])),
                min_size=1, max_size=40))
def test_each_line_of_a_file_has_its_own_fingerprint_and_the_same_one_each_time(rows):
    start = dt.date(2026, 10, 1)
    text = "Date,Description,Amount,Balance\n" + "".join(
        f"{start + dt.timedelta(days=d):%d/%m/%Y},{what},{written(p, 2)},\n" for d, p, what in rows)

    def prints() -> list[str]:
        return services.fingerprints("main", services.parse_file(text.encode(), preset="santander").lines)

    first = prints()
    assert len(set(first)) == len(rows) and prints() == first
