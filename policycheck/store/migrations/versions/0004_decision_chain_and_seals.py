"""Decision log chained and append-only; seals on both logs.

`decisions` gets `seq` (its place, unique), `hash` (linked to the decision before it) and
`seal`; `exception_log` gets `seal`. Decisions logged before this revision are chained here, in
the order they were made (time, then id), and stay unsealed: the key is not the database's.
Then triggers refuse UPDATE and DELETE on `decisions`, as on `exception_log`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from policycheck.store.chain import GENESIS
from policycheck.store.decision_chain import FIELDS, content_digest, link

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

APPEND_ONLY = "decisions is append-only: the decision log is never rewritten"


def upgrade() -> None:
    """Add the columns, chain the decisions already logged, create the index and triggers."""
    op.add_column("decisions", sa.Column("seq", sa.BigInteger()))
    op.add_column("decisions", sa.Column("hash", sa.String()))
    op.add_column("decisions", sa.Column("seal", sa.String()))
    op.add_column("exception_log", sa.Column("seal", sa.String()))
    _chain_logged_decisions()
    op.create_index("ix_decisions_seq", "decisions", ["seq"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION decisions_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions "
            "FOR EACH ROW EXECUTE FUNCTION decisions_append_only()"
        )
        op.execute(
            "CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions "
            "FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER decisions_no_{event.lower()} BEFORE {event} ON decisions "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def _chain_logged_decisions() -> None:
    """Give each decision already logged its place and hash, oldest first."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")  # the times' text, as verify reads it
    table = sa.table("decisions", *(sa.column(name) for name in (*FIELDS, "seq", "hash")))
    columns = [sa.cast(table.c[name], sa.Text) for name in FIELDS]
    rows = bind.execute(sa.select(*columns).order_by(table.c.created_at, table.c.id)).all()
    previous, updates = GENESIS, []
    for seq, row in enumerate(rows, start=1):
        previous = link(previous, seq, content_digest(row))
        updates.append({"key": row[0], "seq": seq, "hash": previous})
    if updates:
        update = table.update().where(table.c.id == sa.bindparam("key"))
        bind.execute(update.values(seq=sa.bindparam("seq"), hash=sa.bindparam("hash")), updates)


def downgrade() -> None:
    """Drop the triggers, the index and the columns."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decisions_append_only ON decisions")
        op.execute("DROP TRIGGER IF EXISTS decisions_no_truncate ON decisions")
        op.execute("DROP FUNCTION IF EXISTS decisions_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS decisions_no_update")
        op.execute("DROP TRIGGER IF EXISTS decisions_no_delete")
    op.drop_index("ix_decisions_seq", table_name="decisions")
    with op.batch_alter_table("decisions") as batch:
        for name in ("seal", "hash", "seq"):
            batch.drop_column(name)
    with op.batch_alter_table("exception_log") as batch:
        batch.drop_column("seal")
