"""The store's schema as SQLAlchemy Core tables (migrations/ creates the same, versioned)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# JSON on SQLite, JSONB (binary, indexable) on PostgreSQL.
JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")

# The decision log: append-only (triggers refuse UPDATE and DELETE), chained and sealed
# (decision_chain.py): `seq` its place, `hash` linked to the one before, `seal` an HMAC of it.
decisions = Table(
    "decisions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("agent_key_id", String),
    Column("policy_id", String, nullable=False),
    Column("policy_version", String),
    Column("policy_hash", String, nullable=False),
    Column("outcome", String, nullable=False),
    Column("clause_id", String),
    Column("rigid", Boolean, nullable=False),
    Column("facts", JSON_DOCUMENT, nullable=False),
    Column("decision", JSON_DOCUMENT, nullable=False),
    Column("seq", BigInteger, index=True, unique=True),
    Column("hash", String),
    Column("seal", String),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

# The exception log: append-only (database triggers refuse UPDATE and DELETE), one chain of
# entries, each carrying the hash of the one before (exception_log.py computes and verifies).
exception_log = Table(
    "exception_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("entry_id", String(32), nullable=False, unique=True),
    Column("exception_id", String(32), nullable=False, index=True),
    Column("kind", String, nullable=False),
    Column("status", String, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor_key_id", String),
    Column("actor_role", String, nullable=False),
    Column("decision_id", String(32), nullable=False, index=True),
    Column("policy_id", String, nullable=False, index=True),
    Column("clause_id", String),
    Column("reason_code", String),
    Column("body", Text, nullable=False),
    Column("prev_hash", String, nullable=False, unique=True),
    Column("hash", String, nullable=False, unique=True),
    Column("seal", String),  # HMAC of `hash` with a key kept outside the database (seal.py)
)
