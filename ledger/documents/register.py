"""Issue documents through the register, and check a code or a file against it.

Every PDF the organisation hands out (a page, the API, the command line, the print pack, an email) goes through
``issue_document`` (or ``issue_remittances`` for a whole payment run): it takes the next number and a fresh
verification code, draws the document with them (``ledger.documents.stamp``), hashes the exact bytes, and
writes the register row in the caller's transaction, so a document is handed out only if its row commits.
The register is append-only (the database refuses UPDATE and DELETE).

``verify_code`` and ``verify_file`` answer what an auditor may know from a code or a file: genuine or not,
and if genuine its kind, date, number and the figures it showed, never whose it is or anything else about them.
A file is genuine only if its SHA-256 is one we issued: a single changed byte makes it not genuine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from pypdf import PdfReader
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ledger.db import utcnow
from ledger.documents.figures import Figures, remittance_figures
from ledger.documents.fonts import register_fonts
from ledger.documents.models import DOCUMENT_KINDS, IssuedDocument
from ledger.documents.render import remittance_filename, render_remittance
from ledger.documents.stamp import Stamp, new_code, normalise_code, prepare_codes, stamped
from ledger.errors import ValidationError
from ledger.reports.organisation import Organisation
from ledger.reports.records import Payee, RemittanceAdvice

__all__ = [
    "Issued",
    "Producer",
    "Verdict",
    "cli_producer",
    "drawing_processes",
    "issue_document",
    "issue_remittances",
    "participant_id_of",
    "verify_code",
    "verify_file",
]

_register = IssuedDocument.__table__
CHANNELS = ("web", "api", "cli", "email")


@dataclass(frozen=True, slots=True)
class Producer:
    """Who produced a document, and how: a signed-in user on a page or the API, the command line, the outbox."""

    channel: str
    name: str
    user_id: int | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")


def cli_producer() -> Producer:
    """The person at the command line, named by their login on the machine."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Producer("cli", f"command line ({who})")


@dataclass(frozen=True, slots=True)
class Issued:
    """A document as handed out: its number, code, bytes and their hash."""

    number: str
    code: str
    pdf: bytes
    sha256: str


def participant_id_of(payee: Payee) -> int | None:
    """The participant a document is for, from their reference ('P00012' -> 12); None for a group."""
    if payee.is_group or not payee.reference.startswith("P") or not payee.reference[1:].isdigit():
        return None
    return int(payee.reference[1:])


def document_number(serial: int) -> str:
    return f"D{serial:07d}"


def _next_serials(session: Session, how_many: int) -> list[int]:
    """Take ``how_many`` document numbers, never taken before and never taken twice."""
    if how_many <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.execute(text("SELECT nextval('document_serial') FROM generate_series(1, :n)"),
                                    {"n": how_many}).scalars())
    start = (session.execute(select(func.max(IssuedDocument.serial))).scalar_one() or 0) + 1
    return list(range(start, start + how_many))


def _new_codes(session: Session, how_many: int) -> list[str]:
    """Fresh verification codes: random, and (checked, though a clash is a one-in-10^15 chance) unused."""
    codes: list[str] = []
    while len(codes) < how_many:
        wanted = {new_code() for _ in range(how_many - len(codes))} - set(codes)
        used = set(session.execute(select(IssuedDocument.code).where(IssuedDocument.code.in_(wanted))).scalars())
        codes.extend(sorted(wanted - used))
    return codes


def _row(stamp: Stamp, serial: int, kind: str, participant_id: int | None, figures: Figures, pdf: bytes,
         producer: Producer, at: dt.datetime) -> dict:
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown kind of document {kind!r}")
    return {"serial": serial, "number": stamp.number, "code": stamp.code, "kind": kind,
            "participant_id": participant_id, "issued_on": stamp.issued_on,
            "figures": [[label, value] for label, value in figures], "sha256": hashlib.sha256(pdf).hexdigest(),
            "produced_at": at, "produced_by_user_id": producer.user_id, "produced_by": producer.name[:120],
            "channel": producer.channel}


def issue_document(
    session: Session,
    *,
    kind: str,
    render: Callable[[], bytes],
    figures: Figures,
    participant_id: int | None,
    organisation: Organisation,
    issued_on: dt.date,
    producer: Producer,
) -> Issued:
    """Draw one document with a new number and code, and record it in the register (caller commits)."""
    serial = _next_serials(session, 1)[0]
    stamp = Stamp(document_number(serial), _new_codes(session, 1)[0], issued_on, organisation)
    with stamped(stamp):
        pdf = render()
    row = _row(stamp, serial, kind, participant_id, figures, pdf, producer, utcnow())
    session.execute(insert(_register), [row])
    return Issued(stamp.number, stamp.code, pdf, row["sha256"])


# --- a whole payment run's remittances ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemittanceJob:
    """One remittance to draw in bulk: the advice, its format, the payee's participant id and its stamp."""

    doc: RemittanceAdvice
    large_print: bool
    easy_read: bool
    participant_id: int | None
    stamp: Stamp
    serial: int
    web_address: str = ""  # the advice's accessible web page, printed under its title


# From this many documents on, their QR codes are made from a code book (``stamp.CodeBook``, 0.1 s to make)
# rather than each encoded (1 ms or more each).
CODE_BOOK_FROM = 100


def _draw(job: RemittanceJob) -> tuple[str, bytes]:
    """Draw one stamped remittance (in this process or a worker)."""
    with stamped(job.stamp):
        pdf = render_remittance(job.doc, large_print=job.large_print, easy_read=job.easy_read,
                                web_address=job.web_address)
    return remittance_filename(job.doc), pdf


def _get_ready(organisation: Organisation) -> None:
    """Make a drawing process ready for its first advice: the fonts registered and the code book made."""
    register_fonts()
    prepare_codes(organisation)


@contextlib.contextmanager
def drawing_processes(workers: int, organisation: Organisation) -> Iterator[ProcessPoolExecutor | None]:
    """``workers`` processes to draw a run's remittances in (none for one), started and made ready now.

    A command enters this before it reads the run from the database: each process registers the fonts and
    makes the code book (a quarter of a second) while the run is read, rather than after, with the first
    advices waiting on it. Leaving the block stops them.
    """
    if workers <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_get_ready, initargs=(organisation,))
    try:
        for _ in range(workers):  # start every process now (each gets ready before its first task)
            pool.submit(int)
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def issue_remittances(
    session: Session,
    docs: Sequence[RemittanceAdvice],
    *,
    large_print: Callable[[RemittanceAdvice], bool],
    easy_read: Callable[[RemittanceAdvice], bool],
    organisation: Organisation,
    issued_on: dt.date,
    producer: Producer,
    workers: int = 1,
    batch: int = 500,
    web_address: Callable[[RemittanceAdvice], str] = lambda doc: "",
    processes: ProcessPoolExecutor | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Draw and register every remittance of a run, lazily and in order, as (file name, PDF bytes).

    Numbers and codes are taken for the whole run at once; register rows are written in batches as documents
    are drawn, all in the caller's transaction. ``workers`` > 1 draws in that many processes (the command line),
    or ``processes`` in those of ``drawing_processes``, started before the run was read.
    """
    serials = _next_serials(session, len(docs))
    codes = _new_codes(session, len(docs))
    jobs = [RemittanceJob(doc, bool(large_print(doc)) and not easy_read(doc), bool(easy_read(doc)), pid,
                          Stamp(document_number(serial), code, issued_on, organisation), serial, web_address(doc))
            for doc, pid, serial, code in zip(docs, map(participant_id_of, (d.payee for d in docs)), serials, codes,
                                              strict=True)]
    at = utcnow()
    rows: list[dict] = []
    seen: set[str] = set()
    with contextlib.ExitStack() as stack:
        if processes is None and workers > 1:
            processes = stack.enter_context(drawing_processes(workers, organisation))
        if processes is None and len(jobs) >= CODE_BOOK_FROM:  # drawn here: the book is made here
            prepare_codes(organisation)
        drawn: Iterable[tuple[str, bytes]] = (map(_draw, jobs) if processes is None
                                              else processes.map(_draw, jobs, chunksize=16))
        for job, (name, pdf) in zip(jobs, drawn, strict=True):
            if name in seen:
                raise ValueError(f"two remittances would both be called {name}")
            seen.add(name)
            rows.append(_row(job.stamp, job.serial, "remittance", job.participant_id,
                             remittance_figures(job.doc), pdf, producer, at))
            if len(rows) >= batch:
                session.execute(insert(_register), rows)
                rows = []
            yield name, pdf
        if rows:
            session.execute(insert(_register), rows)


# --- checking ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the register says about a code or a file: all an auditor is told, and nothing about the person."""

    genuine: bool
    reason: str  # in plain words, for the page and the command line
    number: str | None = None
    kind: str | None = None  # as a reader names it: "Remittance advice"
    issued_on: dt.date | None = None
    figures: tuple[tuple[str, str], ...] = ()


def _genuine(row: IssuedDocument, reason: str) -> Verdict:
    return Verdict(True, reason, row.number, DOCUMENT_KINDS[row.kind], row.issued_on,
                   tuple((label, value) for label, value in row.figures))


def verify_code(session: Session, code: str) -> Verdict:
    """Say whether ``code`` is the verification code of a document we issued, and what that document showed."""
    normal = normalise_code(code or "")
    if normal is None:
        raise ValidationError("Enter the verification code as printed: 10 letters and numbers, like K7QM2-9XHWR.",
                              fields={"code": ["Enter the 10 letters and numbers printed as the verification code."]})
    row = session.execute(select(IssuedDocument).where(IssuedDocument.code == normal)).scalar_one_or_none()
    if row is None:
        return Verdict(False, "Not genuine: we have not issued a document with this verification code.")
    return _genuine(row, "Genuine: we issued a document with this verification code.")


def _claimed_code(pdf: bytes) -> str | None:
    """The verification code a PDF says it has (in its metadata), if it can still be read."""
    try:
        metadata = PdfReader(io.BytesIO(pdf)).metadata
        keywords = str(metadata.get("/Keywords") or "") if metadata is not None else ""
    except Exception:  # a changed or broken file: anything may fail to parse, and it is then not genuine anyway
        return None
    words = keywords.split()
    return normalise_code(words[words.index("verification") + 1]) if "verification" in words[:-1] else None


def verify_file(session: Session, pdf: bytes, code: str | None = None) -> Verdict:
    """Say whether ``pdf`` is, byte for byte, a document we issued (and, if a code is given, the one with it)."""
    if not pdf:
        raise ValidationError("Choose the PDF file to check.", fields={"file": ["Choose a PDF file."]})
    digest = hashlib.sha256(pdf).hexdigest()
    row = session.execute(select(IssuedDocument).where(IssuedDocument.sha256 == digest)
                          .order_by(IssuedDocument.id)).scalars().first()
    given = normalise_code(code) if code else None
    if code and given is None:
        raise ValidationError("Enter the verification code as printed: 10 letters and numbers, like K7QM2-9XHWR.",
                              fields={"code": ["Enter the 10 letters and numbers printed as the verification code."]})
    if row is not None and (given is None or given == row.code):
        return _genuine(row, "Genuine: this file is exactly as we issued it.")
    claimed = given or _claimed_code(pdf)
    if claimed and session.execute(select(IssuedDocument.id).where(IssuedDocument.code == claimed)).first():
        return Verdict(False, f"Not genuine: this file is not the document we issued with the code {claimed}. "
                              "It has been changed since we issued it, or it is a different document.")
    return Verdict(False, "Not genuine: this file is not a document we issued, or it has been changed.")
