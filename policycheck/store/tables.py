"""The store's schema as SQLAlchemy Core tables (migrations/ creates the same, versioned)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# JSON on SQLite, JSONB (binary, indexable) on PostgreSQL.
JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")

decisions = Table(
    "decisions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("agent_key_id", String),
    Column("policy_id", String, nullable=False, index=True),
    Column("policy_version", String),
    Column("policy_hash", String, nullable=False),
    Column("outcome", String, nullable=False, index=True),
    Column("clause_id", String),
    Column("rigid", Boolean, nullable=False),
    Column("facts", JSON_DOCUMENT, nullable=False),
    Column("decision", JSON_DOCUMENT, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)
