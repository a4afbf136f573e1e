"""Units the books keep, each counted in integer minor units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    minor_per_major: int
    minor_name: str
    export_commodity: str


GBP = Unit("GBP", "pounds sterling", 100, "pence", "GBP")
# Time credits: one hour given earns one credit; kept in minutes so that a 20-minute task is exact.
TIME = Unit("TIME", "time credits (hours)", 60, "minutes", "TCMIN")

UNITS: dict[str, Unit] = {u.code: u for u in (GBP, TIME)}


def to_major(unit: Unit, minor: int) -> Decimal:
    """Minor units as a Decimal of major units (pence to pounds, minutes to hours)."""
    return Decimal(minor) / Decimal(unit.minor_per_major)
