"""The policy engine: what to pay people, and whether a payment is safe for their benefits and tax.

Standard library only; no Flask, no database. Rules are dated data (policies/data/uk-rules.toml plus any
organisation override files), looked up by key and date. Money is integer pence inside; Decimal only to
parse and format. Public entry points:

- `load_rulebook(extra_paths)` -> `Rulebook`; `Rulebook.get(key, on)` -> `Parameter`
- `hourly_rate`, `fee_pence`, `mileage_pence`, `check_flat_fee`, `stale_rules` (pay)
- `check_payment(rulebook, benefits, already_paid, proposed, settings)` -> `Decision` (benefits)
- `required_action(decision, settings)` -> 'none' | 'warn' | 'override' | 'block'
- `check_tax`, `tax_year_of`, `totals_by_tax_year`, `trading_allowance_flags`, `payroll_review` (tax)
- `check_request(data, rulebook, settings)` -> dict (the public JSON calculator)
"""

from policies.benefits import (
    ESA,
    Alternative,
    BenefitResult,
    CarersAllowance,
    Decision,
    Effect,
    HousingBenefit,
    IncomeRelatedESA,
    NoEarningsTest,
    Outcome,
    PensionCredit,
    Period,
    Reading,
    UniversalCredit,
    assessment_period_containing,
    check_payment,
    week_containing,
)
from policies.calculator import check_request
from policies.errors import InvalidInput, PolicyError, RulebookError, RuleNotFound
from policies.pay import (
    FlatFeeCheck,
    Rate,
    StaleRule,
    check_flat_fee,
    fee_pence,
    hourly_rate,
    legal_minimum,
    mileage,
    mileage_pence,
    stale_rules,
)
from policies.payments import Payment, PaymentKind, counts_as_earnings
from policies.rulebook import Parameter, Rulebook, load_rulebook
from policies.settings import PolicySettings, required_action
from policies.tax import TaxYear, check_tax, payroll_review, tax_year_of, totals_by_tax_year, trading_allowance_flags

__all__ = [
    "ESA",
    "Alternative",
    "BenefitResult",
    "CarersAllowance",
    "Decision",
    "Effect",
    "FlatFeeCheck",
    "HousingBenefit",
    "IncomeRelatedESA",
    "InvalidInput",
    "NoEarningsTest",
    "Outcome",
    "Parameter",
    "Payment",
    "PaymentKind",
    "PensionCredit",
    "Period",
    "PolicyError",
    "PolicySettings",
    "Rate",
    "Reading",
    "RuleNotFound",
    "Rulebook",
    "RulebookError",
    "StaleRule",
    "TaxYear",
    "UniversalCredit",
    "assessment_period_containing",
    "check_flat_fee",
    "check_payment",
    "check_request",
    "check_tax",
    "counts_as_earnings",
    "fee_pence",
    "hourly_rate",
    "legal_minimum",
    "load_rulebook",
    "mileage",
    "mileage_pence",
    "payroll_review",
    "required_action",
    "stale_rules",
    "tax_year_of",
    "totals_by_tax_year",
    "trading_allowance_flags",
    "week_containing",
]
