"""Easy-read documents: the statement and the remittance advice, one idea per line with a picture beside it.

The words are ``ledger.easy_read``'s, the same ideas the easy-read pages show. Each idea is drawn whole (never
split across a page): its picture on the left (a Lucide icon from the front-end build, drawn as vectors with
svglib), the words on the right with the key words in bold, the money under them in large bold figures.
Nothing is smaller than 16 pt: body 20 pt, money 32 pt, running header and footer 16 pt.

Data in, bytes out: no database, no Flask. The pictures come from ``ledger.easy_read.ICON_FOLDER`` (``make
assets``); a missing picture is an error, never a document printed without it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable
from svglib.svglib import svg2rlg

from ledger.documents import fonts
from ledger.documents.alternative import web_version
from ledger.documents.flowables import RULE_GREY, Text, TextBlock, WindowAddress
from ledger.documents.layout import Look, Meta, Writer, build_pdf, frame_width
from ledger.easy_read import (
    ICON_FOLDER,
    Idea,
    annual_summary_ideas,
    benefit_notice_ideas,
    icon_file,
    remittance_ideas,
    statement_ideas,
)
from ledger.formatting import date_range, long_date, money
from ledger.reports.benefit_effect_records import BenefitEffectNotice
from ledger.reports.organisation import Organisation
from ledger.reports.records import AnnualSummary, ParticipantStatement, Payee, RemittanceAdvice

__all__ = [
    "EASY_READ",
    "render_annual_summary_easy_read",
    "render_benefit_effect_easy_read",
    "render_remittance_easy_read",
    "render_statement_easy_read",
]

EASY_READ = Look(
    large_print=True,
    body=20,
    leading=28,
    cell=18,
    cell_leading=24,
    h1=30,
    h2=24,
    margin=16 * mm,
    space=8,
    header=16,
    padding=6,
)
FIGURE_SIZE = 32.0
PICTURE_SIZE = 40.0
GAP = 14.0
INK = b"#0b0c0c"
ADDRESS_SIZE = 16.0


@functools.cache
def picture(name: str) -> Drawing:
    """The picture for an idea, scaled to PICTURE_SIZE points square."""
    path = ICON_FOLDER / icon_file(name)
    if not path.is_file():
        raise FileNotFoundError(f"the easy-read picture {path} is missing: build the front end (make assets)")
    # Lucide draws in the text colour ("currentColor"), which svglib leaves undrawn: ink it in the text's black.
    drawing = svg2rlg(io.BytesIO(path.read_bytes().replace(b"currentColor", INK)))
    if drawing is None:
        raise ValueError(f"the easy-read picture {path} could not be read")
    scale = PICTURE_SIZE / max(drawing.width, drawing.height)
    drawing.scale(scale, scale)
    drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
    # reportlab sets the drawing's font even where it draws no text: not its 10 pt default, never below 16 pt.
    drawing.initialFontName, drawing.initialFontSize = fonts.REGULAR, EASY_READ.body
    return drawing


def _pieces(idea: Idea) -> tuple[Text, ...]:
    pieces = [Text(idea.before)]
    if idea.key:
        pieces.append(Text(" " + idea.key, bold=True))
    if idea.after:
        pieces.append(Text(idea.after if idea.after[0] in ".,:;" else " " + idea.after))
    return tuple(pieces)


class IdeaLine(Flowable):
    """One idea: its picture on the left, its words beside it, any money large under the words.

    The words are layout's ``TextBlock`` (the Writer's paragraph), drawn beside the picture, not a copy of it.
    """

    def __init__(self, idea: Idea, the_look: Look):
        super().__init__()
        self.idea, self.look = idea, the_look
        self.spaceAfter = the_look.space
        self._words = TextBlock(_pieces(idea), the_look.body, the_look.leading)
        self._words_height = 0.0

    def wrap(self, availWidth, availHeight):
        self.width = availWidth
        _, self._words_height = self._words.wrap(availWidth - PICTURE_SIZE - GAP, availHeight)
        figure = FIGURE_SIZE * 1.3 if self.idea.figure else 0.0
        self.height = max(PICTURE_SIZE, self._words_height + figure) + self.look.padding
        return self.width, self.height

    def draw(self):
        canvas, lk = self.canv, self.look
        renderPDF.draw(picture(self.idea.picture), canvas, 0, self.height - PICTURE_SIZE)
        left = PICTURE_SIZE + GAP
        self._words.drawOn(canvas, left, self.height - self._words_height)
        if self.idea.figure:
            baseline = self.height - self._words_height - lk.leading + (lk.leading - lk.body) / 2 + 0.24 * lk.body
            fonts.draw_text(canvas, left, baseline - (FIGURE_SIZE - lk.body) * 0.9, self.idea.figure, FIGURE_SIZE,
                            True)
        canvas.setStrokeColor(RULE_GREY)
        canvas.setLineWidth(0.6)
        canvas.line(0, 0, self.width, 0)


def _writer() -> Writer:
    return Writer(EASY_READ, frame_width(EASY_READ))


def _ideas(w: Writer, ideas: Sequence[Idea]) -> None:
    for idea in ideas:
        w.add(IdeaLine(idea, w.look))


def _questions(w: Writer, organisation: Organisation) -> None:
    """Who to ask, as one more idea (no heading: a heading would push it alone onto a page of its own)."""
    how = ", ".join(organisation.contact) if organisation.contact else organisation.name
    _ideas(w, (Idea("phone", "Please", "talk to us", f"if something looks wrong: {how}."),))


def _web(w: Writer, address: str) -> None:
    """Where the web page of this document is: one more idea, under the date."""
    if address:
        w.add(IdeaLine(Idea("information", "You can read this on a", "web page", ":"), w.look))
        web_version(w, address, words=False)


def _document(payee: Payee, title: str, first_line: str, ideas, organisation: Organisation, meta: Meta, *,
              web_address: str = "", windowed: bool = False) -> bytes:
    """Every easy-read document has one shape: who it is for, its title, one line (the date or the payment),
    where its web page is, its ideas, then who to ask. ``windowed``: addressed for a window envelope (the print
    pack), at 16 pt so that five lines fit the window."""
    w = _writer()
    if windowed:
        lk = w.look
        w.add(WindowAddress((payee.name, *payee.address), ADDRESS_SIZE, ADDRESS_SIZE * 1.2, A4[1],
                            lk.margin + lk.header * 1.2))
    else:
        w.lines((payee.name, *payee.address))
    w.title(title)
    w.para(first_line)
    _web(w, web_address)
    _ideas(w, ideas)
    _questions(w, organisation)
    return build_pdf(w.story, EASY_READ, meta)


def render_statement_easy_read(doc: ParticipantStatement, *, web_address: str = "") -> bytes:
    """A participant's statement in easy read."""
    period = date_range(doc.period_start, doc.period_end)
    return _document(doc.participant, "Your statement", f"Date: {long_date(doc.issued)}", statement_ideas(doc),
                     doc.organisation, Meta(
                         title=f"Statement for {doc.participant.name}, {period} (easy read)",
                         author=doc.organisation.name,
                         subject=f"Statement from {doc.organisation.name}, in easy read",
                         header=doc.organisation.name, footer=f"Your statement, {period}"),
                     web_address=web_address)


def render_remittance_easy_read(doc: RemittanceAdvice, *, windowed: bool = False, web_address: str = "") -> bytes:
    """A remittance advice (what we paid and what for) in easy read; ``windowed``: for a window envelope."""
    return _document(doc.payee, "We have paid you", f"Payment number: {doc.run_reference}", remittance_ideas(doc),
                     doc.organisation, Meta(
                         title=f"Remittance advice {doc.run_reference}: {doc.payee.name} (easy read)",
                         author=doc.organisation.name,
                         subject=f"What {doc.organisation.name} paid, in easy read", header=doc.organisation.name,
                         footer=f"What we paid you on {long_date(doc.payment_date)}"),
                     web_address=web_address, windowed=windowed)


def render_annual_summary_easy_read(doc: AnnualSummary, *, web_address: str = "") -> bytes:
    """A tax-year summary in easy read: what we paid, what tax counts, and whether to tell HMRC."""
    year = f"{doc.tax_year} to {doc.tax_year + 1}"
    return _document(doc.participant, f"Your money in the tax year {year}", f"Date: {long_date(doc.issued)}",
                     annual_summary_ideas(doc), doc.organisation, Meta(
                         title=f"Tax year summary {year} for {doc.participant.name} (easy read)",
                         author=doc.organisation.name,
                         subject=f"Fees and expenses paid by {doc.organisation.name} in the tax year {year}, in "
                                 "easy read",
                         header=doc.organisation.name, footer=f"Your tax year {year}"),
                     web_address=web_address)


def render_benefit_effect_easy_read(doc: BenefitEffectNotice, *, web_address: str = "") -> bytes:
    """The benefit effect of one payment in easy read."""
    return _document(doc.participant, "This money and your benefits", f"Date: {long_date(doc.issued)}",
                     benefit_notice_ideas(doc), doc.organisation, Meta(
                         title=f"What this payment means for your benefits: {doc.description} (easy read)",
                         author=doc.organisation.name,
                         subject=f"The benefit check of a payment of {money(doc.amount_pence)} from "
                                 f"{doc.organisation.name}, in easy read",
                         header=doc.organisation.name, footer="This money and your benefits"),
                     web_address=web_address)
