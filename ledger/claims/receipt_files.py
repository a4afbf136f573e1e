"""Receipt files checked by opening them, not by their first bytes or their name.

A receipt is a photo or a scan a participant sends from their phone, kept and later opened by finance. So:

- an image (JPEG or PNG) is decoded in full and re-encoded from its pixels alone, so what is kept carries no
  metadata: a phone photo's EXIF holds where it was taken (GPS), when, and on which phone. The photo is turned
  upright first (EXIF orientation), since the orientation goes with the rest;
- a PDF is opened with pypdf and every page read; an encrypted or broken one is refused, since finance could
  not open it either; it is kept as sent;
- the file name is the person's words only: no folders, no control or quoting characters, and the extension
  of what the file really is (a JPEG named ``receipt.exe`` is kept as ``receipt.jpg``).

Bytes in, a checked file out: no database, no Flask.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps
from pypdf import PdfReader

from ledger.errors import ValidationError

#: The first bytes of each kind of receipt kept (a first sort only: the file is then opened).
RECEIPT_TYPES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
#: A photo larger than this many pixels (about a 50 megapixel camera) is refused before it is decoded, so a
#: small file that unpacks to gigabytes cannot exhaust the server's memory.
MAX_PIXELS = 50_000_000
MAX_PDF_PAGES = 200
MAX_NAME = 100

NOT_A_RECEIPT = "Not a PDF, JPEG or PNG file."


@dataclass(frozen=True, slots=True)
class CheckedReceipt:
    """A receipt as it is kept: its real type, its bytes (an image without metadata) and a safe name."""

    content_type: str
    data: bytes
    filename: str


def sniff_receipt_type(data: bytes) -> str | None:
    """The type the file's first bytes claim (PDF, JPEG or PNG), whatever its name says; opening it decides."""
    for magic, content_type in RECEIPT_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


def _refuse(message: str, field: str = NOT_A_RECEIPT) -> ValidationError:
    return ValidationError(message, fields={"file": [field]})


def clean_image(data: bytes, content_type: str) -> bytes:
    """Decode the photo and encode its pixels again (upright), leaving every piece of metadata behind."""
    wanted = "JPEG" if content_type == "image/jpeg" else "PNG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[wanted]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _refuse(f"This photo is too large ({width} × {height} pixels). Send a smaller one.",
                                  "Too many pixels.")
                image.load()
                upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("This photo could not be opened: it may be damaged or only part of it was sent. "
                      "Take the photo again, or send a PDF.", "The image could not be opened.") from None
    if wanted == "JPEG" and upright.mode not in ("L", "RGB", "CMYK"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    # Only the pixels: no exif, no icc_profile, no text chunks are passed on.
    if wanted == "JPEG":
        upright.save(out, format="JPEG", quality=90, optimize=True)
    else:
        upright.save(out, format="PNG", optimize=True)
    return out.getvalue()


def check_pdf(data: bytes) -> None:
    """Open the PDF and read every page; refuse one that is encrypted, broken or has no pages."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse("This PDF is protected with a password, so finance could not open it. Save or print "
                          "it again without a password, or send a photo.", "The PDF is password-protected.")
        pages = len(reader.pages)
        if not 0 < pages <= MAX_PDF_PAGES:
            raise _refuse(f"A receipt PDF has 1 to {MAX_PDF_PAGES} pages; this one has {pages}.",
                          "Wrong number of pages.")
        for page in reader.pages:
            page.mediabox  # noqa: B018  (reading each page's size makes pypdf parse the page)
    except ValidationError:
        raise
    except Exception:
        raise _refuse("This PDF could not be opened: it may be damaged or only part of it was sent. Save it "
                      "again, or send a photo.", "The PDF could not be opened.") from None


def safe_filename(filename: str | None, content_type: str) -> str:
    """The person's name for the file without folders, control or quoting characters, ending in its real type."""
    name = unicodedata.normalize("NFKC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*;')
    name = " ".join(name.split()).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:MAX_NAME] or "receipt"
    return stem + EXTENSIONS[content_type]


def check_receipt_file(filename: str | None, data: bytes) -> CheckedReceipt:
    """Open the file as what its first bytes claim and return it as it is to be kept; raise if it is not one."""
    content_type = sniff_receipt_type(data)
    if content_type is None:
        raise _refuse("A receipt must be a PDF, JPEG or PNG file (this file is none of these, whatever its name "
                      "says).")
    if content_type == "application/pdf":
        check_pdf(data)
        kept = data
    else:
        kept = clean_image(data, content_type)
    return CheckedReceipt(content_type=content_type, data=kept, filename=safe_filename(filename, content_type))
