"""Our line breaker keeps every line inside its cell and loses no text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.documents import fonts
from ledger.documents.flowables import Column, Grid, GridTable, Text, TextBlock, column_widths, layout_cell

ALPHABET = "abcdefghij ABC ŵŷâ ΑΩ дж 王秀英 さくら <>&;'\"-"


def _plain(lines) -> str:
    return "".join(chunk for segments, _ in lines for _, chunk in segments)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=200), width=st.floats(min_value=20, max_value=400))
def test_lines_fit_their_cell_and_keep_every_character(text, width):
    lines = layout_cell(Text(text), width, 10)
    for segments, line_width in lines:
        assert line_width <= width + 1e-6 or len("".join(c for _, c in segments)) == 1
        assert abs(line_width - sum(fonts.width(c, f, 10) for f, c in segments)) < 1e-6
    assert _plain(lines).replace(" ", "") == fonts.clean(text).replace(" ", "")


def test_a_long_name_without_spaces_breaks_between_characters():
    lines = layout_cell("王秀英" * 10, 50, 10)
    assert len(lines) > 1
    assert all(width <= 50 for _, width in lines)


def test_cells_keep_their_explicit_lines_and_bold_pieces():
    cell = (Text("4 June 2025", bold=True), Text("Fee: ", bold=True, new_line=True), Text("Meeting"))
    lines = layout_cell(cell, 500, 10)
    assert [segments for segments, _ in lines] == [
        ((fonts.BOLD, "4 June 2025"),),
        ((fonts.BOLD, "Fee: "), (fonts.REGULAR, "Meeting")),
    ]


def test_figure_columns_are_as_wide_as_their_widest_figure():
    columns = [Column("Description"), Column("Amount", numeric=True)]
    rows = [["x", "£1.00"], ["y", "£12,345.67"]]
    widths = column_widths(400, columns, rows, 10, 4)
    assert widths[1] == fonts.width("£12,345.67", fonts.REGULAR, 10) + 8.5
    assert sum(widths) == 400


def test_a_table_splits_between_rows_and_repeats_its_header():
    grid = Grid(size=10, leading=13, padding=4)
    table = GridTable([Column("Name")], [200], [[f"row {n}"] for n in range(100)], grid)
    row = 13 + 8
    first, rest = table.split(200, row * 10 + 1)  # the header and nine rows
    assert len(first.body) == 9 and len(rest.body) == 91
    assert first.header is rest.header is not None
    assert table.split(200, row - 1) == []  # not even the header fits


def test_a_text_block_splits_between_lines():
    block = TextBlock("word " * 200, 12, 16)
    _, height = block.wrap(100, 10_000)
    first, rest = block.split(100, 16 * 3 + 5)
    assert first.wrap(100, 1000)[1] == 48
    assert rest.wrap(100, 10_000)[1] == height - 48
