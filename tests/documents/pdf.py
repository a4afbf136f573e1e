"""Read rendered PDFs back for the tests: text, font sizes, fonts and metadata, with pypdf."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from pypdf import PdfReader
from pypdf.generic import ContentStream

MONEY = re.compile(r"[+-]?£[\d,]+\.\d\d")


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text(pdf: bytes) -> str:
    """Return the text of every page, with runs of whitespace made single spaces."""
    return " ".join(" ".join(page.extract_text().split()) for page in reader(pdf).pages)


def figures(pdf: bytes) -> list[str]:
    """Return every sum of money printed, in reading order."""
    return MONEY.findall(text(pdf))


def assert_in_order(haystack: str, needles: Iterable[str]) -> None:
    """Assert that each needle appears in ``haystack`` after the one before it."""
    position = 0
    for needle in needles:
        found = haystack.find(needle, position)
        assert found >= 0, f"{needle!r} not found after position {position}: ...{haystack[position : position + 200]}"
        position = found + len(needle)


def font_sizes(pdf: bytes) -> list[float]:
    """Return the size of every Tf (set font) operator on every page."""
    doc = reader(pdf)
    sizes = []
    for page in doc.pages:
        for operands, operator in ContentStream(page.get_contents(), doc).operations:
            if operator == b"Tf":
                sizes.append(float(operands[1]))
    return sizes


def fonts(pdf: bytes) -> dict[str, dict]:
    """Return each font used on any page, by its base font name, as a resolved dictionary."""
    found = {}
    for page in reader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            found[str(font["/BaseFont"])] = font
    return found
