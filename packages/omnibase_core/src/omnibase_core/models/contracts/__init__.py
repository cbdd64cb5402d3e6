"""Contract models."""
