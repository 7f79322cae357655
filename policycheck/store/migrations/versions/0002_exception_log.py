"""Exception log: append-only, hash-chained; triggers refuse UPDATE and DELETE.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

INDEXED = ("exception_id", "created_at", "decision_id", "policy_id")
APPEND_ONLY = "exception_log is append-only: status changes are new entries"


def upgrade() -> None:
    """Create `exception_log`, its indexes, and the triggers that keep it append-only."""
    op.create_table(
        "exception_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.String(32), nullable=False, unique=True),
        sa.Column("exception_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_key_id", sa.String()),
        sa.Column("actor_role", sa.String(), nullable=False),
        sa.Column("decision_id", sa.String(32), nullable=False),
        sa.Column("policy_id", sa.String(), nullable=False),
        sa.Column("clause_id", sa.String()),
        sa.Column("reason_code", sa.String()),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False, unique=True),
        sa.Column("hash", sa.String(), nullable=False, unique=True),
    )
    for column in INDEXED:
        op.create_index(f"ix_exception_log_{column}", "exception_log", [column])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION exception_log_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER exception_log_append_only BEFORE UPDATE OR DELETE ON exception_log "
            "FOR EACH ROW EXECUTE FUNCTION exception_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER exception_log_no_truncate BEFORE TRUNCATE ON exception_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION exception_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER exception_log_no_{event.lower()} BEFORE {event} ON exception_log "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    """Drop the table (its triggers go with it) and, on PostgreSQL, the trigger function."""
    for column in INDEXED:
        op.drop_index(f"ix_exception_log_{column}", table_name="exception_log")
    op.drop_table("exception_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS exception_log_append_only()")
