"""Discretionary exceptions: who may grant them, their append-only log, the quality review."""
