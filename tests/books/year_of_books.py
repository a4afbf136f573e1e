"""A realistic year of books, built through the posting code: what an export must reproduce.

Three projects with meetings most weeks; fees, travel expenses, advances and their settlement; fees paid
to a user-led group; monthly payment runs; time credits awarded and spent; grants; a handful of mistakes
corrected by reversal; an account closed; months locked as the year goes on. Accounts of every type in
pounds and in time credits, some with codes that need spelling out, and descriptions full of quotes,
backslashes, semicolons and line breaks.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.books import posting, queries
from tests.books.chart import line

START = dt.date(2025, 4, 1)
PARTICIPANTS = range(1, 9)
PROJECTS = ("dementia-guide", "panel2025", "Training_Course")
PARTNERS = (1, 2)
HOURLY = 1360  # pence: a living-wage hourly fee
TRICKY = (
    'Fee for "Experts by Experience" panel',
    "Travel: Brixton \\ Stockwell return; bus & tube",
    "Meeting notes:\nsecond line\r\nthird\tline",
    "(postponed) session; paid anyway",
    "*starred* and !banged! description ",
    "  Zoë's café, £4.50 ☕",
)

ACCOUNTS = [
    ("bank", "Bank current account", "asset", "GBP"),
    ("cash:petty", "Petty cash", "asset", "GBP"),
    ("equity:opening", "Opening balances", "equity", "GBP"),
    ("equity:reserves", "Reserves", "equity", "GBP"),
    ("grant:council", "Council co-production grant", "income", "GBP"),
    ("grant:lottery", "Lottery community fund", "income", "GBP"),
    ("owed:group:1", "Owed to Carers Voice", "liability", "GBP"),
    ("owed:group:2", "Owed to Speak Up Together", "liability", "GBP"),
    ("time:issued", "Time credits issued", "equity", "TIME"),
    ("time:lapsed", "Time credits lapsed", "income", "TIME"),
    ("time:bonus", "Time credits given as a welcome bonus", "expense", "TIME"),
    ("time:reserve", "Time credits held for partners", "asset", "TIME"),
    ("time:partner:1", "Time credits spent at the leisure centre", "liability", "TIME"),
    ("time:partner:2", "Time credits spent at the theatre", "liability", "TIME"),
    ("owed:participant:9", "Owed to a participant who left", "liability", "GBP"),
]
for _p in PARTICIPANTS:
    ACCOUNTS += [
        (f"owed:participant:{_p}", f"Owed to participant {_p}", "liability", "GBP"),
        (f"advance:participant:{_p}", f"Advance held by participant {_p}", "asset", "GBP"),
        (f"time:participant:{_p}", f"Time credits of participant {_p}", "liability", "TIME"),
    ]
for _code in PROJECTS:
    ACCOUNTS += [
        (f"fees:project:{_code}", f"Co-production fees, project {_code}", "expense", "GBP"),
        (f"expenses:project:{_code}", f"Co-production expenses, project {_code}", "expense", "GBP"),
    ]


@dataclass(frozen=True)
class Year:
    entries: int
    reversals: int
    locked: tuple[dt.date, ...]


def record_a_year(session: Session, seed: int = 2025) -> Year:
    """Post a year of activity (a few hundred entries) into ``session``; the caller commits."""
    rng = random.Random(seed)
    for code, name, type_, unit in ACCOUNTS:
        posting.open_account(session, code=code, name=name, type=type_, unit=unit)
    counter = iter(range(1, 100_000))
    posted = []

    def post(day, description, kind, *lines):
        postings = [line(code, amount, unit, memo) for code, amount, unit, memo in
                    ((*line, None) if len(line) == 3 else line for line in lines)]
        entry = posting.post_entry(session, effective_date=day, description=description, postings=postings,
                                   idempotency_key=f"year-{seed}-{next(counter)}", kind=kind)
        posted.append(entry)
        return entry

    post(START, "Opening balance brought forward", "opening",
         ("bank", 2_500_000, "GBP"), ("cash:petty", 20_000, "GBP"), ("equity:opening", -2_520_000, "GBP"))
    post(START, "Partners' time credit float", "time_credits",
         ("time:reserve", 6000, "TIME"), ("time:issued", -6000, "TIME"))
    # A participant who is paid once, then leaves: their account is closed.
    post(START + dt.timedelta(days=3), "Fee for the launch event", "fee",
         ("fees:project:dementia-guide", 4080, "GBP"), ("owed:participant:9", -4080, "GBP"))
    post(START + dt.timedelta(days=10), "Payment run: launch event", "payment",
         ("owed:participant:9", 4080, "GBP"), ("bank", -4080, "GBP"))
    posting.close_account(session, "owed:participant:9")

    locked = []
    reversed_ids: set[int] = set()
    day = START
    week = 0
    while day < START + dt.timedelta(days=364):
        week += 1
        if day.month in (4, 7, 10, 1) and day.day <= 7:
            source, grant = rng.choice(["grant:council", "grant:lottery"]), rng.randint(8, 20) * 100_000
            post(day, f"Quarterly grant from the {source.split(':')[1]}", "grant",
                 ("bank", grant, "GBP"), (source, -grant, "GBP"))
        for project in rng.sample(PROJECTS, rng.choice([0, 1, 1, 2])):
            meeting = day + dt.timedelta(days=rng.randint(0, 4))
            people = rng.sample(list(PARTICIPANTS), rng.randint(2, 4))
            hours = rng.choice([2, 3, 4])
            for p in people:
                description = rng.choice(TRICKY) if rng.random() < 0.08 else f"Fee: {project} meeting, {hours}h + prep"
                if p in (3, 7) and rng.random() < 0.5:  # asked for the fee to go to their group
                    post(meeting, f"Fee redirected to a user-led group ({project})", "fee",
                         (f"fees:project:{project}", HOURLY * (hours + 1), "GBP"),
                         (f"owed:group:{1 if p == 3 else 2}", -HOURLY * (hours + 1), "GBP"))
                else:
                    post(meeting, description, "fee",
                         (f"fees:project:{project}", HOURLY * (hours + 1), "GBP"),
                         (f"owed:participant:{p}", -HOURLY * (hours + 1), "GBP", f"{hours}h meeting + 1h preparation"))
                if rng.random() < 0.5:
                    fare = rng.randint(180, 2400)
                    if rng.random() < 0.3:  # paid in advance, settled by receipts a few days later
                        post(meeting - dt.timedelta(days=3), "Travel advance", "advance",
                             (f"advance:participant:{p}", fare, "GBP"), ("bank", -fare, "GBP"))
                        post(meeting + dt.timedelta(days=2), "Travel advance settled by receipts", "expense",
                             (f"expenses:project:{project}", fare, "GBP"), (f"advance:participant:{p}", -fare, "GBP"))
                    else:
                        post(meeting, "Travel expenses (receipted)", "expense",
                             (f"expenses:project:{project}", fare, "GBP"), (f"owed:participant:{p}", -fare, "GBP"))
                if rng.random() < 0.4:
                    post(meeting, f"Time credits for {project}", "time_credits",
                         ("time:issued", 60 * hours, "TIME"), (f"time:participant:{p}", -60 * hours, "TIME"))
        if rng.random() < 0.3:
            p = rng.choice(list(PARTICIPANTS))
            credits = -queries.balance(session, f"time:participant:{p}")
            if credits >= 60:
                partner = rng.choice(PARTNERS)
                post(day + dt.timedelta(days=5), "Time credits spent at a partner", "time_credits",
                     (f"time:participant:{p}", 60, "TIME"), (f"time:partner:{partner}", -60, "TIME"))
        if rng.random() < 0.1:
            post(day + dt.timedelta(days=1), "Welcome bonus and lapsed credits", "time_credits",
                 ("time:bonus", 30, "TIME"), ("time:lapsed", -20, "TIME"), ("time:issued", -10, "TIME"))
        candidates = [e for e in posted[-12:] if e.reverses_entry_id is None and e.id not in reversed_ids
                      and e.kind in ("fee", "expense")]
        if rng.random() < 0.15 and candidates:
            mistake = rng.choice(candidates)
            reversed_ids.add(mistake.id)
            posted.append(posting.reverse_entry(session, mistake.id, effective_date=day + dt.timedelta(days=6),
                                                description=f'Correction: "{mistake.description}" was wrong'[:500]))
        next_day = day + dt.timedelta(days=7)
        if next_day.month != day.month:
            # Month end: pay everyone what they are owed, then lock the month before last.
            run = []
            for code in [f"owed:participant:{p}" for p in PARTICIPANTS] + ["owed:group:1", "owed:group:2"]:
                owed = -queries.balance(session, code)
                if owed > 0:
                    run.append((code, owed, "GBP"))
            if run:
                post(next_day.replace(day=1) - dt.timedelta(days=1), f"Payment run {day:%B %Y}", "payment",
                     *run, ("bank", -sum(amount for _, amount, _ in run), "GBP"))
            month_before = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            if month_before >= START:
                locked.append(posting.lock_period(session, month_before))
        day = next_day

    # The year's surplus moved to reserves.
    post(day, "Transfer to reserves", "transfer",
         ("equity:opening", 100_000, "GBP"), ("equity:reserves", -100_000, "GBP"))
    return Year(entries=len(posted), reversals=sum(1 for e in posted if e.reverses_entry_id is not None),
                locked=tuple(locked))
