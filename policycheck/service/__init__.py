"""What a running service holds: API keys with roles, and the published rule files."""
