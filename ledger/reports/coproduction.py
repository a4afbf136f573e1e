"""Who took part and where the money went, per project and for the organisation, for any period.

The figures a director reports to the board and a project manager puts in a funder's report: distinct people
involved, sessions held, hours of people's time at them, fees and expenses, time credits issued and spent,
fees given to user-led groups, the share of the organisation's network who took part (the seeds' targets:
40% of members, then 50%), and how long a claim took from being submitted to being paid, per project and
per approver.

Where the figures come from, so that they agree with the books:
- fees and expenses are the sum of the postings to each project's accounts (``fees:project:<code>``,
  ``expenses:project:<code>``) dated in the period, reversals included (so a reversed claim counts nothing);
- fees given to groups are the ``redirected`` postings in entries that charged a project's fees;
- time credits issued are the ``time_credits`` postings of awards (organisation) or the time-credit minutes
  of decided claims accrued in the period (a project); spent is the time bank's ``spent`` transfers, which
  belong to no project;
- people involved are those who attended a session in the period, or had a claim accrued in it;
- the network is the active participants on the register; the share is of them who took part;
- claim-to-payment is the days from the day a claim was submitted to the day it was paid, for claims paid in
  the period (a claim recorded as submitted after the day it was paid, entered late, is left out and
  counted as not timed): the median (the middle value, or the mean of the two middle values) and the 90th percentile
  (nearest rank: the smallest value with at least 90% of the claims at or below it).
Every figure is read with a few set-based queries (grouped by project), never a query per row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select, union
from sqlalchemy.orm import Session, aliased

from ledger.auth.models import User
from ledger.books.kinds import PostingKind
from ledger.books.models import Account, JournalEntry, Posting
from ledger.claims.models import Claim, ClaimApproval
from ledger.errors import NotFound, ValidationError
from ledger.people.models import Participant
from ledger.projects.models import Activity, Attendance, Project
from ledger.reports.coproduction_records import NETWORK_TARGETS, CoproductionReport, PaymentTimes, ProjectFigures
from ledger.timebank.models import TimeCreditTransfer

__all__ = ["NETWORK_TARGETS", "CoproductionReport", "PaymentTimes", "financial_year", "median_and_p90",
           "organisation_report", "project_report", "read_period",
           "report_csv"]

_FEES, _EXPENSES = "fees:project:", "expenses:project:"
_DECIDED = ("approved", "paid")
_MAX_DAYS = 3660  # ten years: a longer period is almost certainly a typing slip


def financial_year(today: dt.date) -> tuple[dt.date, dt.date]:
    """The financial year (1 April to 31 March, as UK charities and the seeds' annual reports use) holding today."""
    first = today.year if today.month >= 4 else today.year - 1
    return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


def _one_date(args: Mapping[str, str], name: str, label: str, problems: dict[str, list[str]]) -> dt.date | None:
    parts = {p: (args.get(f"{name}-{p}") or "").strip() for p in ("day", "month", "year")}
    whole = (args.get(name) or "").strip()
    if not whole and not any(parts.values()):
        return None
    try:
        if whole and not any(parts.values()):
            return dt.date.fromisoformat(whole)
        if not all(parts.values()):
            missing = " and a ".join(p for p, v in parts.items() if not v)
            problems.setdefault(name, []).append(f"The {label} must include a {missing}.")
            return None
        return dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        problems.setdefault(name, []).append(f"Enter the {label} as a real date, like 1 4 2026 (or 2026-04-01).")
        return None


def read_period(args: Mapping[str, str], *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for (``from`` and ``to``, each YYYY-MM-DD or as day, month and year fields); either left
    out is the current financial year's. A wrong date is refused naming its field."""
    problems: dict[str, list[str]] = {}
    start = _one_date(args, "from", "first day", problems)
    end = _one_date(args, "to", "last day", problems)
    default_start, default_end = financial_year(today)
    start, end = start or default_start, end or default_end
    if not problems and end < start:
        problems["to"] = ["The last day must be on or after the first day."]
    elif not problems and (end - start).days > _MAX_DAYS:
        problems["to"] = ["A report covers at most ten years: choose a later first day or an earlier last day."]
    if problems:
        said = " ".join(message for messages in problems.values() for message in messages)
        raise ValidationError(said, fields=problems)
    return start, end


def median_and_p90(days: Sequence[int]) -> tuple[Decimal | None, int | None]:
    """The median (mean of the two middle values when there is an even number) and the nearest-rank 90th
    percentile of some whole numbers of days; (None, None) when there are none."""
    if not days:
        return None, None
    ordered = sorted(days)
    n = len(ordered)
    middle = n // 2
    median = Decimal(ordered[middle]) if n % 2 else Decimal(ordered[middle - 1] + ordered[middle]) / 2
    return median, ordered[math.ceil(Decimal(9) * n / 10) - 1]


def _times(name: str, days: Sequence[int], not_timed: int = 0) -> PaymentTimes:
    median, p90 = median_and_p90(days)
    return PaymentTimes(name=name, claims=len(days), median_days=median, p90_days=p90, not_timed=not_timed)


def _in(column, start: dt.date, end: dt.date) -> ColumnElement[bool]:
    return and_(column >= start, column <= end)


def _projects(session: Session, code: str | None) -> dict[int, tuple[str, str]]:
    query = select(Project.id, Project.code, Project.name).order_by(Project.code)
    if code is not None:
        query = query.where(Project.code == code)
    found = {row.id: (row.code, row.name) for row in session.execute(query)}
    if code is not None and not found:
        raise NotFound(f"There is no project {code}.")
    return found


def _money(session: Session, start: dt.date, end: dt.date, codes: set[str]) -> dict[str, tuple[int, int, int]]:
    """Fees, expenses and fees given to groups per project code, from the postings."""
    rows = session.execute(
        select(Account.code, func.coalesce(func.sum(Posting.amount), 0))
        .join(Posting, Posting.account_id == Account.id)
        .where(or_(Account.code.like(f"{_FEES}%"), Account.code.like(f"{_EXPENSES}%")),
               _in(Posting.effective_date, start, end))
        .group_by(Account.code))
    fees: dict[str, int] = defaultdict(int)
    expenses: dict[str, int] = defaultdict(int)
    for account, total in rows:
        (fees if account.startswith(_FEES) else expenses)[account.split(":", 2)[2]] += int(total)
    fee_posting, fee_account = aliased(Posting), aliased(Account)
    given = dict(session.execute(
        select(fee_account.code, -func.sum(Posting.amount))
        .join(fee_posting, fee_posting.entry_id == Posting.entry_id)
        .join(fee_account, fee_account.id == fee_posting.account_id)
        .where(Posting.kind == PostingKind.REDIRECTED, fee_account.code.like(f"{_FEES}%"),
               _in(Posting.effective_date, start, end))
        .group_by(fee_account.code)).all())
    return {code: (fees[code], expenses[code], int(given.get(f"{_FEES}{code}") or 0)) for code in codes}


def _accrued_claims(start: dt.date, end: dt.date):
    """Decided claims whose accrual is dated in the period (the day their money or time entered the books)."""
    return (select(Claim.project_id, Claim.participant_id, Claim.time_minutes, Claim.kind, Claim.choice, Claim.rest)
            .join(JournalEntry, JournalEntry.id == Claim.accrual_entry_id)
            .where(Claim.status.in_(_DECIDED), _in(JournalEntry.effective_date, start, end)))


def _activity(session: Session, start: dt.date, end: dt.date, ids: set[int]):
    """Sessions, hours of people's time at them, people involved and time credits, per project id; and all the
    people involved (for the network share)."""
    sessions = dict(session.execute(
        select(Activity.project_id, func.count(Activity.id))
        .where(_in(Activity.occurs_on, start, end), Activity.project_id.in_(ids))
        .group_by(Activity.project_id)).all())
    minutes = dict(session.execute(
        select(Activity.project_id, func.sum(func.coalesce(Attendance.actual_minutes, Activity.duration_minutes)))
        .join(Attendance, Attendance.activity_id == Activity.id)
        .where(_in(Activity.occurs_on, start, end), Activity.project_id.in_(ids))
        .group_by(Activity.project_id)).all())
    attended = (select(Activity.project_id, Attendance.participant_id)
                .join(Attendance, Attendance.activity_id == Activity.id)
                .where(_in(Activity.occurs_on, start, end), Activity.project_id.in_(ids)))
    claimed = _accrued_claims(start, end).where(Claim.project_id.in_(ids)).subquery()
    involved = union(attended, select(claimed.c.project_id, claimed.c.participant_id)).subquery()
    people: dict[int, int] = dict(session.execute(select(involved.c.project_id, func.count(involved.c.participant_id))
                                  .group_by(involved.c.project_id)).all())
    everyone = session.execute(select(func.count(func.distinct(involved.c.participant_id)))).scalar_one()
    time_claims = or_(claimed.c.kind == "time_credit", claimed.c.choice == "time_credits",
                      claimed.c.rest == "time_credits")
    credits: dict[int, int] = dict(session.execute(select(claimed.c.project_id, func.sum(claimed.c.time_minutes))
                                   .where(time_claims).group_by(claimed.c.project_id)).all())
    return sessions, minutes, people, credits, int(everyone), involved


def _payment_times(session: Session, start: dt.date, end: dt.date, names: dict[int, tuple[str, str]]):
    """Days from submitted to paid, for claims paid in the period: per project, per approver and overall."""
    rows = session.execute(
        select(Claim.id, Claim.project_id, func.coalesce(Claim.submitted_at, Claim.created_at), Claim.paid_on,
               User.display_name)
        .outerjoin(ClaimApproval, ClaimApproval.claim_id == Claim.id)
        .outerjoin(User, User.id == ClaimApproval.user_id)
        .where(Claim.status == "paid", Claim.submitted_at.is_not(None), Claim.paid_on.is_not(None),
               _in(Claim.paid_on, start, end), Claim.project_id.in_(names))).all()
    by_claim: dict[int, tuple[int, int]] = {}
    by_project: dict[str, list[int]] = defaultdict(list)
    by_approver: dict[str, list[int]] = defaultdict(list)
    untimed: set[int] = set()
    for claim_id, project_id, submitted, paid, approver in rows:
        days = ((paid or submitted.date()) - submitted.date()).days  # paid_on is set: the query asks for it
        if days < 0:  # recorded in the system after it was paid (entered late): no honest time to count
            untimed.add(claim_id)
            continue
        if claim_id not in by_claim:
            by_claim[claim_id] = (project_id, days)
            by_project[names[project_id][0]].append(days)
        by_approver[approver or "Not recorded"].append(days)
    return (tuple(_times(code, by_project[code]) for code in sorted(by_project)),
            tuple(_times(name, by_approver[name]) for name in sorted(by_approver)),
            _times("All claims", [days for _p, days in by_claim.values()], not_timed=len(untimed)))


def _report(session: Session, start: dt.date, end: dt.date, code: str | None) -> CoproductionReport:
    names = _projects(session, code)
    ids = set(names)
    money = _money(session, start, end, {c for c, _n in names.values()})
    sessions, minutes, people, credits, everyone, involved = _activity(session, start, end, ids)
    rows = tuple(ProjectFigures(
        code=c, name=n, people=int(people.get(i, 0)), sessions=int(sessions.get(i, 0)),
        hours=(Decimal(int(minutes.get(i) or 0)) / 60).quantize(Decimal("0.01")),
        fees_pence=money[c][0], expenses_pence=money[c][1], time_credit_minutes_issued=int(credits.get(i) or 0),
        to_groups_pence=money[c][2]) for i, (c, n) in names.items())
    totals = ProjectFigures(
        code="", name="All projects", people=everyone, sessions=sum(r.sessions for r in rows),
        hours=sum((r.hours for r in rows), Decimal(0)), fees_pence=sum(r.fees_pence for r in rows),
        expenses_pence=sum(r.expenses_pence for r in rows),
        time_credit_minutes_issued=sum(r.time_credit_minutes_issued for r in rows),
        to_groups_pence=sum(r.to_groups_pence for r in rows))
    by_project, by_approver, overall = _payment_times(session, start, end, names)
    spent = network = taking_part = None
    if code is None:
        spent = int(session.execute(select(func.coalesce(func.sum(TimeCreditTransfer.minutes), 0)).where(
            TimeCreditTransfer.kind == "spent", _in(TimeCreditTransfer.effective_date, start, end))).scalar_one())
        network = int(session.execute(select(func.count(Participant.id)).where(Participant.is_active)).scalar_one())
        taking_part = int(session.execute(
            select(func.count(func.distinct(involved.c.participant_id)))
            .join(Participant, Participant.id == involved.c.participant_id).where(Participant.is_active)).scalar_one())
    title = f"{code}: {names[next(iter(ids))][1]}" if code is not None else "The organisation"
    return CoproductionReport(
        title=title, project_code=code, start=start, end=end, totals=rows[0] if code is not None else totals,
        projects=rows, time_credit_minutes_spent=spent, network_size=network, network_taking_part=taking_part,
        by_project=by_project, by_approver=by_approver, overall=overall)


def project_report(session: Session, code: str, *, start: dt.date, end: dt.date) -> CoproductionReport:
    """One project's figures for a period (a project manager's funder report)."""
    return _report(session, start, end, code)


def organisation_report(session: Session, *, start: dt.date, end: dt.date) -> CoproductionReport:
    """The organisation's figures for a period, with a row per project (a director's report to the board)."""
    return _report(session, start, end, None)


def _hours_text(minutes: int) -> str:
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01")))


def report_csv(report: CoproductionReport) -> str:
    """The report as CSV: a row per project (and the total), then claim-to-payment times; money in pounds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["report", report.title, "from", report.start.isoformat(), "to", report.end.isoformat()])
    writer.writerow(["project", "name", "people involved", "sessions", "hours", "fees (GBP)", "expenses (GBP)",
                     "time credits issued (hours)", "given to user-led groups (GBP)"])
    rows = report.projects if report.project_code is None else ()
    for row in (*rows, report.totals):
        writer.writerow([row.code or "all", row.name, row.people, row.sessions, row.hours,
                         f"{Decimal(row.fees_pence) / 100:.2f}", f"{Decimal(row.expenses_pence) / 100:.2f}",
                         _hours_text(row.time_credit_minutes_issued), f"{Decimal(row.to_groups_pence) / 100:.2f}"])
    if report.time_credit_minutes_spent is not None:
        writer.writerow(["time credits spent (hours)", _hours_text(report.time_credit_minutes_spent)])
    writer.writerow(["paid claims not timed (recorded as submitted after they were paid)", report.overall.not_timed])
    if report.network_size is not None:
        writer.writerow(["network (active participants on the register)", report.network_size,
                         "took part", report.network_taking_part, "share (%)", report.network_share_percent,
                         "targets (%)", " then ".join(str(t) for t in NETWORK_TARGETS)])
    writer.writerow(["claim-to-payment", "by", "claims paid", "median days", "90th percentile days"])
    for group, times in (("project", report.by_project), ("approver", report.by_approver),
                         ("all", (report.overall,))):
        for t in times:
            writer.writerow(["claim-to-payment", f"{group}: {t.name}", t.claims,
                             "" if t.median_days is None else t.median_days, "" if t.p90_days is None else t.p90_days])
    return out.getvalue()
