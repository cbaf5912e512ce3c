"""Benchmarks: run them as modules, e.g. ``.venv/bin/python -m bench.projections --help``."""
