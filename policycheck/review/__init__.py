"""Discretionary exceptions: who may grant them, their append-only log, and the quality team's review."""
