"""Special-category personal data encrypted at rest; access needs; when a person's details were erased.

Revision ID: 0026_encrypted_personal_data
Revises: 0024_document_register
Create Date: 2026-12-01

Encrypted in place (the column keeps its type; each value becomes a Fernet token):
- ``benefit_declarations.benefits`` (JSON: the token as a JSON string) and ``.circumstances`` (text);
- ``circumstance_reports.details`` (text);
- ``claims.policy_decision``, ``benefit_rechecks.benefit_check`` and ``payment_run_benefit_checks.benefit_check``
  (JSON: benefit checks name the person's benefits and their limits);
- ``receipts.data`` (the file's bytes become the token's bytes).

Moved to a new text column, encrypted, the old one dropped (a date or a 40-character column cannot hold a token):
- ``participants.date_of_birth`` -> ``participants.date_of_birth_encrypted``;
- ``circumstance_reports.benefit`` -> ``circumstance_reports.benefit_encrypted``.

New: ``participants.access_needs`` (encrypted text) and ``participants.erased_at``.

The key. A migration imports no app code and sees no app config, so it reads the keys from the environment,
as the app does: ``PERSONAL_DATA_KEY``, else ``BANK_DETAILS_KEY``, else (outside production only) the
development key. The first key encrypts. Run the upgrade with the same environment as the app; with
``LEDGER_ENV=production`` and neither key set it stops before changing anything. The conversion runs in
batches inside the migration's one transaction, so a failure leaves every row as it was.

Downgrade decrypts with the same keys and restores the plain columns.
"""

import datetime as dt
import json
import os

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, MultiFernet

revision = "0026_encrypted_personal_data"
down_revision = "0024_document_register"
branch_labels = None
depends_on = None

# The development key (ledger.config.DEV_BANK_DETAILS_KEY), restated: migrations import no app code.
DEV_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="
BATCH = 500

#: (table, column, kind) encrypted where they stand.
IN_PLACE = (
    ("benefit_declarations", "benefits", "json"),
    ("benefit_declarations", "circumstances", "text"),
    ("circumstance_reports", "details", "text"),
    ("claims", "policy_decision", "json"),
    ("benefit_rechecks", "benefit_check", "json"),
    ("payment_run_benefit_checks", "benefit_check", "json"),
    ("receipts", "data", "bytes"),
)
#: (table, old column, its type, new column, kind) moved to a new encrypted column.
MOVED = (
    ("participants", "date_of_birth", sa.Date(), "date_of_birth_encrypted", "date"),
    ("circumstance_reports", "benefit", sa.String(40), "benefit_encrypted", "text"),
)


def _fernet() -> MultiFernet:
    keys = os.environ.get("PERSONAL_DATA_KEY") or os.environ.get("BANK_DETAILS_KEY")
    if not keys:
        if os.environ.get("LEDGER_ENV") == "production":
            raise RuntimeError("Set PERSONAL_DATA_KEY (or BANK_DETAILS_KEY) as the app has it before this "
                               "migration: it encrypts the personal data already stored.")
        keys = DEV_KEY
    return MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])


def _column_type(kind: str):
    return {"json": sa.JSON(), "text": sa.Text(), "bytes": sa.LargeBinary(), "date": sa.Text()}[kind]


def _encrypt(fernet: MultiFernet, kind: str, value):
    if kind == "json":
        return fernet.encrypt(json.dumps(value, sort_keys=True).encode()).decode("ascii")
    if kind == "bytes":
        return fernet.encrypt(bytes(value))
    if kind == "date":
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        return fernet.encrypt(day.isoformat().encode()).decode("ascii")
    return fernet.encrypt(str(value).encode()).decode("ascii")


def _decrypt(fernet: MultiFernet, kind: str, token):
    if kind == "bytes":
        return fernet.decrypt(bytes(token))
    clear = fernet.decrypt(str(token).encode("ascii"))
    if kind == "json":
        return json.loads(clear)
    if kind == "date":
        return dt.date.fromisoformat(clear.decode())
    return clear.decode()


def _convert(table: str, source: str, source_type, target: str, target_type, change) -> None:
    """Rewrite ``target`` from ``source`` for every row with a value, in batches by id."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id", sa.Integer()), sa.column(source, source_type))
    out = sa.table(table, sa.column("id", sa.Integer()), sa.column(target, target_type))
    last = 0
    while True:
        batch = bind.execute(sa.select(rows.c.id, rows.c[source]).where(
            rows.c.id > last, rows.c[source].is_not(None)).order_by(rows.c.id).limit(BATCH)).all()
        if not batch:
            return
        for row_id, value in batch:
            if value is None:  # a JSON column's JSON null (the app's "no decision yet"): nothing to convert
                continue
            bind.execute(sa.update(out).where(out.c.id == row_id).values({target: change(value)}))
        last = batch[-1][0]


def upgrade() -> None:
    fernet = _fernet()
    op.add_column("participants", sa.Column("access_needs", sa.Text(), nullable=True))
    op.add_column("participants", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    for table, column, kind in IN_PLACE:
        kind_type = _column_type(kind)
        _convert(table, column, kind_type, column, kind_type, lambda v, k=kind: _encrypt(fernet, k, v))
    for table, old, old_type, new, kind in MOVED:
        op.add_column(table, sa.Column(new, sa.Text(), nullable=True))
        _convert(table, old, old_type, new, sa.Text(), lambda v, k=kind: _encrypt(fernet, k, v))
        # SQLite (3.35+) drops a column that no index or constraint names in place, as PostgreSQL does.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {old}")


def downgrade() -> None:
    fernet = _fernet()
    for table, old, old_type, new, kind in MOVED:
        op.add_column(table, sa.Column(old, old_type, nullable=True))
        _convert(table, new, sa.Text(), old, old_type, lambda v, k=kind: _decrypt(fernet, k, v))
        op.execute(f"ALTER TABLE {table} DROP COLUMN {new}")
    for table, column, kind in IN_PLACE:
        kind_type = _column_type(kind)
        _convert(table, column, kind_type, column, kind_type, lambda v, k=kind: _decrypt(fernet, k, v))
    op.execute("ALTER TABLE participants DROP COLUMN erased_at")
    op.execute("ALTER TABLE participants DROP COLUMN access_needs")
