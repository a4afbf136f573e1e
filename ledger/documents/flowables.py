"""Text blocks and tables drawn straight onto the canvas: fast, and never parsed as markup.

reportlab's ``Table`` with a Paragraph in each cell costs about a millisecond a row and re-measures every
remaining row each time it splits across a page; Paragraphs parse their text as markup. These flowables
lay text out once with our own line breaker (word wrap, the fallback font where DejaVu has no glyph, long
words broken between characters), split between lines or rows by arithmetic (tables repeat their header
row on each page), and draw all their text in one text object. Text is drawn as text: nothing in the data,
such as ``<b>`` or ``&amp;``, can change the layout, and every name prints exactly as entered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.platypus import Flowable

from ledger.documents import fonts

HEADER_GREY = colors.HexColor("#E6E6E6")
BAND_GREY = colors.HexColor("#F2F2F2")
RULE_GREY = colors.HexColor("#8C8C8C")
_SPACES = re.compile(r"( +)")


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of a cell's text."""

    text: str
    bold: bool = False
    new_line: bool = False  # start a new line inside the cell


# A cell is a plain string (lines split on "\n"), one Text, or Text pieces flowing together.
Cell = str | Text | tuple[Text, ...]


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    share: float = 1.0  # of the width left after the sized columns
    numeric: bool = False  # figures: right-aligned and sized to their widest entry
    sized: bool = False  # sized to its widest entry, like figures (dates, short labels)

    @property
    def fitted(self) -> bool:
        return self.numeric or self.sized


@dataclass(frozen=True, slots=True)
class Grid:
    """How a table is drawn."""

    size: float
    leading: float
    padding: float
    header: bool = True  # the first row is a header: bold, shaded, repeated on each page
    bands: bool = True  # shade every other row
    box: bool = True  # a frame round the table
    bold: bool = False  # every row bold (totals)
    flush: bool = False  # the first column lines up with the text around the table (no left padding)


Segment = tuple[str, str]  # font name, text
Line = tuple[tuple[Segment, ...], float]  # segments, width


def _paragraphs(cell: Cell, bold: bool) -> list[list[tuple[str, bool]]]:
    if isinstance(cell, str):
        return [[(line, bold)] for line in cell.split("\n")]
    pieces = (cell,) if isinstance(cell, Text) else cell
    paragraphs: list[list[tuple[str, bool]]] = [[]]
    for piece in pieces:
        if piece.new_line and paragraphs[-1]:
            paragraphs.append([])
        paragraphs[-1].append((piece.text, piece.bold or bold))
    return paragraphs


def _width(segments: Sequence[Segment], size: float) -> float:
    return sum(fonts.width(text, font, size) for font, text in segments)


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for font, text in segments:
        if merged and merged[-1][0] == font:
            merged[-1] = (font, merged[-1][1] + text)
        else:
            merged.append((font, text))
    return tuple(merged)


def _words(segments: Sequence[Segment]) -> list[list[Segment]]:
    words: list[list[Segment]] = []
    current: list[Segment] = []
    for font, text in segments:
        for piece in _SPACES.split(text):
            if not piece:
                continue
            if piece[0] == " ":
                if current:
                    words.append(current)
                    current = []
            else:
                current.append((font, piece))
    if current:
        words.append(current)
    return words


def _break_word(word: list[Segment], width: float, size: float) -> list[list[Segment]]:
    """Break a word wider than the cell between characters (names in scripts without spaces)."""
    pieces: list[list[Segment]] = [[]]
    used = 0.0
    for font, text in word:
        for char in text:
            char_width = fonts.width(char, font, size)
            if pieces[-1] and used + char_width > width:
                pieces.append([])
                used = 0.0
            pieces[-1].append((font, char))
            used += char_width
    return pieces


def layout_cell(cell: Cell, width: float, size: float, bold: bool = False) -> list[Line]:
    """Break a cell's text into lines no wider than ``width`` (a single long word may not be)."""
    lines: list[Line] = []
    for paragraph in _paragraphs(cell, bold):
        segments = [run for text, is_bold in paragraph for run in fonts.runs(text, is_bold)]
        total = _width(segments, size)
        if total <= width:
            lines.append((_merge(segments), total))
            continue
        line: list[Segment] = []
        used = 0.0
        for word in _words(segments):
            word_width = _width(word, size)
            parts = _break_word(word, width, size) if word_width > width else [word]
            for part in parts:
                part_width = word_width if len(parts) == 1 else _width(part, size)
                space = fonts.width(" ", line[-1][0], size) if line else 0.0
                if line and used + space + part_width > width:
                    lines.append((_merge(line), used))
                    line, used, space = [], 0.0, 0.0
                if line:
                    line.append((line[-1][0], " "))
                line.extend(part)
                used += space + part_width
        lines.append((_merge(line), used))
    return lines


def natural_width(cell: Cell, size: float, bold: bool = False) -> float:
    """Return the width a cell needs to print each of its lines unbroken."""
    return max(
        (_width([r for text, b in p for r in fonts.runs(text, b)], size) for p in _paragraphs(cell, bold)),
        default=0.0,
    )


def _heading_widths(title: str, size: float) -> list[float]:
    """The widths a column heading can take, narrowest first: its longest word, two lines, one line."""
    words = title.split() or [""]
    one_line = natural_width(title, size, bold=True)
    longest = max(natural_width(word, size, bold=True) for word in words)
    two_lines = min((max(natural_width(" ".join(words[:i]), size, bold=True),
                         natural_width(" ".join(words[i:]), size, bold=True)) for i in range(1, len(words))),
                    default=one_line)
    return [longest, two_lines, one_line]


def column_widths(
    width: float,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    size: float,
    padding: float,
    totals: Sequence[Cell] | None = None,
) -> list[float]:
    """Size figure (and ``sized``) columns to their widest entry, and share the rest of ``width``.

    A heading wrapped one word per line is hard to read: each sized column's heading is widened, the cheapest
    first (two-word headings to one line, longer ones to two lines, then to one), while the sized columns leave
    the shared ones 30% of the width; a heading is never broken inside a word.
    """
    room = 2 * padding + 0.5
    data: list[float | None] = []
    headings: list[list[float]] = []
    for index, column in enumerate(columns):
        if not column.fitted:
            data.append(None)
            headings.append([0.0])
            continue
        need = 0.0
        for row in rows:
            need = max(need, natural_width(row[index], size))
        if totals is not None:
            need = max(need, natural_width(totals[index], size, bold=True))
        data.append(need)
        headings.append(_heading_widths(column.title, size))
    sized: list[float | None] = [None if d is None else max(d, headings[i][0]) + room for i, d in enumerate(data)]
    budget = width * (0.7 if any(d is None for d in data) else 1.0)
    # Two-word headings on one line first (on two lines they would be one word per line), then longer ones
    # on two lines, then on one.
    for level, most_words in ((2, 2), (1, 99), (2, 99)):
        wanted = sorted((max(d, headings[i][level]) + room - (sized[i] or 0.0), i) for i, d in enumerate(data)
                        if d is not None and len(columns[i].title.split()) <= most_words)
        for extra, index in wanted:
            if extra > 0 and sum(w for w in sized if w is not None) + extra <= budget:
                sized[index] = (sized[index] or 0.0) + extra
    fixed = sum(w for w in sized if w is not None)
    shares = sum(c.share for c, w in zip(columns, sized, strict=True) if w is None)
    if fixed > width * 0.8 or not shares:  # figures too wide to size: share everything instead
        total = sum(c.share for c in columns)
        return [width * c.share / total for c in columns]
    widths = [w if w is not None else (width - fixed) * c.share / shares for c, w in zip(columns, sized, strict=True)]
    # A shared column is never narrower than the longest word of its heading: the room comes from the widest.
    for index, column in enumerate(columns):
        least = max((natural_width(word, size, bold=True) for word in column.title.split()), default=0.0) + room
        widest = max(range(len(widths)), key=widths.__getitem__)
        if sized[index] is None and widths[index] < least and widths[widest] - (least - widths[index]) >= least:
            widths[widest] -= least - widths[index]
            widths[index] = least
    return widths


@dataclass(frozen=True, slots=True)
class _Row:
    cells: tuple[list[Line], ...]
    height: float


class GridTable(Flowable):
    """A table of text cells drawn on the canvas; splits between rows, repeating its header row.

    ``totals``: a bold last row that never goes to a page without at least one row of the table above it.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        widths: Sequence[float],
        rows: Sequence[Sequence[Cell]],
        grid: Grid,
        *,
        totals: Sequence[Cell] | None = None,
        _laid_out: tuple[_Row | None, list[_Row]] | None = None,
        _tail: int = 0,
    ):
        super().__init__()
        self.columns, self.widths, self.grid = tuple(columns), tuple(widths), grid
        self.aligns = tuple(c.numeric for c in columns)
        self.tail = _tail  # how many of the last rows are totals (kept with the row above them)
        if _laid_out is None:
            header = self._lay_out([c.title for c in columns], bold=True) if grid.header else None
            body = [self._lay_out(row, bold=grid.bold) for row in rows]
            if totals is not None:
                body.append(self._lay_out(totals, bold=True))
                self.tail = 1
            _laid_out = (header, body)
        self.header, self.body = _laid_out
        self.width = sum(self.widths)
        self.height = (self.header.height if self.header else 0.0) + sum(r.height for r in self.body)

    def _lay_out(self, cells: Sequence[Cell], bold: bool) -> _Row:
        g = self.grid
        laid = tuple(
            layout_cell(cell, width - 2 * g.padding, g.size, bold)
            for cell, width in zip(cells, self.widths, strict=True)
        )
        lines = max((len(cell) for cell in laid), default=1) or 1
        return _Row(laid, lines * g.leading + 2 * g.padding)

    def wrap(self, availWidth, availHeight):
        return self.width, self.height

    def split(self, availWidth, availHeight):
        used = self.header.height if self.header else 0.0
        fitted = 0
        for row in self.body:
            if used + row.height > availHeight:
                break
            used += row.height
            fitted += 1
        if fitted == len(self.body):
            return [self]
        if self.tail and len(self.body) - fitted <= self.tail:
            fitted = len(self.body) - self.tail - 1  # the totals take the last row with them
        if fitted <= 0:
            return []
        return [self._part(self.body[:fitted]), self._part(self.body[fitted:], self.tail)]

    def _part(self, body: list[_Row], tail: int = 0) -> GridTable:
        return GridTable(self.columns, self.widths, (), self.grid, _laid_out=(self.header, body), _tail=tail)

    def draw(self):
        canvas, g = self.canv, self.grid
        rows = ([self.header] if self.header else []) + self.body
        tops = []
        top = self.height
        for row in rows:
            tops.append(top)
            top -= row.height
        canvas.saveState()
        for index, (row, row_top) in enumerate(zip(rows, tops, strict=True)):
            is_header = self.header is not None and index == 0
            body_index = index - (1 if self.header else 0)
            is_total = index >= len(rows) - self.tail  # the totals row is never banded
            if is_header or (g.bands and body_index % 2 == 1 and not is_total):
                canvas.setFillColor(HEADER_GREY if is_header else BAND_GREY)
                canvas.rect(0, row_top - row.height, self.width, row.height, stroke=0, fill=1)
        canvas.setStrokeColor(RULE_GREY)
        canvas.setLineWidth(0.6)
        if g.box:
            canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)
        if self.header is not None:
            canvas.setStrokeColor(colors.black)
            canvas.line(0, self.height - self.header.height, self.width, self.height - self.header.height)
        if self.tail:  # a rule over the totals, where the separate totals table used to start
            canvas.setStrokeColor(RULE_GREY)
            above = sum(row.height for row in self.body[-self.tail:])
            canvas.line(0, above, self.width, above)
        canvas.setFillColor(colors.black)
        text = canvas.beginText()
        current = None
        for row, row_top in zip(rows, tops, strict=True):
            left = 0.0
            for index, (lines, width, right) in enumerate(zip(row.cells, self.widths, self.aligns, strict=True)):
                baseline = row_top - g.padding - g.size
                indent = 0.0 if g.flush and index == 0 else g.padding
                for segments, line_width in lines:
                    x = left + width - g.padding - line_width if right else left + indent
                    text.setTextOrigin(x, baseline)
                    for font, chunk in segments:
                        if font != current:
                            text.setFont(font, g.size)
                            current = font
                        text.textOut(chunk)
                    baseline -= g.leading
                left += width
        canvas.drawText(text)
        canvas.restoreState()


class TextBlock(Flowable):
    """A paragraph (or several lines) of text, wrapped to the frame and split between lines."""

    def __init__(
        self,
        cell: Cell,
        size: float,
        leading: float,
        *,
        bold: bool = False,
        space_before: float = 0.0,
        space_after: float = 0.0,
        _lines: tuple[float, list[Line]] | None = None,
    ):
        super().__init__()
        self.cell, self.size, self.leading, self.bold = cell, size, leading, bold
        self.spaceBefore, self.spaceAfter = space_before, space_after
        self._lines = _lines

    def _laid_out(self, width: float) -> list[Line]:
        if self._lines is None or self._lines[0] != width:
            self._lines = (width, layout_cell(self.cell, width, self.size, self.bold))
        return self._lines[1]

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        self.height = len(self._laid_out(availWidth)) * self.leading
        return self.width, self.height

    def split(self, availWidth, availHeight):
        lines = self._laid_out(availWidth)
        fitted = int(availHeight // self.leading)
        if fitted < 1 or fitted >= len(lines):
            return []
        first, rest = (
            TextBlock(self.cell, self.size, self.leading, bold=self.bold, _lines=(availWidth, part))
            for part in (lines[:fitted], lines[fitted:])
        )
        first.spaceBefore, rest.spaceAfter = self.spaceBefore, self.spaceAfter
        return [first, rest]

    def draw(self):
        text = self.canv.beginText()
        current = None
        # Centre the glyphs (ascent about 0.93, descent about 0.24 of the size in DejaVu) in each line.
        baseline = self.height - self.leading + (self.leading - self.size) / 2 + 0.24 * self.size
        for segments, _ in self._laid_out(self.width):
            text.setTextOrigin(0, baseline)
            for font, chunk in segments:
                if font != current:
                    text.setFont(font, self.size)
                    current = font
                text.textOut(chunk)
            baseline -= self.leading
        self.canv.drawText(text)


class WindowAddress(Flowable):
    """The address, placed on the page where a windowed C5 or DL envelope shows it.

    The window of the common UK C5 and DL envelopes sits 20 mm from the left edge and 45 mm from the top of an
    A4 sheet folded to fit, and is about 90 × 45 mm; the address is drawn inside it (25 mm in, 50 mm down), at
    absolute page positions whatever the page's margins, in at most six lines cut to the window's width.
    """

    LEFT, TOP, WIDTH, HEIGHT = 25 * 72 / 25.4, 50 * 72 / 25.4, 85 * 72 / 25.4, 38 * 72 / 25.4
    MAX_LINES = 6

    def __init__(self, lines: Sequence[str], size: float, leading: float, page_height: float, top_margin: float):
        super().__init__()
        self.address_lines = [fonts.clean(line) for line in lines][: self.MAX_LINES]
        self.size, self.leading = size, leading
        self.page_height, self.top_margin = page_height, top_margin

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        # From the top of the frame (a fresh page) to the foot of the window.
        self.width = available_width
        self.height = max(self.TOP + self.HEIGHT - self.top_margin, self.leading)
        return self.width, self.height

    def draw(self) -> None:
        origin_x, origin_y = self.canv.absolutePosition(0, 0)
        y = self.page_height - self.TOP - self.size - origin_y
        for line in self.address_lines:
            text = line
            while text and fonts.text_width(text, self.size) > self.WIDTH:
                text = text[:-1]
            fonts.draw_text(self.canv, self.LEFT - origin_x, y, text, self.size)
            y -= self.leading
