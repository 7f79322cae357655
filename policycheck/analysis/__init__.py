"""Static analysis of a compiled policy: gaps, overlaps, unreachable clauses, unused names."""
