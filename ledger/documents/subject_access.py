"""The subject access PDF: everything held about a person, section by section, as plain text.

Data in, bytes out: the records arrive as strings already worded (``ledger.privacy.subject_access`` builds
them), so this module imports no database and no Flask. The machine-readable copy (JSON) holds the same
records, with receipt files included; the PDF names each file instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.documents.layout import Meta, Writer, build_pdf, frame_width, look
from ledger.formatting import long_date


@dataclass(frozen=True, slots=True)
class HeldSection:
    """One kind of record held (claims, benefit declarations, views of the data), each as label/value pairs."""

    title: str
    explanation: str
    records: tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True, slots=True)
class SubjectAccessDocument:
    organisation: str
    person_name: str
    reference: str
    produced_on: dt.date
    sections: tuple[HeldSection, ...]


def render_subject_access(doc: SubjectAccessDocument, *, large_print: bool = False) -> bytes:
    """Render the copy of everything held about one person."""
    the_look = look(large_print)
    w = Writer(the_look, frame_width(the_look))
    w.title(f"Everything {doc.organisation} holds about {doc.person_name}")
    w.facts([("Name", doc.person_name), ("Our reference", doc.reference), ("Produced", long_date(doc.produced_on))])
    w.para("This is a copy of every record we hold about you, as the UK GDPR gives you the right to ask for "
           "(a subject access request). The same records are available as a data file.")
    for section in doc.sections:
        w.heading(f"{section.title} ({len(section.records)})")
        if section.explanation:
            w.para(section.explanation)
        if not section.records:
            w.para("None held.")
        for record in section.records:
            w.facts(list(record))
    meta = Meta(title=f"Subject access: {doc.person_name}", author=doc.organisation,
                subject="Everything held about one person (UK GDPR article 15)", header=doc.organisation,
                footer=f"Subject access, {doc.reference}, {long_date(doc.produced_on)}")
    return build_pdf(w.story, w.look, meta)
