"""Pydantic models of the core: errors, primitives, contracts, envelopes, outputs."""
