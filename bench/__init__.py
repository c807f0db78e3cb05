"""Benchmarks: `make bench` (python -m bench). Each comparison runs its baseline beside it."""
