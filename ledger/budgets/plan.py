"""What a project manager plans, read and checked field by field: the plan as plain JSON in, frozen records out.

The same reading serves the API, the planner pages and a stored version (its inputs are kept as the JSON the
manager gave, so a version can be priced again, or copied into a new draft). Every problem names its field
("meetings.2.on", "each_meeting.items.0.rate_pence") with a message a person can act on, and all problems are
raised together. Money is whole pence; hours, miles and percentages are decimal strings (floats refused).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.errors import ValidationError

ROLES = ("member", "co_chair", "trainer", "reviewer")
ROLE_NAMES = {"member": "Member", "co_chair": "Co-chair", "trainer": "Trainer", "reviewer": "Reviewer"}
ITEM_KIND_KEYS = ("travel_uk", "travel_london", "travel_rural", "mileage", "meals", "meals_5_hours", "meals_10_hours",
                  "meals_15_hours", "early_breakfast", "overnight", "overnight_london",
                  "personal_assistant", "bsl_interpreter", "interpreter", "replacement_care", "childcare",
                  "accessible_venue", "catering", "hearing_loop", "easy_read", "large_print", "remote_access",
                  "custom")
COST_LINES = ("fees", "travel_expenses", "access")
REGIONS = ("uk", "london")
MAX_MEETINGS = 200
MAX_ITEMS = 40
MAX_COUNT = 10_000
MAX_RATE_PENCE = 10_000_000
MAX_QUANTITY = Decimal(100_000)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class RoleInput:
    role: str
    name: str
    hourly_rate_pence: int | None  # None: the organisation's pay rate from the rules


@dataclass(frozen=True, slots=True)
class ItemInput:
    kind: str
    count: int
    quantity: Decimal
    rate_pence: int | None
    description: str | None = None
    cost_line: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingInput:
    title: str
    on: dt.date | None
    month: tuple[int, int] | None
    hours: Decimal
    preparation_hours: Decimal
    people: Mapping[str, int] | None  # None: as at each meeting
    items: tuple[ItemInput, ...] | None

    @property
    def when_text(self) -> str:
        if self.on is not None:
            return self.on.isoformat()
        assert self.month is not None
        return f"{self.month[0]:04d}-{self.month[1]:02d}"

    @property
    def label(self) -> str:
        if self.on is not None:
            return f"{self.title} ({self.on:%d %b %Y})"
        assert self.month is not None
        when = dt.date(self.month[0], self.month[1], 1).strftime("%B %Y")
        return f"{self.title} ({when})"


@dataclass(frozen=True, slots=True)
class PlanInput:
    region: str
    starts_on: dt.date
    roles: tuple[RoleInput, ...]
    meetings: tuple[MeetingInput, ...]
    people: Mapping[str, int]
    items: tuple[ItemInput, ...]
    project_items: tuple[ItemInput, ...]
    contingency_percent: Decimal
    time_credit_hours: Decimal

    def role_index(self, role: str) -> int:
        return next(i for i, r in enumerate(self.roles) if r.role == role)

    def roles_in(self, meeting: MeetingInput) -> list[tuple[RoleInput, int]]:
        """Each role with people at a meeting, and how many."""
        people = self.people if meeting.people is None else meeting.people
        return [(role, people[role.role]) for role in self.roles if people.get(role.role, 0) > 0]

    def items_of(self, meeting: MeetingInput) -> tuple[ItemInput, ...]:
        return self.items if meeting.items is None else meeting.items


class _Reader:
    """Collects problems by field while reading; ``done`` raises them together."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def fail(self, field: str, message: str) -> None:
        self.problems.setdefault(field, []).append(message)

    def whole(self, field: str, value: Any, *, maximum: int, default: int | None = None) -> int | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, "Must be a whole number.")
        elif not 0 <= value <= maximum:
            self.fail(field, f"Must be from 0 to {maximum:,}.")
        else:
            return value
        return None

    def number(self, field: str, value: Any, *, maximum: Decimal, default: str = "0") -> Decimal:
        """A decimal string (or whole number) from 0 to ``maximum`` with at most two places; floats refused."""
        if value is None or value == "":
            value = default
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(field, 'Give a number as a decimal string, like "2.5".')
            return Decimal(0)
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or not 0 <= number <= maximum or number != number.quantize(Decimal("0.01")):
            self.fail(field, f"A number from 0 to {maximum:,}, with at most two decimal places.")
            return Decimal(0)
        return number

    def text(self, field: str, value: Any, *, max_length: int = 200) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or len(value.strip()) > max_length:
            self.fail(field, f"Text of at most {max_length} characters.")
            return None
        return value.strip()

    def listing(self, field: str, value: Any, *, maximum: int) -> Sequence[Any]:
        if value is None:
            return ()
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            self.fail(field, "Must be a list.")
            return ()
        if len(value) > maximum:
            self.fail(field, f"At most {maximum} in one plan.")
            return ()
        return value

    def table(self, field: str, value: Any) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(field, "Must be an object.")
            return {}
        return value

    def done(self) -> None:
        if self.problems:
            raise ValidationError(f"Please correct: {', '.join(sorted(self.problems))}.", fields=self.problems)


def read_plan(data: Any, *, starts_on: dt.date) -> PlanInput:
    """Read a plan (JSON as the API or the planner pages give it); raise every problem together, by field."""
    r = _Reader()
    data = r.table("plan", data)
    region = data.get("region") or "uk"
    if region not in REGIONS:
        r.fail("region", f"Choose one of {', '.join(REGIONS)}.")
    roles = _roles(r, data.get("roles"))
    each = r.table("each_meeting", data.get("each_meeting"))
    people = _people(r, "each_meeting.people", each.get("people"), roles) or {}
    items = _items(r, "each_meeting.items", each.get("items")) or ()
    meetings = tuple(_meeting(r, f"meetings.{i}", m, roles, i)
                     for i, m in enumerate(r.listing("meetings", data.get("meetings"), maximum=MAX_MEETINGS)))
    if not meetings and "meetings" not in r.problems:
        r.fail("meetings", "Plan at least one meeting or session, with its date or month.")
    project_items = _items(r, "project_items", data.get("project_items")) or ()
    percent = r.number("contingency_percent", data.get("contingency_percent"), maximum=Decimal(100))
    credits = r.number("time_credit_hours", data.get("time_credit_hours"), maximum=MAX_QUANTITY)
    r.done()
    return PlanInput(region=str(region), starts_on=starts_on, roles=roles, meetings=meetings, people=people,
                     items=items, project_items=project_items, contingency_percent=percent,
                     time_credit_hours=credits)


def _roles(r: _Reader, value: Any) -> tuple[RoleInput, ...]:
    given = r.listing("roles", value, maximum=len(ROLES)) or [{"role": "member"}]
    roles: list[RoleInput] = []
    for index, raw in enumerate(given):
        raw = r.table(f"roles.{index}", raw)
        role = raw.get("role")
        if role not in ROLES:
            r.fail(f"roles.{index}.role", f"Choose one of {', '.join(ROLES)}.")
            continue
        if any(existing.role == role for existing in roles):
            r.fail(f"roles.{index}.role", f"{ROLE_NAMES[role]} is given twice: give each role once.")
            continue
        rate = r.whole(f"roles.{index}.hourly_rate_pence", raw.get("hourly_rate_pence"), maximum=MAX_RATE_PENCE)
        roles.append(RoleInput(role, r.text(f"roles.{index}.name", raw.get("name")) or ROLE_NAMES[role], rate))
    return tuple(roles)


def _people(r: _Reader, field: str, value: Any, roles: tuple[RoleInput, ...]) -> dict[str, int] | None:
    if value is None:
        return None
    table = r.table(field, value)
    known = {role.role for role in roles}
    people = {}
    for role, count in table.items():
        if role not in known:
            r.fail(f"{field}.{role}", "Not one of the plan's roles: add the role (with its fee) first.")
            continue
        people[role] = r.whole(f"{field}.{role}", count, maximum=MAX_COUNT) or 0
    return people


def _items(r: _Reader, field: str, value: Any) -> tuple[ItemInput, ...] | None:
    if value is None:
        return None
    items = []
    for index, raw in enumerate(r.listing(field, value, maximum=MAX_ITEMS)):
        where = f"{field}.{index}"
        raw = r.table(where, raw)
        kind = raw.get("kind")
        if kind not in ITEM_KIND_KEYS:
            r.fail(f"{where}.kind", "Choose a kind of cost from the list.")
            continue
        description = r.text(f"{where}.description", raw.get("description"))
        if kind == "custom" and description is None:
            r.fail(f"{where}.description", "Say what the cost is for.")
        cost_line = raw.get("cost_line")
        if cost_line is not None and cost_line not in COST_LINES:
            r.fail(f"{where}.cost_line", f"Choose one of {', '.join(COST_LINES)}.")
        items.append(ItemInput(
            kind=kind, count=r.whole(f"{where}.count", raw.get("count"), maximum=MAX_COUNT, default=1) or 0,
            quantity=r.number(f"{where}.quantity", raw.get("quantity"), maximum=MAX_QUANTITY, default="1"),
            rate_pence=r.whole(f"{where}.rate_pence", raw.get("rate_pence"), maximum=MAX_RATE_PENCE),
            description=description, cost_line=cost_line if cost_line in COST_LINES else None))
    return tuple(items)


def _meeting(r: _Reader, where: str, raw: Any, roles: tuple[RoleInput, ...], index: int) -> MeetingInput:
    raw = r.table(where, raw)
    on, month = _when(r, where, raw.get("on"), raw.get("month"))
    hours = r.number(f"{where}.hours", raw.get("hours"), maximum=Decimal(24), default="")
    if hours == 0 and f"{where}.hours" not in r.problems:
        r.fail(f"{where}.hours", "Give the meeting's length in hours, like \"2.5\".")
    return MeetingInput(
        title=r.text(f"{where}.title", raw.get("title")) or f"Meeting {index + 1}", on=on, month=month,
        hours=hours, preparation_hours=r.number(f"{where}.preparation_hours", raw.get("preparation_hours"),
                                                maximum=Decimal(24)),
        people=_people(r, f"{where}.people", raw.get("people"), roles),
        items=_items(r, f"{where}.items", raw.get("items")))


def _when(r: _Reader, where: str, on: Any, month: Any) -> tuple[dt.date | None, tuple[int, int] | None]:
    """A meeting's date (YYYY-MM-DD), or its month (YYYY-MM) when the day is not known yet."""
    if on not in (None, ""):
        try:
            return (on if isinstance(on, dt.date) else dt.date.fromisoformat(str(on))), None
        except ValueError:
            r.fail(f"{where}.on", "A date as YYYY-MM-DD, like 2027-03-04.")
            return None, None
    found = _MONTH.match(str(month or ""))
    if found and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) >= 2000:
        return None, (int(found.group(1)), int(found.group(2)))
    r.fail(f"{where}.on", "Give the meeting's date (YYYY-MM-DD), or its month (YYYY-MM) if the day is not fixed.")
    return None, None
