"""The `policycheck` command, a thin shell over the library like `api/`: a module per verb (its
options, examples and handler), `main` lists them and dispatches, `common` holds what they share."""
