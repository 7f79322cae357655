"""Decision log and meta table: SQLite by default, PostgreSQL for several API processes."""

from policycheck.store.database import Store, StoreError, default_url
from policycheck.store.records import DecisionRecord, decision_record

__all__ = ["DecisionRecord", "Store", "StoreError", "decision_record", "default_url"]
