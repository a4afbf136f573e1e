"""The stamp an issued document carries: its number, date, verification code and a QR code of where to check it.

A document is checked without trusting whoever hands it over: its number is at the top of every page, its
verification code at the foot of every page, and its last block says who issued it (name, postal address,
contact), when, and where to check it, with a QR code of that address and code. The register
(``ledger.documents.register``) chooses the number and code before the document is drawn, and keeps a hash of
the bytes drawn.

The stamp reaches the page layout through a context variable set around one render call (``stamped``), so the
many render functions keep their signatures and stay pure: the same data and the same stamp give the same
bytes. Outside ``stamped`` there is no stamp and documents are drawn as before (examples, previews).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import segno
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from ledger.documents import fonts
from ledger.documents.flowables import TextBlock
from ledger.formatting import long_date
from ledger.reports.organisation import Organisation

__all__ = ["CODE_ALPHABET", "Stamp", "current_stamp", "new_code", "normalise_code", "stamped"]

# Crockford's base 32: digits and capitals without I, L, O and U, so that nothing read aloud or typed from
# paper is ambiguous. Ten symbols are 50 random bits: not guessable at the rate /verify allows.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def new_code() -> str:
    """Return a fresh verification code, shown as two groups of five: 'K7QM2-9XHWR'."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text: str) -> str | None:
    """Return the code as stored ('K7QM2-9XHWR') from what a person typed, or None if it cannot be one.

    Case, spaces and dashes do not matter, and O, I and L are read as 0, 1 and 1, as Crockford's base 32 does.
    """
    symbols = "".join(_READ_AS.get(c, c) for c in text.upper() if c not in " -\t")
    if len(symbols) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in symbols):
        return None
    return f"{symbols[:5]}-{symbols[5:]}"


@dataclass(frozen=True, slots=True)
class Stamp:
    """What marks one issued document as the organisation's."""

    number: str  # unique, e.g. D0000123
    code: str  # verification code, e.g. K7QM2-9XHWR
    issued_on: dt.date
    organisation: Organisation  # who issued it; its ``verify_url`` is the public page that checks codes

    @property
    def verify_url(self) -> str:
        return self.organisation.verify_url

    @property
    def check_url(self) -> str:
        """The address in the QR code: the verify page with this code filled in."""
        return f"{self.verify_url}?code={self.code}"


_current: contextvars.ContextVar[Stamp | None] = contextvars.ContextVar("document_stamp", default=None)


def current_stamp() -> Stamp | None:
    return _current.get()


@contextlib.contextmanager
def stamped(stamp: Stamp | None) -> Iterator[None]:
    """Draw every PDF built inside this block with ``stamp``."""
    token = _current.set(stamp)
    try:
        yield
    finally:
        _current.reset(token)


class QrCode(Flowable):
    """A QR code of ``text``, ``size`` points square, drawn as one black-and-white image.

    As an image rather than as squares: one small picture instead of hundreds of rectangles, each of whose
    corners the PDF would write out as numbers, and no font is set (the smallest type stays the look's).
    Error correction M survives a crease or a smudge. Encoded by segno with one fixed mask rather than the best
    of eight (every reader decodes any mask): a third of the time reportlab's encoder took, which was as long
    as drawing the rest of a remittance advice.
    """

    def __init__(self, text: str, size: float):
        super().__init__()
        self.image = qr_picture(text)
        self.size = size

    def wrap(self, availWidth, availHeight):
        return self.size, self.size

    def draw(self):
        self.canv.drawImage(ImageReader(self.image), 0, 0, self.size, self.size)


MASK_PATTERN = 2
QUIET = 2  # modules of white all round
PIXELS = 4  # grey pixels a module: a reader that smooths an enlarged picture still sees sharp squares
_GREY = bytes.maketrans(b"\x00\x01", b"\xff\x00")  # segno's light and dark modules as white and black
_CODE_CHARS = CODE_LENGTH + 1  # 'K7QM2-9XHWR', as it ends the address in the QR code


def _encoded(data: bytes, version: int | str | None = None) -> bytes:
    """The modules of the QR code of ``data``, a byte each (1 dark), row after row."""
    code = segno.make(data, mode="byte", version=version, error="m", boost_error=False, mask=MASK_PATTERN,
                      micro=False)
    return b"".join(code.matrix)


class CodeBook:
    """The QR codes of one address followed by any verification code, made by adding rather than encoding.

    With its mode, version and mask fixed, a QR code is linear in its data bits (Reed-Solomon codes are, and the
    rest is fixed placement and a fixed mask): the code of any data is that of a reference, with the change
    that flipping each differing bit makes added to it (exclusive or). Encoding took a fifth of the time of a
    whole remittance advice; adding takes microseconds, after one encoding per bit of the code (about 0.1 s),
    so it pays from a few dozen documents on: a payment run's, not a single page's.
    """

    def __init__(self, prefix: bytes):
        self.prefix = prefix
        reference = prefix + b"0" * _CODE_CHARS
        base = segno.make(reference, mode="byte", error="m", boost_error=False, mask=MASK_PATTERN, micro=False)
        self.version, self.length = base.version, len(reference)
        modules = b"".join(base.matrix)
        self.size, self.base = len(modules), int.from_bytes(modules, "big")
        # For each byte of the code and each of its bits: what flipping that bit changes.
        self.flips = [[self._change(reference, at, bit) for bit in range(8)]
                      for at in range(len(prefix), len(reference))]

    def _change(self, reference: bytes, at: int, bit: int) -> int:
        flipped = reference[:at] + bytes([reference[at] ^ 1 << bit]) + reference[at + 1:]
        return int.from_bytes(_encoded(flipped, self.version), "big") ^ self.base

    def modules(self, data: bytes) -> bytes:
        """The modules of the QR code of ``data`` (the prefix and a code), as ``_encoded`` gives them."""
        value = self.base
        for flips, byte in zip(self.flips, data[len(self.prefix):], strict=True):
            change = byte ^ 0x30  # the reference's "0"
            for bit in range(8):
                if change >> bit & 1:
                    value ^= flips[bit]
        return value.to_bytes(self.size, "big")


_BOOKS: dict[bytes, CodeBook] = {}


def prepare_codes(organisation: Organisation) -> None:
    """Make the code book of the organisation's verify address before many documents are drawn (in this
    process, and so in the worker processes forked from it)."""
    prefix = Stamp("", "", dt.date.min, organisation).check_url.encode()
    if prefix not in _BOOKS:
        _BOOKS[prefix] = CodeBook(prefix)


def qr_picture(text: str) -> Image.Image:
    """The QR code of ``text`` as a greyscale picture, ``PIXELS`` a module, with its quiet zone."""
    data = text.encode()
    book = _BOOKS.get(data[:-_CODE_CHARS])
    modules = book.modules(data) if book is not None and len(data) == book.length else _encoded(data)
    count = math.isqrt(len(modules))
    side = count + 2 * QUIET
    blank, edge = b"\xff" * side, b"\xff" * QUIET
    rows = [edge + modules[at:at + count].translate(_GREY) + edge for at in range(0, len(modules), count)]
    image = Image.frombytes("L", (side, side), b"".join([blank] * QUIET + rows + [blank] * QUIET))
    return image.resize((side * PIXELS, side * PIXELS), Image.Resampling.NEAREST)


def stamp_block(stamp: Stamp, width: float, size: float, leading: float) -> Flowable:
    """The last block of a document: who issued it, when, its number, and how to check it is genuine."""
    org = stamp.organisation
    lines = [
        (f"Issued by {org.name}", True),
        (", ".join(org.address), False),
        (", ".join(org.contact), False),
        (f"Document number {stamp.number}, date of issue {long_date(stamp.issued_on)}", False),
        (f"Verification code: {stamp.code}", True),
        (f"To check this document is genuine, go to {stamp.verify_url} and enter the code, or scan the QR code.",
         False),
    ]
    qr_size = max(76.0, size * 6)  # 27 mm or more: a phone reads it at arm's length, a scan at 100 dpi
    words = [TextBlock(line, size, leading, bold=bold) for line, bold in lines if line]
    table = Table([[QrCode(stamp.check_url, qr_size), words]], colWidths=[qr_size + size, width - qr_size - size])
    # The table's own font is never drawn with, but it is set in the PDF: the layout's, at the layout's size.
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), fonts.REGULAR, size, leading),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
    ]))
    return KeepTogether([table])
