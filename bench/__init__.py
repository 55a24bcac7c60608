"""Benchmarks of ESS Quartiers, run with ``make bench`` (never as timed tests)."""
