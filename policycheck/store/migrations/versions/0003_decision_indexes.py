"""Decision log: drop the indexes on policy_id and outcome.

No query of the store reads decisions by policy or by outcome (a decision is read by its id),
and a handful of values each, an index on them is rarely worth a scan; but every transaction of
the decision log wrote their pages (the outcome's up to three: one per outcome in the batch).
Without them a busy SQLite log writes about a third less to its WAL. A query by policy will
come with the index it needs (policy_id, created_at).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

DROPPED = ("policy_id", "outcome")


def upgrade() -> None:
    """Drop `ix_decisions_policy_id` and `ix_decisions_outcome`."""
    for column in DROPPED:
        op.drop_index(f"ix_decisions_{column}", table_name="decisions")


def downgrade() -> None:
    """Create them again."""
    for column in DROPPED:
        op.create_index(f"ix_decisions_{column}", "decisions", [column])
