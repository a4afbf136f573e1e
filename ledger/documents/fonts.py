"""Embedded fonts that print any participant's name, and safe markup for text that uses them.

DejaVu Sans covers Latin (accents, Welsh ŵ ŷ), Greek and Cyrillic; Droid Sans Fallback covers Chinese and
Japanese. reportlab does not fall back from one font to another glyph by glyph, so ``markup`` splits text
into runs by which font has each character (read from the fonts' cmap tables) and wraps the fallback runs
in ``<font>`` tags.

Invariant: every piece of text that did not come from this package reaches a Paragraph only through
``markup``, which escapes it, so a name such as ``<b>Bob</b> & Co`` prints literally.

The vendored fonts and their licences are in ``fonts/`` beside this module.
"""

from __future__ import annotations

import functools
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFont, TTFontFace, makeToUnicodeCMap

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FALLBACK = "DroidSansFallback"

_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    FALLBACK: "DroidSansFallbackFull.ttf",
}
# Control characters would print as boxes (or break the PDF text operators): show a space instead.
_CONTROL = {c: " " for c in range(32)} | {0x7F: " "}


@dataclass(frozen=True, slots=True)
class _Coverage:
    regular: frozenset[str]
    bold: frozenset[str]
    fallback: frozenset[str]


@functools.cache
def register_fonts() -> _Coverage:
    """Register the embedded fonts with reportlab, once per process, and return what each covers."""
    fonts = {name: TTFont(name, str(FONT_DIR / file)) for name, file in _FILES.items()}
    for font in fonts.values():
        # On these font objects only: reuse subsets already built (see _subset_objects), and their widths and
        # character maps (see _font_objects).
        font.face.addSubsetObjects = functools.partial(_subset_objects, font.face)
        font.addObjects = functools.partial(_font_objects, font)
        pdfmetrics.registerFont(font)
    # No italic faces are shipped: italics are harder to read, so the documents do not use them.
    registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    registerFontFamily(FALLBACK, normal=FALLBACK, bold=FALLBACK, italic=FALLBACK, boldItalic=FALLBACK)

    def chars(name: str) -> frozenset[str]:
        return frozenset(map(chr, fonts[name].face.charToGlyph))

    return _Coverage(regular=chars(REGULAR), bold=chars(BOLD), fallback=chars(FALLBACK))


@functools.lru_cache(maxsize=256)
def _packed_subset(face: TTFontFace, subset: tuple[int, ...]) -> tuple[int, bytes]:
    raw = face.makeSubset(list(subset))
    return len(raw), zlib.compress(raw)


def _subset_objects(face: TTFontFace, doc, fontname: str, subset: list[int]):
    """Add a font subset to a PDF as reportlab's ``TTFontFace.addSubsetObjects`` does, reusing the
    compressed subset when an earlier document had the same characters in the same order.

    Building and compressing the subsets was over a third of the time of a one-page remittance, and a
    payment run's remittances mostly share one subset (ASCII, '£', a few accented letters). The PDF is
    byte for byte what reportlab writes (a test checks this); revisit on upgrading reportlab.
    """
    length, packed = _packed_subset(face, tuple(subset))
    font_file = pdfdoc.PDFStream(content=packed)
    font_file.dictionary["Length1"] = length
    if doc.compression:
        font_file.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    else:
        font_file.content = zlib.decompress(packed)
    font_file_ref = doc.Reference(font_file, f"fontFile:{face.filename}({fontname})")
    descriptor = pdfdoc.PDFDictionary(
        {
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(fontname),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": font_file_ref,
            "MissingWidth": face.defaultWidth,
        }
    )
    return doc.Reference(descriptor, "fontDescriptor:" + fontname)


@functools.lru_cache(maxsize=256)
def _widths(face: TTFontFace, subset: tuple[int, ...]) -> bytes:
    """A subset's widths as the PDF array reportlab writes (bytes are written as they are)."""
    return pdfdoc.PDFArray([face.getCharWidth(code) for code in subset]).format(None)


@functools.lru_cache(maxsize=256)
def _packed_cmap(base_font_name: str, subset: tuple[int, ...]) -> bytes:
    return zlib.compress(makeToUnicodeCMap(base_font_name, list(subset)).encode("utf8"))


def _font_objects(font: TTFont, doc) -> None:
    """Add a font's subsets to a PDF as reportlab's ``TTFont.addObjects`` does, with each subset's widths and
    character map (ToUnicode) made once per process rather than once per document.

    Writing out the widths of a subset (128 numbers, one at a time) and compressing its character map were a
    tenth of the time of a one-page remittance, the same for every advice of a run. The PDF is byte for byte
    what reportlab writes (a test checks this); revisit on upgrading reportlab.
    """
    try:
        state = font.state[doc]
    except KeyError:
        state = font.state[doc] = TTFont.State(font._asciiReadable)
    state.frozen = 1
    face = font.face
    for n, subset in enumerate(state.subsets):
        internal_name = font.getSubsetInternalName(n, doc)[1:]
        base_font_name = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
        pdf_font = pdfdoc.PDFTrueTypeFont()
        pdf_font.__Comment__ = f"Font {font.fontName} subset {n}"
        pdf_font.Name = internal_name
        pdf_font.BaseFont = base_font_name
        pdf_font.FirstChar = 0
        pdf_font.LastChar = len(subset) - 1
        pdf_font.Widths = _widths(face, tuple(subset))
        cmap = pdfdoc.PDFStream()
        if doc.compression:
            cmap.content = _packed_cmap(base_font_name, tuple(subset))
            cmap.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        else:
            cmap.content = makeToUnicodeCMap(base_font_name, subset)
        pdf_font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_font_name)
        pdf_font.FontDescriptor = face.addSubsetObjects(doc, base_font_name, subset)
        doc.Reference(pdf_font, internal_name)
        doc.idToObject["BasicFonts"].dict[internal_name] = pdf_font
    del font.state[doc]


def clean(text: str) -> str:
    """Return ``text`` in NFC with control characters replaced by spaces."""
    return unicodedata.normalize("NFC", text).translate(_CONTROL)


@functools.lru_cache(maxsize=4096)
def runs(text: str, bold: bool = False) -> tuple[tuple[str, str], ...]:
    """Split ``text`` into (font name, text) runs, using the fallback font where DejaVu has no glyph."""
    coverage = register_fonts()
    primary = BOLD if bold else REGULAR
    covered = coverage.bold if bold else coverage.regular
    text = clean(text)
    if covered.issuperset(text):
        return ((primary, text),) if text else ()
    result: list[tuple[str, str]] = []
    for char in text:
        font = FALLBACK if char not in covered and char in coverage.fallback else primary
        if result and result[-1][0] == font:
            result[-1] = (font, result[-1][1] + char)
        else:
            result.append((font, char))
    return tuple(result)


def markup(text: str, bold: bool = False) -> str:
    """Return Paragraph markup that prints ``text`` literally, in fonts that have its glyphs."""
    parts = []
    for font, run in runs(text, bold):
        escaped = escape(run)
        parts.append(escaped if font != FALLBACK else f'<font name="{FALLBACK}">{escaped}</font>')
    body = "".join(parts)
    return f"<b>{body}</b>" if bold else body


@functools.lru_cache(maxsize=65536)
def _unit_width(text: str, font: str) -> float:
    return pdfmetrics.stringWidth(text, font, 1000)


def width(text: str, font: str, size: float) -> float:
    """Return the width in points of ``text`` in one font (cached: the same words recur on every row)."""
    return _unit_width(text, font) * size / 1000


def fits(text: str, limit: float, size: float, bold: bool = False) -> bool:
    """Say whether ``text`` (already cleaned) fits on one line of ``limit`` points in one font."""
    coverage = register_fonts()
    if not (coverage.bold if bold else coverage.regular).issuperset(text):
        return False
    return width(text, BOLD if bold else REGULAR, size) <= limit


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Return the width in points of ``text`` drawn with ``draw_text``."""
    return sum(width(run, font, size) for font, run in runs(text, bold))


def draw_text(canvas, x: float, y: float, text: str, size: float, bold: bool = False) -> None:
    """Draw ``text`` on a canvas at (x, y), switching to the fallback font where needed."""
    obj = canvas.beginText(x, y)
    for font, run in runs(text, bold):
        obj.setFont(font, size)
        obj.textOut(run)
    canvas.drawText(obj)
