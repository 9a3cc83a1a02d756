"""Fakes of external services for tests and benchmarks (no network needed)."""
