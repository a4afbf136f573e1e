"""The API's date field: an ISO date, held to the plausible range ``ledger.bounds`` sets (2000 to 2100)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError as SchemaError
from marshmallow import fields

from ledger import bounds


class PlausibleDate(fields.Date):
    """``fields.Date`` refusing a year a person cannot have meant (9999), naming the field, with 400;
    ``earliest`` moves the first allowed day (a date of birth: ``bounds.EARLIEST_BIRTH_DATE``)."""

    def __init__(self, *args: Any, earliest: dt.date = bounds.EARLIEST_DATE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.earliest = earliest

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not self.earliest <= day <= bounds.LATEST_DATE:
            raise SchemaError(f"Must be a date from {self.earliest.isoformat()} to {bounds.LATEST_DATE.isoformat()}.")
        return day
