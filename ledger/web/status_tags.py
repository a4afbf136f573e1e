"""The colour of the GOV.UK tag beside each status, the same on every staff page (a status is never shown by
colour alone: the tag always carries the status's words)."""

from __future__ import annotations

#: Claim, payment run, advance and hold statuses to the govuk-tag modifier that marks them.
STATUS_TAGS = {
    "draft": "govuk-tag--grey", "submitted": "govuk-tag--blue", "returned": "govuk-tag--yellow",
    "approved": "govuk-tag--turquoise", "paid": "govuk-tag--green", "rejected": "govuk-tag--red",
    "cancelled": "govuk-tag--grey", "confirmed": "govuk-tag--green", "requested": "govuk-tag--blue",
    "settled": "govuk-tag--green", "held": "govuk-tag--orange", "released": "govuk-tag--grey",
    "active": "govuk-tag--green", "invited": "govuk-tag--blue", "deactivated": "govuk-tag--grey",
}
