"""Decision log and meta table: SQLite by default, PostgreSQL for several API processes."""

from policycheck.store.database import Store, StoreError, default_url
from policycheck.store.records import DecisionRecord, mask_personal

__all__ = ["DecisionRecord", "Store", "StoreError", "default_url", "mask_personal"]
