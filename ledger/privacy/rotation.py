"""Re-encrypt every stored token with the newest key, in small batches, while the app keeps running.

A key is rotated in three steps, none of which stops the service:

1. put the new key first in ``PERSONAL_DATA_KEY`` (and ``BANK_DETAILS_KEY``), keeping the old one after it,
   and restart: new data is encrypted with the new key, and old tokens still decrypt with the old one;
2. run ``flask --app wsgi ledger rotate-keys``: each batch of rows is locked, re-encrypted and committed in
   its own short transaction, so requests wait at most for one batch; a token the first key already opens
   is left alone, so the command can be stopped and run again;
3. when it reports nothing left to rotate, remove the old key and restart.

The columns come from the models (every column of an encrypted type, ``ledger.encryption``), plus the bank
details and National Insurance numbers, which ``ledger.people.bank`` encrypts with the bank-details key.
Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import Base
from ledger.encryption import ENCRYPTED_TYPES, PersonalDataCipher

#: Tokens written by ``BankCipher`` (the bank-details key), not by an encrypted column type.
BANK_TOKENS = (("participants", "bank_details_encrypted"), ("user_led_groups", "bank_details_encrypted"),
               ("participants", "national_insurance_number_encrypted"))


@dataclass(frozen=True, slots=True)
class RotatedColumn:
    """How many tokens one column held, and how many of them were re-encrypted with the newest key."""

    table: str
    column: str
    tokens: int
    rotated: int


def encrypted_columns() -> Iterator[tuple[str, str, sa.types.TypeEngine]]:
    """Every (table, column, stored type) of an encrypted column type, in a fixed order."""
    for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            if isinstance(column.type, ENCRYPTED_TYPES):
                yield table.name, column.name, column.type.impl_instance


def rotate_keys(factory: sessionmaker[Session], *, personal: PersonalDataCipher, bank: PersonalDataCipher,
                batch_size: int = 200) -> list[RotatedColumn]:
    """Re-encrypt every token not yet under the first key of its cipher; one transaction per batch."""
    work = [(t, c, kind, personal) for t, c, kind in encrypted_columns()]
    work += [(t, c, sa.Text(), bank) for t, c in BANK_TOKENS]
    return [_rotate_column(factory, table, column, kind, cipher, batch_size) for table, column, kind, cipher in work]


def _rotate_column(factory: sessionmaker[Session], table_name: str, column_name: str, kind: sa.types.TypeEngine,
                   cipher: PersonalDataCipher, batch_size: int) -> RotatedColumn:
    table = sa.table(table_name, sa.column("id", sa.Integer()), sa.column(column_name, kind))
    value = table.c[column_name]
    last, tokens, rotated = 0, 0, 0
    while True:
        with factory() as session, session.begin():
            rows = session.execute(
                sa.select(table.c.id, value).where(table.c.id > last, value.is_not(None))
                .order_by(table.c.id).limit(batch_size).with_for_update()).all()
            for row_id, token in rows:
                if token is None:  # a JSON null
                    continue
                tokens += 1
                raw = bytes(token) if isinstance(kind, sa.LargeBinary) else str(token).encode("ascii")
                if cipher.is_current(raw):
                    continue
                fresh = cipher.rotate(raw)
                session.execute(sa.update(table).where(table.c.id == row_id).values(
                    {column_name: fresh if isinstance(kind, sa.LargeBinary) else fresh.decode("ascii")}))
                rotated += 1
        if len(rows) < batch_size:
            return RotatedColumn(table=table_name, column=column_name, tokens=tokens, rotated=rotated)
        last = rows[-1][0]
