"""The rule language: text, syntax, AST, names and types, diagnostics, canonical layout."""
