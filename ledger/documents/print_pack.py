"""The print pack of a payment run: a cover sheet listing the letters, then each letter, as one PDF.

Each letter is the payee's own remittance advice, exactly as it would be downloaded (its own page numbers,
large print where the person reads large print), with the address placed for a windowed C5 or DL envelope.
The PDFs are joined page by page (pypdf), so a letter in the pack is the same document as the one on the
participant's page. Pure: data in, PDF bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pypdf import PdfReader, PdfWriter

from ledger.documents.flowables import Column
from ledger.documents.layout import Meta, Writer, build_pdf, frame_width, look
from ledger.documents.render import render_remittance
from ledger.documents.stamp import current_stamp
from ledger.formatting import count, long_date, money
from ledger.reports.records import PostedLetter, PrintPack

__all__ = ["join_pack", "render_cover", "render_print_pack"]


def _postcode(letter: PostedLetter) -> str:
    return letter.advice.payee.address[-1] if letter.advice.payee.address else ""


def render_cover(pack: PrintPack) -> bytes:
    """The cover sheet: what is in the pack, and how to post it."""
    the_look = look(False)
    w = Writer(the_look, frame_width(the_look))
    w.title(f"Letters to post: payment run {pack.run_reference}")
    to_post = pack.to_post
    w.facts([
        ("Payment date", long_date(pack.payment_date) if pack.payment_date else "-"),
        ("Letters in this pack", count(len(to_post), "letter")),
        ("In large print", count(sum(1 for letter in to_post if letter.large_print), "letter")),
        ("In easy read", count(sum(1 for letter in to_post if letter.easy_read), "letter")),
        ("Told by email instead", count(pack.emailed, "payee")),
    ])
    w.para("Print single-sided. Fold each letter so that the address shows in the window of a C5 or DL "
           "envelope. Each letter starts on a new page and says on every page how many pages it has.")
    if to_post:
        w.heading("The letters, in order")
        w.table([Column("No.", numeric=True), Column("Name", 0.4), Column("Reference", sized=True),
                 Column("Format", 0.3), Column("Postcode", 0.3), Column("Paid", numeric=True)],
                [(str(number), letter.advice.payee.name, letter.advice.payee.reference, letter.format_label,
                  _postcode(letter), money(letter.advice.total_paid))
                 for number, letter in enumerate(to_post, start=1)])
    if pack.without_address:
        w.heading("Not in this pack: no postal address")
        w.para("We have no address for these payees. Ask them how they would like their remittance advice.")
        w.table([Column("Name", 0.6), Column("Reference", sized=True), Column("Paid", numeric=True)],
                [(letter.advice.payee.name, letter.advice.payee.reference, money(letter.advice.total_paid))
                 for letter in pack.without_address])
    return build_pdf(w.story, the_look, Meta(
        title=f"Print pack {pack.run_reference}", author=pack.organisation.name,
        subject=f"Remittance advice to post for payment run {pack.run_reference}",
        header=pack.organisation.name, footer=f"Print pack {pack.run_reference}: cover sheet"))


def render_print_pack(pack: PrintPack, *, web_address: str = "") -> bytes:
    """The cover sheet, then each letter to post, as one PDF; ``web_address``: the participant's web page of
    their remittance advice for this run, printed in each participant's letter (a group has none)."""
    letters = [render_remittance(letter.advice, large_print=letter.large_print, windowed=True,
                                 easy_read=letter.easy_read,
                                 web_address="" if letter.advice.payee.is_group else web_address)
               for letter in pack.to_post]
    return join_pack(pack, render_cover(pack), letters)


def join_pack(pack: PrintPack, cover: bytes, letters: Sequence[bytes]) -> bytes:
    """The cover sheet, then each letter, page by page, as one PDF (stamped like the cover, if it is)."""
    writer = PdfWriter()
    for pdf in (cover, *letters):
        for page in PdfReader(io.BytesIO(pdf)).pages:
            writer.add_page(page)
    metadata = {"/Title": f"Print pack {pack.run_reference}", "/Author": pack.organisation.name}
    stamp = current_stamp()
    if stamp is not None:
        metadata["/Keywords"] = f"document {stamp.number} verification {stamp.code}"
    writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
