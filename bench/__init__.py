"""Benchmarks: every stage measured against baselines run in the same script (BENCHMARKS.md)."""
