"""Money and hours: integer pence inside, Decimal only to parse and format.

The one rounding rule of the engine lives here: `round_to_penny` rounds an exact Decimal amount of pence
to a whole penny, half up (0.5p goes up), once, at the end of a calculation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from policies.errors import InvalidInput

PENNY = Decimal("0.01")
HUNDRED = Decimal(100)


def round_to_penny(pence: Decimal) -> int:
    """Round an exact amount of pence to a whole penny, half up."""
    return int(pence.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_decimal(value: Decimal | int | str, what: str = "value") -> Decimal:
    """Parse a decimal string (or int, or Decimal) exactly; refuse anything that is not a finite number."""
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be a number, not {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidInput(f"{what} must be a decimal number, not {value!r}") from None
    else:
        raise InvalidInput(f"{what} must be a decimal string, not {type(value).__name__}")
    if not result.is_finite():
        raise InvalidInput(f"{what} must be a finite number, not {value!r}")
    return result


def pounds_to_pence(value: Decimal | int | str, what: str = "amount") -> int:
    """Turn an amount in pounds (at most 2 decimal places) into integer pence."""
    amount = to_decimal(value, what)
    pence = amount * HUNDRED
    if pence != pence.to_integral_value():
        raise InvalidInput(f"{what} must have at most 2 decimal places, not {value!r}")
    return int(pence)


def pence_to_decimal(pence: int) -> Decimal:
    """Turn integer pence into pounds as a Decimal with 2 places."""
    return (Decimal(pence) / HUNDRED).quantize(PENNY)


def pence_to_str(pence: int) -> str:
    """Format integer pence as a plain decimal string in pounds: 4050 -> '40.50'."""
    return str(pence_to_decimal(pence))


def gbp(pence: int) -> str:
    """Format integer pence for people: 123456 -> '£1,234.56', -500 -> '-£5.00'."""
    sign = "-" if pence < 0 else ""
    return f"{sign}£{pence_to_decimal(abs(pence)):,.2f}"


def format_hours(hours: Decimal) -> str:
    """Format hours without trailing zeros: Decimal('15.90') -> '15.9'."""
    text = f"{hours.normalize():f}"
    return text
