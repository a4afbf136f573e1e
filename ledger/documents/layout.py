"""Page layout shared by every document: looks (standard and large print), the story writer, the PDF build.

Every PDF is built the same way: A4, the organisation's name at the top of each page, "Page X of Y" at the
foot, fonts embedded, title, author, subject and language (en-GB) in the metadata, and ``invariant`` set
so that the same data always gives the same bytes. A document issued through the register
(``ledger.documents.stamp``) also carries its number at the top of each page, its verification code at the foot,
and a last block saying who issued it, when, and how to check it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab import rl_config
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, SimpleDocTemplate, Spacer

from ledger.documents import fonts
from ledger.documents.flowables import RULE_GREY, Cell, Column, Grid, GridTable, Text, TextBlock, column_widths
from ledger.documents.stamp import Stamp, current_stamp, stamp_block

LANGUAGE = "en-GB"
CREATOR = "ledger documents"


@dataclass(frozen=True, slots=True)
class Look:
    """Type sizes and spacing for one print size."""

    large_print: bool
    body: float
    leading: float
    cell: float  # table text
    cell_leading: float
    h1: float
    h2: float
    margin: float
    space: float  # space after a paragraph
    header: float  # running header and footer
    padding: float  # inside table cells


STANDARD = Look(
    large_print=False,
    body=12,
    leading=16,
    cell=10.5,
    cell_leading=13.5,
    h1=20,
    h2=15,
    margin=18 * mm,
    space=7,
    header=9,
    padding=4,
)
# Large print: nothing below 16 pt (headers, footers and tables included), generous leading and spacing.
LARGE_PRINT = Look(
    large_print=True,
    body=16,
    leading=23,
    cell=16,
    cell_leading=21,
    h1=26,
    h2=20,
    margin=14 * mm,
    space=14,
    header=16,
    padding=6,
)


def look(large_print: bool) -> Look:
    """Return the look for standard or large print."""
    return LARGE_PRINT if large_print else STANDARD


class Writer:
    """Builds a story of flowables in one look. Text is drawn as text, never parsed as markup."""

    def __init__(self, the_look: Look, width: float):
        self.look = the_look
        self.width = width
        self.story: list[Flowable] = []
        self._heading_at: int | None = None  # the length of the story just after the last heading

    def add(self, flowable: Flowable) -> None:
        if isinstance(flowable, Drawing) and self._under_heading():  # a chart never splits: keep its heading on
            self._keep_with_heading(flowable.height)
        self.story.append(flowable)

    def _under_heading(self) -> bool:
        return self._heading_at == len(self.story)

    def _keep_with_heading(self, height: float) -> None:
        """Start the heading just added on a new page unless ``height`` more fits under it."""
        self.story[-2] = CondPageBreak(self._heading_room() + height + self.look.space)

    def title(self, text: str) -> None:
        lk = self.look
        self.add(TextBlock(Text(text), lk.h1, lk.h1 * 1.25, bold=True, space_after=lk.space * 1.2))

    def heading(self, text: str) -> None:
        """Add a heading, starting a new page unless it and two lines after it fit on this one."""
        lk = self.look
        # Not keepWithNext: reportlab would keep the heading with the whole of a long table, and so
        # break the page before every table longer than the space left.
        self.add(CondPageBreak(self._heading_room() + 2.5 * lk.leading))
        self.add(
            TextBlock(Text(text), lk.h2, lk.h2 * 1.3, bold=True, space_before=lk.space * 1.5, space_after=lk.space)
        )
        self._heading_at = len(self.story)

    def _heading_room(self) -> float:
        lk = self.look
        return lk.h2 * 1.3 + lk.space * 2.5

    def para(self, text: str | Cell, bold: bool = False) -> None:
        """Add a paragraph: a string, or Text pieces (e.g. a bold label then plain words)."""
        lk = self.look
        self.add(TextBlock(text, lk.body, lk.leading, bold=bold, space_after=lk.space))

    def lines(self, lines: Sequence[str]) -> None:
        """Add lines (an address) as one paragraph, one line each."""
        if lines:
            self.para(tuple(Text(line, new_line=True) for line in lines))

    def space(self, factor: float = 1.0) -> None:
        self.add(Spacer(1, self.look.space * factor))

    def _grid(self, **options: bool) -> Grid:
        lk = self.look
        return Grid(size=lk.cell, leading=lk.cell_leading, padding=lk.padding, **options)

    def facts(self, pairs: Sequence[tuple[str, str]], label_share: float = 0.4) -> None:
        """Add label/value pairs as a borderless two-column table ('Payment date' | '4 June 2025')."""
        columns = [Column("", label_share), Column("", 1 - label_share)]
        rows = [(Text(label, bold=True), Text(value)) for label, value in pairs]
        widths = column_widths(self.width, columns, rows, self.look.cell, self.look.padding)
        self.add(GridTable(columns, widths, rows, self._grid(header=False, bands=False, box=False, flush=True)))
        self.space()

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Cell]],
        *,
        totals: Sequence[Cell] | None = None,
    ) -> None:
        """Add a table, its header row repeated on each page, with an optional bold totals row under it (never
        on a page of its own: the last row goes over with it)."""
        lk = self.look
        widths = column_widths(self.width, columns, rows, lk.cell, lk.padding, totals)
        table = GridTable(columns, widths, rows, self._grid(), totals=totals)
        if self._under_heading():  # a heading keeps its table's column headings and first row
            self._keep_with_heading((table.header.height if table.header else 0.0)
                                    + sum(r.height for r in table.body[:1 + table.tail]))
        self.add(table)
        self.space()


# --- the PDF -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Meta:
    title: str
    author: str  # the organisation
    subject: str
    header: str  # the organisation's name, at the top of every page
    footer: str  # what the document is, at the foot of every page


def _shortened(text: str, room: float, size: float, bold: bool = False) -> str:
    """Return ``text``, cut short with an ellipsis if it is wider than ``room`` (running headers only)."""
    text = fonts.clean(text)
    if fonts.text_width(text, size, bold) <= room:
        return text
    while text and fonts.text_width(text + "…", size, bold) > room:
        text = text[:-1]
    return text.rstrip() + "…"


#: The distance between the two lines of a footer that needs two, in the footer's type size.
FOOTER_LINE = 1.25


def _footer_lines(the_look: Look, meta: Meta, stamp: Stamp | None, page_width: float) -> int:
    """1 when the document's name fits beside its code and page number (counting on up to "Page 999 of 999"),
    else 2: the name then goes on a line of its own, whole, and the page's text stops a line higher."""
    size = the_look.header
    label = (f"Code {stamp.code}   " if stamp else "") + "Page 999 of 999"
    room = page_width - 2 * the_look.margin - fonts.text_width(label, size) - size
    return 1 if fonts.text_width(fonts.clean(meta.footer), size) <= room else 2


def _page_canvas(the_look: Look, meta: Meta, stamp: Stamp | None = None) -> Callable[..., Canvas]:
    class PageCanvas(Canvas):
        """A canvas that holds pages back until the end, to print "Page X of Y" on each."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._furniture(number, total)
                super().showPage()
            super().save()

        def _furniture(self, number: int, total: int) -> None:
            width, height = self._pagesize
            margin, size = the_look.margin, the_look.header
            top = height - margin + size * 0.4
            label = f"No. {stamp.number}" if stamp else ""
            label_width = fonts.text_width(label, size) + size if stamp else 0
            header = _shortened(meta.header, width - 2 * margin - label_width, size, True)
            fonts.draw_text(self, margin, top, header, size, True)
            if stamp:
                fonts.draw_text(self, width - margin - label_width + size, top, label, size)
            self.setStrokeColor(RULE_GREY)
            self.setLineWidth(0.6)
            self.line(margin, top - size * 0.5, width - margin, top - size * 0.5)
            page = f"Code {stamp.code}   Page {number} of {total}" if stamp else f"Page {number} of {total}"
            page_width = fonts.text_width(page, size)
            bottom = margin - size * 1.6
            if _footer_lines(the_look, meta, stamp, width) == 2:
                # The document's name on a line of its own, whole, above its code and page number.
                footer = _shortened(meta.footer, width - 2 * margin, size)
                fonts.draw_text(self, margin, bottom + size * FOOTER_LINE, footer, size)
            else:
                footer = _shortened(meta.footer, width - 2 * margin - page_width - size, size)
                fonts.draw_text(self, margin, bottom, footer, size)
            fonts.draw_text(self, width - margin - page_width, bottom, page, size)

    return PageCanvas


@functools.cache
def _configure_reportlab() -> None:
    """Write streams as compressed binary rather than ASCII85 text: smaller, faster, and read by every PDF
    reader. reportlab only has a process-wide switch for this."""
    rl_config.useA85 = 0


def build_pdf(story: list[Flowable], the_look: Look, meta: Meta, *, wide: bool = False) -> bytes:
    """Lay out ``story`` on A4 (landscape when ``wide``) and return the PDF's bytes."""
    fonts.register_fonts()
    _configure_reportlab()
    buffer = io.BytesIO()
    margin = the_look.margin
    stamp = current_stamp()
    if stamp is not None:
        width = frame_width(the_look, wide=wide)
        story = [*story, Spacer(1, the_look.space * 2),
                 stamp_block(stamp, width, the_look.cell, the_look.cell_leading)]
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if wide else A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin + the_look.header * 1.2,
        bottomMargin=margin + (the_look.header * FOOTER_LINE
                               if _footer_lines(the_look, meta, stamp, (landscape(A4) if wide else A4)[0]) == 2
                               else 0),
        title=fonts.clean(meta.title),
        author=fonts.clean(meta.author),
        subject=fonts.clean(meta.subject),
        keywords=f"document {stamp.number} verification {stamp.code}" if stamp else "",
        creator=CREATOR,
        producer=CREATOR,
        lang=LANGUAGE,
        invariant=1,
        displayDocTitle=True,
        initialFontName=fonts.REGULAR,
        initialFontSize=the_look.body,
        initialLeading=the_look.leading,
    )
    doc.build(story, canvasmaker=_page_canvas(the_look, meta, stamp))
    return buffer.getvalue()


def frame_width(the_look: Look, *, wide: bool = False) -> float:
    """Return the width available to the story between the margins."""
    return (landscape(A4) if wide else A4)[0] - 2 * the_look.margin
