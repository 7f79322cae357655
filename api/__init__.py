"""The web layer (FastAPI) over the `policycheck` library; the library never imports it."""
