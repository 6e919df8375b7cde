"""Benchmarks: run a module with `python -m bench.<name>` (results in bench/RESULTS.md)."""
