"""The organisation's choices that the rules leave open: what counts, and what happens on each outcome.

`required_action` turns a decision's outcome into what the app must do before paying:
'none' (go ahead), 'warn' (show the warning), 'override' (a named person records a reason) or 'block'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from policies.errors import InvalidInput

Action = Literal["none", "warn", "override", "block"]
ACTIONS: tuple[str, ...] = ("warn", "override", "block")


class Decision(Protocol):
    """What `required_action` reads from a benefits decision (`policies.benefits.Decision`).

    A protocol rather than an import, so the settings stay below the benefit rules that read them.
    """

    @property
    def outcome(self) -> str: ...


@dataclass(frozen=True)
class PolicySettings:
    """An organisation's settings for the policy engine; the defaults are the cautious ones.

    - vouchers_count_as_earnings: the sources disagree (reference Q6), so vouchers count unless the
      organisation records otherwise.
    - on_warn / on_breach: what happens when a payment would reduce a benefit (or rests on an unverified
      figure, including a loss or over-limit that happens only under the cautious reading of one), and
      when it would lose a week's benefit or go over a permitted-work limit under a confirmed figure.
    - payroll_review_*: a participant whose paid work reaches either threshold within any rolling window
      is flagged for an employment-status (payroll) review; see `policies.tax.payroll_review`.
    """

    vouchers_count_as_earnings: bool = True
    on_warn: str = "warn"
    on_breach: str = "override"
    payroll_review_window_days: int = 365
    payroll_review_engagements: int = 12
    payroll_review_amount_pence: int = 300_000

    def __post_init__(self) -> None:
        for name in ("on_warn", "on_breach"):
            if getattr(self, name) not in ACTIONS:
                raise InvalidInput(f"{name} must be one of {', '.join(ACTIONS)}, not {getattr(self, name)!r}")
        if self.payroll_review_window_days < 1 or self.payroll_review_engagements < 1:
            raise InvalidInput("the payroll review window and number of engagements must be at least 1")
        if self.payroll_review_amount_pence < 1:
            raise InvalidInput("the payroll review amount must be more than zero")


DEFAULT_SETTINGS = PolicySettings()


def required_action(decision: Decision, settings: PolicySettings = DEFAULT_SETTINGS) -> Action:
    """Return what the organisation requires before a payment with this decision is made."""
    if decision.outcome == "breach":
        return settings.on_breach  # type: ignore[return-value]
    if decision.outcome == "warn":
        return settings.on_warn  # type: ignore[return-value]
    return "none"
