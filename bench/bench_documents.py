"""Benchmark of documents (issue 5, item 9; issue 15, item 6): rendering alone, then issuing from the database.

Rendering alone (plain data in, PDF bytes out, no database):
(a) a 1,000-line participant statement in every format (standard, large print, easy read): median of five
    renders after a warm-up (target: under 0.5 s);
(b) every remittance advice of a 2,000-payee payment run (2 to 5 lines each), in one process and in one
    process per core (target: under 10 s on a 2-core machine);
(c) statements of 100 to 10,000 lines, to show that time grows in step with length.
Issuing from the database, with the register (``bench.register_bench``), on SQLite and PostgreSQL:
(d) the command finance runs for a confirmed 2,000-payee run's remittances, with its progress bar, each advice
    stamped, written and registered (target: under 10 s);
(e) a 1,000-line statement in every format issued through the register (target: under 0.5 s each).

Wall-clock and CPU seconds are both printed: on a shared machine the wall clock also counts waiting for a
core. Run: ``python -m bench documents [--quick] [--no-database]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable

from bench import register_bench
from ledger.documents import examples
from ledger.documents.render import render_remittances, render_statement

PAGE = re.compile(rb"/Type /Page\b(?!s)")
STATEMENT_TARGET = 0.5
RUN_TARGET = 10.0


def pages(pdf: bytes) -> int:
    return len(PAGE.findall(pdf))


def timed(action: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def verdict(seconds: float, target: float) -> str:
    return "PASS" if seconds < target else "MISS"


def bench_statement(lines: int, runs: int) -> None:
    statement = examples.statement(lines)
    formats = (("standard", {}), ("large print", {"large_print": True}), ("easy read", {"easy_read": True}))
    for label, options in formats:
        render_statement(statement, **options)  # fonts registered, caches warm
        results = [timed(lambda o=options: render_statement(statement, **o)) for _ in range(runs)]
        wall = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        count = pages(results[0][2])
        print(
            f"  statement, {lines:,} lines, {label:<11} {wall:6.3f} s wall  {cpu:6.3f} s CPU  "
            f"{count:4d} pages  {count / wall:7.1f} pages/s   target < {STATEMENT_TARGET} s: "
            f"{verdict(wall, STATEMENT_TARGET)}"
        )


def bench_run(payees: int, workers_options: list[int]) -> None:
    advices = [examples.remittance(n, lines=2 + n % 4) for n in range(payees)]
    list(render_remittances(advices[:5]))  # fonts registered in this process
    for workers in workers_options:

        def run(w: int = workers) -> tuple[int, int]:
            documents = total_pages = 0
            for _, pdf in render_remittances(advices, workers=w):
                documents += 1
                total_pages += pages(pdf)
            return documents, total_pages

        wall, cpu, (documents, total_pages) = timed(run)
        target = f"target < {RUN_TARGET:.0f} s: {verdict(wall, RUN_TARGET)}" if payees >= 2000 else "(a --quick run)"
        print(
            f"  remittances, {documents:,} payees, {workers} process{'es' if workers > 1 else '':<2} "
            f"{wall:6.2f} s wall  {cpu:6.2f} s CPU here  {documents / wall:6.1f} documents/s  "
            f"{total_pages / wall:6.1f} pages/s   {target}"
        )


def bench_scaling(sizes: list[int]) -> None:
    for lines in sizes:
        statement = examples.statement(lines)
        wall, cpu, pdf = timed(lambda s=statement: render_statement(s))
        count = pages(pdf)
        print(f"  statement, {lines:>6,} lines  {wall:7.3f} s wall  {cpu:7.3f} s CPU  {count:5d} pages  "
              f"{wall / lines * 1000:6.3f} ms a line")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_documents", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 payees and fewer repeats, for a first look")
    parser.add_argument("--payees", type=int, help="payees in the payment run (default 2,000)")
    parser.add_argument("--lines", type=int, default=1000, help="lines in the statement (default 1,000)")
    parser.add_argument("--no-database", action="store_true", help="rendering alone: leave out (d) and (e)")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    payees = args.payees or (200 if quick else 2000)
    cores = os.cpu_count() or 1

    try:
        import _rl_accel  # noqa: F401

        accel = "rl_accel C extension present"
    except ImportError:
        accel = "rl_accel not installed (pure-Python reportlab helpers; about 25% slower)"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    print(f"Document rendering: {cores} cores, load average {load}; {accel}")

    print("(a) participant statement")
    bench_statement(args.lines, 3 if quick else 5)
    print("(b) remittance advices for a payment run")
    bench_run(payees, sorted({1, cores}))
    print("(c) statement length against time")
    bench_scaling([100, 1000] if quick else [100, 1000, 10000])
    if args.no_database:
        return 0
    print("(d) and (e) issuing from the database, with the register")
    return register_bench.main(["--lines", str(args.lines), *(["--quick"] if quick else [])])


if __name__ == "__main__":
    sys.exit(main())
