"""The accessible alternative to a PDF: the line in each participant document that says where its web page is.

reportlab cannot tag a PDF for screen readers, so every participant document has a web page with the same
content (``templates/my/documents/``). The PDF prints that page's address, in words and as a link.
"""

from __future__ import annotations

from ledger.documents.flowables import Text
from ledger.documents.layout import Writer

__all__ = ["web_version"]


def web_version(w: Writer, address: str, *, words: bool = True) -> None:
    """Say where the web page of this document is (nothing when there is none to give); ``words=False``: the
    address alone (easy read says it in an idea of its own just before)."""
    if address:
        w.para((Text("Read this on a web page, for a screen reader or bigger text: ", bold=True), Text(address))
               if words else address)
