"""Benchmarks: run as modules (``python -m bench.throughput``); they print figures, never assert."""
