"""The organisation's own accounts in the books, opened once.

| code | type | unit | holds |
|---|---|---|---|
| ``bank:main`` | asset | GBP | the bank account payments are made from |
| ``funding:coproduction`` | equity | GBP | money set aside for co-production |
| ``time:issued`` | equity | TIME | time credits the organisation has issued |
| ``time:group:<id>`` | liability | TIME | time credits given to a user-led group |
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ledger.books.posting import open_account

BANK = "bank:main"
FUNDING = "funding:coproduction"
TIME_ISSUED = "time:issued"


def group_time_account(group_id: int) -> str:
    return f"time:group:{group_id}"


def open_organisation_accounts(session: Session) -> None:
    open_account(session, code=BANK, name="Bank: main account", type="asset", unit="GBP")
    open_account(session, code=FUNDING, name="Co-production funding", type="equity", unit="GBP")
    open_account(session, code=TIME_ISSUED, name="Time credits issued", type="equity", unit="TIME")
