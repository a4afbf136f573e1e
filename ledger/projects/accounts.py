"""Ledger account codes of a project: ``fees:project:<code>`` and ``expenses:project:<code>`` (expense, GBP).

The project's code is part of the account code, which is why a project's code never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.books.posting import open_account


@dataclass(frozen=True, slots=True)
class ProjectAccounts:
    fees: str
    expenses: str


def project_accounts(code: str) -> ProjectAccounts:
    return ProjectAccounts(fees=f"fees:project:{code}", expenses=f"expenses:project:{code}")


def open_project_accounts(session: Session, code: str) -> ProjectAccounts:
    """Open (or find) a project's accounts in the caller's transaction."""
    codes = project_accounts(code)
    open_account(session, code=codes.fees, name=f"Co-production fees, project {code}", type="expense", unit="GBP")
    open_account(session, code=codes.expenses, name=f"Co-production expenses, project {code}", type="expense",
                 unit="GBP")
    return codes
