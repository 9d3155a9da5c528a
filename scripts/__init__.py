"""Data preparation scripts (run from the repository root)."""
