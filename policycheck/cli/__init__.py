"""The `policycheck` command: one module per verb, a thin shell over the library."""
