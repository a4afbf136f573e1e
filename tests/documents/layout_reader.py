"""Read a PDF back as lines of text with their positions, page by page (pypdf's ``visitor_text``)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    x: float
    y: float  # the baseline, from the foot of the page
    size: float
    bold: bool


@dataclass(frozen=True, slots=True)
class Line:
    """The pieces of text on one baseline of a page, left to right."""

    y: float
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces).strip()

    @property
    def size(self) -> float:
        return max(piece.size for piece in self.pieces)

    @property
    def bold(self) -> bool:
        return all(piece.bold for piece in self.pieces if piece.text.strip())


@dataclass(frozen=True, slots=True)
class Page:
    width: float
    height: float
    lines: tuple[Line, ...]  # top to bottom


def pages(pdf: bytes) -> list[Page]:
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        pieces: list[Piece] = []

        def visit(text, cm, tm, font, size, pieces=pieces):
            if not text.strip():
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            bold = "Bold" in str((font or {}).get("/BaseFont", ""))
            pieces.append(Piece(text, x, y, float(size) * (tm[3] or 1) * (cm[3] or 1), bold))

        page.extract_text(visitor_text=visit)
        rows: dict[float, list[Piece]] = {}
        for piece in pieces:
            rows.setdefault(round(piece.y), []).append(piece)
        lines = tuple(Line(y, tuple(sorted(row, key=lambda p: p.x))) for y, row in sorted(rows.items(), reverse=True))
        box = page.mediabox
        found.append(Page(float(box.width), float(box.height), lines))
    return found
