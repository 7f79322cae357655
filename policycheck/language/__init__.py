"""The rule language: text, syntax, the AST, names and types, every diagnostic (PC1xx-PC4xx), the canonical layout."""
