"""Decision log and key/value meta table.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create `decisions` (with its indexes) and `meta`."""
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_key_id", sa.String()),
        sa.Column("policy_id", sa.String(), nullable=False),
        sa.Column("policy_version", sa.String()),
        sa.Column("policy_hash", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("clause_id", sa.String()),
        sa.Column("rigid", sa.Boolean(), nullable=False),
        sa.Column("facts", JSON_DOCUMENT, nullable=False),
        sa.Column("decision", JSON_DOCUMENT, nullable=False),
    )
    for column in ("created_at", "policy_id", "outcome"):
        op.create_index(f"ix_decisions_{column}", "decisions", [column])
    op.create_table(
        "meta",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("meta")
    for column in ("outcome", "policy_id", "created_at"):
        op.drop_index(f"ix_decisions_{column}", table_name="decisions")
    op.drop_table("decisions")
