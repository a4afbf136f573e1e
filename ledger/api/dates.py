"""The API's date field: an ISO date, held to the plausible range ``ledger.bounds`` sets (2000 to 2100)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError as SchemaError
from marshmallow import fields

from ledger import bounds


class PlausibleDate(fields.Date):
    """``fields.Date`` refusing a year a person cannot have meant (9999), naming the field, with 400."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not bounds.EARLIEST_DATE <= day <= bounds.LATEST_DATE:
            raise SchemaError(f"Must be a date from {bounds.EARLIEST_DATE.isoformat()} to "
                              f"{bounds.LATEST_DATE.isoformat()}.")
        return day
