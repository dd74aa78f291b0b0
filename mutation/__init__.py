"""Mutation testing of the modules where a bug costs most: `python -m mutation` (see README)."""
