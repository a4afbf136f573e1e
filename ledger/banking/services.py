"""Bank statement use cases: import a file, look for matches, confirm, match by hand, unmatch; and the reads.

Every function works in the caller's transaction and never commits. An import stores each line once: lines
whose fingerprint is already stored are left alone, so re-importing a file (or an overlapping export) adds
nothing, and says so. A line's status changes only through ``ledger.banking.workflow.LINE``, by a guarded
``UPDATE ... WHERE status = :before`` (a second click, or a colleague at the same moment, gets ``Conflict``),
and each change is an event written by ``ledger.events.writer``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger import paging
from ledger.banking import matching, parsing
from ledger.banking.models import FORMATS, MATCH_KINDS, BankLineEntry, BankStatement, BankStatementLine
from ledger.banking.records import (
    Candidate,
    ImportResult,
    LinePage,
    LineRecord,
    MatchedEntry,
    StatementRecord,
)
from ledger.banking.workflow import LINE, STATUSES, next_status
from ledger.db import utcnow
from ledger.errors import Conflict, NotFound, ValidationError
from ledger.events.records import NewEvent
from ledger.events.writer import record_event

_lines = BankStatementLine.__table__
_links = BankLineEntry.__table__
MAX_REASON = 500
MAX_ACCOUNT = 60
MAX_PAGE = 500


# ---------------------------------------------------------------- import


def fingerprint(account: str, line: parsing.ParsedLine, occurrence: int) -> str:
    """The line's identity: the same line in any later export of the same account gives the same fingerprint."""
    text = "\x1f".join((account, line.posted_on.isoformat(), str(line.amount_pence), " ".join(line.description.split()),
                        line.fitid or "", str(occurrence)))
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprints(account: str, lines: Sequence[parsing.ParsedLine]) -> list[str]:
    """Each line's fingerprint, identical lines in one file told apart by which occurrence each is."""
    seen: Counter[tuple] = Counter()
    found = []
    for line in lines:
        same = (line.posted_on, line.amount_pence, " ".join(line.description.split()), line.fitid)
        found.append(fingerprint(account, line, seen[same]))
        seen[same] += 1
    return found


def parse_file(data: bytes, *, format: str | None = None, preset: str | None = None,
               mapping: Mapping[str, Any] | None = None) -> parsing.ParsedStatement:
    """Read a CSV (by a preset or a mapping) or OFX file; the format is guessed from the content when not given."""
    if not data:
        raise ValidationError("Choose a statement file to import.", fields={"file": ["required"]})
    kind = format or ("ofx" if parsing.looks_like_ofx(data) else "csv")
    if kind not in FORMATS:
        raise ValidationError("The format is csv or ofx.", fields={"format": ["unknown"]})
    if kind == "ofx":
        return parsing.parse_ofx(data)
    if preset:
        if preset not in parsing.PRESETS:
            raise ValidationError(f"There is no preset {preset!r}: choose one of {', '.join(parsing.PRESETS)}.",
                                  fields={"preset": ["unknown"]})
        return parsing.parse_csv(data, parsing.PRESETS[preset].mapping)
    if not mapping:
        raise ValidationError("Choose your bank's preset, or say which column holds what.",
                              fields={"preset": ["Choose a preset or map the columns."]})
    return parsing.parse_csv(data, parsing.mapping_from(mapping))


def _account(given: str | None, parsed: parsing.ParsedStatement) -> str:
    account = " ".join((given or parsed.account or "main").split())
    if len(account) > MAX_ACCOUNT:
        raise ValidationError(f"The account is at most {MAX_ACCOUNT} characters.", fields={"account": ["too long"]})
    return account


def _existing(session: Session, parsed: parsing.ParsedStatement) -> set[str]:
    """The fingerprints already stored for lines in the file's date range (one read through the date index)."""
    return set(session.execute(select(_lines.c.fingerprint).where(
        _lines.c.posted_on.between(parsed.lines[0].posted_on, parsed.lines[-1].posted_on))).scalars())


def _statement_record(row: BankStatement) -> StatementRecord:
    return StatementRecord(
        id=row.id, account=row.account, format=row.format, preset=row.preset, filename=row.filename,
        line_count=row.line_count, added_count=row.added_count, first_date=row.first_date, last_date=row.last_date,
        opening_balance_pence=row.opening_balance_pence, closing_balance_pence=row.closing_balance_pence,
        imported_by_user_id=row.imported_by_user_id, imported_at=row.imported_at)


def import_statement(session: Session, data: bytes, *, filename: str, actor_user_id: int | None,
                     format: str | None = None, preset: str | None = None, mapping: Mapping[str, Any] | None = None,
                     account: str | None = None, opening_balance_pence: int | None = None) -> ImportResult:
    """Store the file's new lines (none twice), then suggest matches for every line waiting in the queue."""
    parsed = parse_file(data, format=format, preset=preset, mapping=mapping)
    named = _account(account, parsed)
    prints = fingerprints(named, parsed.lines)
    already = _existing(session, parsed)
    new = [(i, line, p) for i, (line, p) in enumerate(zip(parsed.lines, prints, strict=True)) if p not in already]
    if not new:
        return ImportResult(None, len(parsed.lines), 0, len(parsed.lines), 0)
    statement = BankStatement(
        account=named, format=parsed.format, preset=preset if parsed.format == "csv" else None,
        filename=(filename or "statement")[:200], file_sha256=hashlib.sha256(data).hexdigest(),
        line_count=len(parsed.lines), added_count=len(new), first_date=parsed.lines[0].posted_on,
        last_date=parsed.lines[-1].posted_on, closing_balance_pence=parsed.closing_balance_pence,
        opening_balance_pence=opening_balance_pence if opening_balance_pence is not None
        else parsed.opening_balance_pence, imported_by_user_id=actor_user_id, imported_at=utcnow())
    session.add(statement)
    session.flush()
    try:
        with session.begin_nested():  # the same lines imported by someone else at this moment
            session.execute(insert(_lines), [
                {"statement_id": statement.id, "position": i, "account": named, "posted_on": line.posted_on,
                 "amount_pence": line.amount_pence, "description": line.description, "reference": line.reference,
                 "fitid": line.fitid, "balance_pence": line.balance_pence, "fingerprint": p, "status": "unmatched"}
                for i, line, p in new])
    except IntegrityError:
        raise Conflict("Some of these lines were imported by someone else a moment ago; import the file again "
                       "and only what is new will be added.", fields={"file": ["imported at the same time"]}) from None
    suggested = refresh_suggestions(session)
    record_event(session, NewEvent(
        subject="bank_statement", subject_id=statement.id, action="import", actor_user_id=actor_user_id,
        note=f"{len(new)} new line(s) from {statement.filename}; {len(parsed.lines) - len(new)} already imported.",
        details={"format": parsed.format, "preset": statement.preset, "account": named, "added": len(new),
                 "lines": len(parsed.lines), "file_sha256": statement.file_sha256}))
    return ImportResult(_statement_record(statement), len(parsed.lines), len(new), len(parsed.lines) - len(new),
                        suggested)


def decode_content(text: str | None, encoded: str | None) -> bytes:
    """A file sent as text or as base64 (the API's two ways), as bytes."""
    if encoded:
        try:
            return base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ValidationError("content_base64 is not base64.", fields={"content_base64": ["invalid"]}) from None
    if text:
        return text.encode()
    raise ValidationError("Send the file as content (text) or content_base64.", fields={"content": ["required"]})


# ---------------------------------------------------------------- suggestions


def refresh_suggestions(session: Session) -> int:
    """Suggest again for every unmatched line (the books may have moved on); return how many have one."""
    rows = session.execute(select(_lines.c.id, _lines.c.posted_on, _lines.c.amount_pence, _lines.c.description,
                                  _lines.c.reference, _lines.c.suggested_kind)
                           .where(_lines.c.status.in_(LINE.statuses_allowing("match")))).all()
    if not rows:
        return 0
    start = min(r.posted_on for r in rows) - dt.timedelta(days=matching.WINDOW_DAYS)
    end = max(r.posted_on for r in rows) + dt.timedelta(days=matching.WINDOW_DAYS)
    items = matching.book_items(session, start, end)
    amounts = {item.amount_pence for item in items}
    # Only a line with the amount of some book item can be matched: the rest need no words read.
    facts = [matching.LineFacts(r.id, r.posted_on, r.amount_pence,
                                matching.normal(f"{r.description} {r.reference or ''}"))
             for r in rows if r.amount_pence in amounts]
    found = {s.line_id: s for s in matching.suggest(facts, items)}
    changes = []
    for r in rows:
        s = found.get(r.id)
        if s is not None:
            changes.append({"b_id": r.id, "kind": s.item.kind, "target": s.item.id, "score": s.score,
                            "reason": s.reason})
        elif r.suggested_kind is not None:
            changes.append({"b_id": r.id, "kind": None, "target": None, "score": None, "reason": None})
    if changes:
        session.connection().execute(
            _lines.update().where(_lines.c.id == bindparam("b_id")).values(
                suggested_kind=bindparam("kind"), suggested_id=bindparam("target"), suggested_score=bindparam("score"),
                suggested_reason=bindparam("reason")), changes)
    return len(found)


def candidates(session: Session, line_id: int, limit: int = 15) -> list[Candidate]:
    """What the line might be, for matching by hand: book items near its date, those of its amount first."""
    line = _line_row(session, line_id)
    start = line.posted_on - dt.timedelta(days=matching.WINDOW_DAYS)
    end = line.posted_on + dt.timedelta(days=matching.WINDOW_DAYS)
    facts = matching.LineFacts(line.id, line.posted_on, line.amount_pence,
                               matching.normal(f"{line.description} {line.reference or ''}"))
    found = []
    for item in matching.book_items(session, start, end):
        scored = matching.score(facts, item)
        found.append(Candidate(item.kind, item.id, item.amount_pence, item.day, item.label,
                               scored[0] if scored else 0, scored[1] if scored else "The amount is different."))
    found.sort(key=lambda c: (-c.score, abs(c.amount_pence - line.amount_pence), abs((c.day - line.posted_on).days)))
    return found[:limit]


# ---------------------------------------------------------------- confirming, matching, unmatching


def _line_row(session: Session, line_id: Any) -> BankStatementLine:
    if not isinstance(line_id, int) or isinstance(line_id, bool):
        raise ValidationError("The line is named by its number.", fields={"line_id": ["not a number"]})
    row = session.get(BankStatementLine, line_id)
    if row is None:
        raise NotFound(f"There is no statement line {line_id}.", fields={"line_id": ["not found"]})
    return row


def _reason(value: Any, *, required: bool) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError("Say why: it is kept in the audit trail.", fields={"reason": ["required"]})
    if len(text) > MAX_REASON:
        raise ValidationError(f"The reason is at most {MAX_REASON} characters.", fields={"reason": ["too long"]})
    return text or None


def _move(session: Session, row: BankStatementLine, action: str, **values: Any) -> str:
    """Change the line's status by the table, only if no one else has just changed it."""
    before = row.status
    after = next_status(before, action)
    result = session.execute(update(BankStatementLine).where(
        BankStatementLine.id == row.id, BankStatementLine.status == before).values(status=after, **values)
        .execution_options(synchronize_session=False))
    if _rowcount(result) != 1:
        raise Conflict(f"Statement line {row.id} was changed by someone else a moment ago; look at it again.",
                       fields={"status": [before]})
    session.expire(row)
    return after


def _rowcount(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def _link(session: Session, row: BankStatementLine, item: matching.BookItem) -> None:
    taken = session.execute(select(_links.c.entry_id, _links.c.line_id).where(
        _links.c.entry_id.in_([e[0] for e in item.entries]))).first()
    if taken is not None:
        raise Conflict(f"Entry {taken.entry_id} of {item.label} is already matched to statement line "
                       f"{taken.line_id}; unmatch that line first.", fields={"target_id": ["already matched"]})
    try:
        with session.begin_nested():  # a colleague matching another line to the same entry at this moment
            session.execute(insert(_links), [{"line_id": row.id, "entry_id": e, "amount_pence": amount,
                                              "effective_date": day} for e, amount, day in item.entries])
    except IntegrityError:
        raise Conflict(f"{item.label} was matched to another statement line a moment ago; look again.",
                       fields={"target_id": ["already matched"]}) from None


def _matched(session: Session, row: BankStatementLine, item: matching.BookItem, action: str, *, score: int | None,
             reason: str, actor: int | None) -> LineRecord:
    _link(session, row, item)
    before = row.status
    after = _move(session, row, action, match_kind=item.kind, match_id=item.id, match_score=score,
                  match_reason=reason, matched_by_user_id=actor, matched_at=utcnow(), suggested_kind=None,
                  suggested_id=None, suggested_score=None, suggested_reason=None)
    differs = item.amount_pence - row.amount_pence
    note = f"Matched to {item.label}." + (f" The books differ by {differs} pence." if differs else "")
    record_event(session, NewEvent(
        subject="bank_line", subject_id=row.id, action=action, actor_user_id=actor, before=before, after=after,
        reason=reason, note=note, payment_run_id=item.id if item.kind == "payment_run" else None,
        entry_id=item.entries[0][0] if len(item.entries) == 1 else None,
        details={"kind": item.kind, "id": item.id, "score": score, "entry_ids": [e[0] for e in item.entries]}))
    return line_record(session, row.id)


def confirm_suggestion(session: Session, line_id: Any, *, actor_user_id: int | None) -> LineRecord:
    """Match the line to what the matcher suggested, with the matcher's score and reason."""
    row = _line_row(session, line_id)
    next_status(row.status, "confirm")
    if row.suggested_kind is None or row.suggested_id is None:
        raise Conflict(f"Statement line {row.id} has no suggested match; match it by hand, with a reason.",
                       fields={"line_id": ["no suggestion"]})
    item = matching.resolve(session, row.suggested_kind, row.suggested_id)
    return _matched(session, row, item, "confirm", score=row.suggested_score, reason=row.suggested_reason or "",
                    actor=actor_user_id)


def match_line(session: Session, line_id: Any, *, kind: Any, target_id: Any, reason: Any,
               actor_user_id: int | None) -> LineRecord:
    """Match the line by hand to a run, a payment, a returned payment or an entry, saying why."""
    row = _line_row(session, line_id)
    if kind not in MATCH_KINDS:
        raise ValidationError(f"Choose what the line is: {', '.join(MATCH_KINDS)}.", fields={"kind": ["unknown"]})
    if not isinstance(target_id, int) or isinstance(target_id, bool) or target_id < 1:
        raise ValidationError("Give the number of the run, payment, returned payment or entry.",
                              fields={"target_id": ["not a number"]})
    text = _reason(reason, required=True)
    next_status(row.status, "match")
    item = matching.resolve(session, kind, target_id)
    return _matched(session, row, item, "match", score=None, reason=text or "", actor=actor_user_id)


def unmatch_line(session: Session, line_id: Any, *, reason: Any, actor_user_id: int | None) -> LineRecord:
    """Put a matched line back in the queue, saying why; what it was matched to is kept in the event."""
    row = _line_row(session, line_id)
    text = _reason(reason, required=True)
    before = row.status
    next_status(before, "unmatch")
    was = {"kind": row.match_kind, "id": row.match_id, "score": row.match_score, "reason": row.match_reason,
           "entry_ids": sorted(session.execute(select(_links.c.entry_id).where(_links.c.line_id == row.id))
                               .scalars())}
    session.execute(delete(_links).where(_links.c.line_id == row.id))
    after = _move(session, row, "unmatch", match_kind=None, match_id=None, match_score=None, match_reason=None,
                  matched_by_user_id=None, matched_at=None)
    record_event(session, NewEvent(subject="bank_line", subject_id=row.id, action="unmatch",
                                   actor_user_id=actor_user_id, before=before, after=after, reason=text,
                                   note=f"Unmatched from {was['kind']} {was['id']}.", details=was))
    return line_record(session, row.id)


# ---------------------------------------------------------------- reads


def list_statements(session: Session, limit: int = 100) -> list[StatementRecord]:
    """Imported files, newest first."""
    return [_statement_record(r) for r in session.execute(
        select(BankStatement).order_by(BankStatement.id.desc()).limit(limit)).scalars()]


def statement_record(session: Session, statement_id: int) -> StatementRecord:
    row = session.get(BankStatement, statement_id)
    if row is None:
        raise NotFound(f"There is no bank statement {statement_id}.")
    return _statement_record(row)


def _record(r: Any, entries: Sequence[MatchedEntry] = ()) -> LineRecord:
    return LineRecord(
        id=r.id, statement_id=r.statement_id, account=r.account, posted_on=r.posted_on, amount_pence=r.amount_pence,
        description=r.description, reference=r.reference, fitid=r.fitid, balance_pence=r.balance_pence,
        status=r.status, suggested_kind=r.suggested_kind, suggested_id=r.suggested_id,
        suggested_score=r.suggested_score, suggested_reason=r.suggested_reason, match_kind=r.match_kind,
        match_id=r.match_id, match_score=r.match_score, match_reason=r.match_reason,
        matched_by_user_id=r.matched_by_user_id, matched_at=r.matched_at, entries=tuple(entries))


def line_record(session: Session, line_id: int) -> LineRecord:
    row = session.execute(select(_lines).where(_lines.c.id == line_id)).first()
    if row is None:
        raise NotFound(f"There is no statement line {line_id}.", fields={"line_id": ["not found"]})
    entries = [MatchedEntry(r.entry_id, r.amount_pence, r.effective_date) for r in session.execute(
        select(_links).where(_links.c.line_id == line_id).order_by(_links.c.entry_id))]
    return _record(row, entries)


LINES_CURSOR = "bl1:"


def _decode_cursor(cursor: str) -> tuple[dt.date, int]:
    """The day and line id a page of lines starts after (``ledger.paging``'s cursor, as every list's)."""
    key = paging.decode_cursor(LINES_CURSOR, cursor, (str, int))
    try:
        return dt.date.fromisoformat(key[0]), key[1]  # type: ignore[index]
    except ValueError:
        raise ValidationError("The page cursor is not valid; start again from the first page.",
                              fields={"cursor": ["invalid"]}) from None


def list_lines(session: Session, *, status: str | None = None, statement_id: int | None = None,
               suggested: bool | None = None, cursor: str | None = None, limit: int = 50) -> LinePage:
    """Statement lines oldest first, a page at a time; ``next_cursor`` is None on the last page."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status is one of {', '.join(STATUSES)}.", fields={"status": ["unknown"]})
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"A page holds 1 to {MAX_PAGE} lines.", fields={"limit": ["out of range"]})
    query = select(_lines).order_by(_lines.c.posted_on, _lines.c.id).limit(limit + 1)
    if status is not None:
        query = query.where(_lines.c.status == status)
    if statement_id is not None:
        query = query.where(_lines.c.statement_id == statement_id)
    if suggested is not None:
        query = query.where(_lines.c.suggested_kind.is_not(None) if suggested else _lines.c.suggested_kind.is_(None))
    if cursor:
        day, after = _decode_cursor(cursor)
        query = query.where(or_(_lines.c.posted_on > day, (_lines.c.posted_on == day) & (_lines.c.id > after)))
    rows, next_cursor = paging.page_of(session.execute(query).all(), limit, LINES_CURSOR,
                                       lambda r: (r.posted_on.isoformat(), r.id))
    links: dict[int, list[MatchedEntry]] = defaultdict(list)
    matched = [r.id for r in rows if r.status != "unmatched"]
    if matched:
        for r in session.execute(select(_links).where(_links.c.line_id.in_(matched)).order_by(_links.c.entry_id)):
            links[r.line_id].append(MatchedEntry(r.entry_id, r.amount_pence, r.effective_date))
    records = tuple(_record(r, links.get(r.id, ())) for r in rows)
    return LinePage(records, next_cursor)


def unmatched_summary(session: Session) -> tuple[int, int]:
    """How many lines wait in the queue, and how many of them have a suggestion (the dashboard's figures)."""
    rows = session.execute(select(_lines.c.suggested_kind).where(_lines.c.status == "unmatched")).scalars().all()
    return len(rows), sum(1 for kind in rows if kind is not None)
