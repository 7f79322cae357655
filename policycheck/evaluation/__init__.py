"""Evaluation: facts checked, conditions compiled, decisions with reasons and explanations."""
