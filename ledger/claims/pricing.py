"""Mileage across a participant's tax year: what counts towards HMRC's 10,000-mile band, and what a rejected
or cancelled claim's miles did to the price of the claims made after it.

Invariant: a car or van line is priced with the miles of the participant's live claims before it (claim by
claim in the order they were made, line by line within a claim) counted towards the band. So when a claim
stops counting (rejected or cancelled), only lines of later claims can change, and only upwards: without its
miles, more of theirs fall in the higher first band. ``mileage_repricing`` works out that difference line by
line, both prices from the same rules, so it is exactly what the cancelled claim's miles cost each line,
whatever else has changed since; applying each cancellation's difference in turn gives the price as if the
cancelled claims had never been made.

Reads only: the claims services decide what to do with the difference (reprice an open claim, flag an
approved or paid one) and record it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ledger.claims import workflow
from ledger.claims.models import Claim, ExpenseLine
from policies import pay
from policies.rulebook import Rulebook
from policies.tax import TaxYear, tax_year_of

# Cars and vans share HMRC's 10,000-mile band; motorcycles and bicycles have one flat rate.
BANDED_VEHICLES = ("car", "van")


@dataclass(frozen=True, slots=True)
class LineRepriced:
    """A mileage line whose price goes up once a rejected or cancelled claim's miles stop counting."""

    claim_id: int
    line_id: int
    miles: str
    incurred_on: dt.date
    priced_pence: int  # what the line holds now
    due_pence: int  # what it comes to without the cancelled claim's miles

    @property
    def difference_pence(self) -> int:
        return self.due_pence - self.priced_pence

    def to_json(self) -> dict:
        return {"line_id": self.line_id, "miles": self.miles, "incurred_on": self.incurred_on.isoformat(),
                "old_pence": self.priced_pence, "new_pence": self.due_pence}


def _banded_lines(participant_id: int, year: TaxYear) -> Select:
    """The participant's car and van mileage lines dated in a tax year, on claims of any status."""
    return (
        select(ExpenseLine.id, ExpenseLine.claim_id, ExpenseLine.miles, ExpenseLine.vehicle,
               ExpenseLine.incurred_on, ExpenseLine.amount_pence)
        .join(Claim, Claim.id == ExpenseLine.claim_id)
        .where(Claim.participant_id == participant_id, ExpenseLine.category == "mileage",
               ExpenseLine.vehicle.in_(BANDED_VEHICLES), ExpenseLine.incurred_on >= year.start,
               ExpenseLine.incurred_on <= year.end)
    )


def banded_miles_claimed(session: Session, participant_id: int, on: dt.date) -> Decimal:
    """Car and van miles already claimed by the participant in the tax year of ``on`` (HMRC's band counts them)."""
    rows = session.execute(_banded_lines(participant_id, tax_year_of(on)).where(Claim.status.in_(workflow.LIVE)))
    return sum((Decimal(r.miles) for r in rows if r.miles), Decimal(0))


def banded_tax_years(session: Session, claim_id: int) -> list[TaxYear]:
    """The tax years in which a claim has car or van miles (what its miles can change), oldest first."""
    return sorted({tax_year_of(day) for day in session.execute(
        select(ExpenseLine.incurred_on).where(ExpenseLine.claim_id == claim_id, ExpenseLine.category == "mileage",
                                              ExpenseLine.vehicle.in_(BANDED_VEHICLES))).scalars()})


def mileage_repricing(session: Session, stopped: Claim, rulebook: Rulebook) -> list[LineRepriced]:
    """The later car/van lines of the same participant and tax year priced too low because of ``stopped``'s miles.

    ``stopped`` is a claim just rejected or cancelled. Each later line is priced twice with the current rules,
    once counting the band as it was (with ``stopped``'s miles) and once without them; the lines whose price
    goes up are returned, oldest claim first. Raises ``PolicyError`` if the rules no longer price a line's date.
    """
    found = []
    for year in banded_tax_years(session, stopped.id):
        rows = session.execute(
            _banded_lines(stopped.participant_id, year)
            .where(or_(Claim.status.in_(workflow.LIVE), Claim.id == stopped.id))
            .order_by(ExpenseLine.claim_id, ExpenseLine.id))
        counted_with, counted_without = Decimal(0), Decimal(0)
        for row in rows:
            miles = Decimal(row.miles or 0)
            if row.claim_id > stopped.id:
                was = pay.mileage_pence(miles, row.vehicle, counted_with, rulebook=rulebook, on=row.incurred_on)
                now = pay.mileage_pence(miles, row.vehicle, counted_without, rulebook=rulebook, on=row.incurred_on)
                if now > was:
                    found.append(LineRepriced(claim_id=row.claim_id, line_id=row.id, miles=row.miles,
                                              incurred_on=row.incurred_on, priced_pence=row.amount_pence,
                                              due_pence=row.amount_pence + now - was))
            counted_with += miles
            if row.claim_id != stopped.id:
                counted_without += miles
    return sorted(found, key=lambda c: (c.claim_id, c.line_id))
