"""Benchmarks: `python -m bench` runs every `bench/bench_*.py` module, each in its own process.

Contract for a benchmark module: it runs as `python -m bench.bench_NAME`, accepts `--quick` (a smaller run
for a first look), prints its figures with the targets and PASS/MISS next to them, and exits non-zero only
when it could not run. `python -m bench --only NAME` runs one of them.
"""
