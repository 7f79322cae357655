"""Evaluation: facts validated, conditions compiled to closures, decisions with their reasons, explanations and the proposal check."""
