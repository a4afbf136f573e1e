"""Ledger account codes of participants, user-led groups and partner organisations.

One place names them, so claims, payment runs and the time bank post to the same accounts:

| code | type | unit | holds |
|---|---|---|---|
| ``owed:participant:<id>`` | liability | GBP | fees and expenses approved and not yet paid to the participant |
| ``advance:participant:<id>`` | asset | GBP | expense advances paid and not yet settled by receipts |
| ``time:participant:<id>`` | liability | TIME | the participant's time-credit balance (minutes) |
| ``owed:group:<id>`` | liability | GBP | fees redirected to the group and not yet paid |
| ``time:partner:<id>`` | liability | TIME | time credits spent at the partner organisation |

Account names carry the record's id, not a person's name: names change, posted entries do not.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.books.posting import open_account


@dataclass(frozen=True, slots=True)
class ParticipantAccounts:
    owed: str
    advance: str
    time_credits: str


@dataclass(frozen=True, slots=True)
class GroupAccounts:
    owed: str


@dataclass(frozen=True, slots=True)
class PartnerAccounts:
    time_credits: str


def participant_accounts(participant_id: int) -> ParticipantAccounts:
    return ParticipantAccounts(
        owed=f"owed:participant:{participant_id}",
        advance=f"advance:participant:{participant_id}",
        time_credits=f"time:participant:{participant_id}",
    )


def group_accounts(group_id: int) -> GroupAccounts:
    return GroupAccounts(owed=f"owed:group:{group_id}")


def partner_accounts(partner_id: int) -> PartnerAccounts:
    return PartnerAccounts(time_credits=f"time:partner:{partner_id}")


def open_participant_accounts(session: Session, participant_id: int) -> ParticipantAccounts:
    """Open (or find) a participant's accounts in the caller's transaction."""
    codes = participant_accounts(participant_id)
    open_account(session, code=codes.owed, name=f"Owed to participant {participant_id}",
                 type="liability", unit="GBP")
    open_account(session, code=codes.advance, name=f"Advance held by participant {participant_id}",
                 type="asset", unit="GBP")
    open_account(session, code=codes.time_credits, name=f"Time credits of participant {participant_id}",
                 type="liability", unit="TIME")
    return codes


def open_group_accounts(session: Session, group_id: int) -> GroupAccounts:
    codes = group_accounts(group_id)
    open_account(session, code=codes.owed, name=f"Owed to user-led group {group_id}", type="liability", unit="GBP")
    return codes


def open_partner_accounts(session: Session, partner_id: int) -> PartnerAccounts:
    codes = partner_accounts(partner_id)
    open_account(session, code=codes.time_credits, name=f"Time credits spent at partner {partner_id}",
                 type="liability", unit="TIME")
    return codes
