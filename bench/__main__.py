"""Run every benchmark module present: `python -m bench [--quick] [--only NAME]`, or one: `python -m bench NAME [its
options]` (`python -m bench http --scale 0.01`).

Each `bench/bench_*.py` runs in a process of its own (so that one benchmark's million rows do not weigh
on the next), books first, then documents, then any others in name order.
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
FIRST = ("bench_books", "bench_documents")


def available() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules([str(BENCH_DIR)]) if m.name.startswith("bench_")}
    return [n for n in FIRST if n in found] + sorted(found - set(FIRST))


def _accepts_quick(name: str) -> bool:
    try:
        return "--quick" in (BENCH_DIR / f"{name}.py").read_text(encoding="utf-8")
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data sets, for a first look")
    parser.add_argument("--only", metavar="NAME", help="run one benchmark: books, documents, ...")
    parser.add_argument("name", nargs="?", help="run this one benchmark, passing it the options that follow")
    given = sys.argv[1:] if argv is None else argv
    # Everything after a benchmark's name is its own (``python -m bench http --only queue``).
    named = next((i for i, a in enumerate(given) if not a.startswith("-") and (i == 0 or given[i - 1] != "--only")),
                 None)
    passed = [] if named is None else given[named + 1:]
    args = parser.parse_args(given if named is None else given[:named + 1])
    if args.name:
        args.only = args.name

    names = available()
    if args.only:
        # ``bank-import`` names ``bench_bank_import``: a command's words are joined by hyphens, a module's by "_".
        only = args.only.replace("-", "_")
        wanted = only if only.startswith("bench_") else f"bench_{only}"
        if wanted not in names:
            choices = ", ".join(n.removeprefix("bench_") for n in names) or "none"
            parser.error(f"there is no benchmark {args.only!r}; available: {choices}")
        names = [wanted]
    if not names:
        print("No benchmark modules found in bench/.", file=sys.stderr)
        return 1

    env = dict(os.environ)
    if args.quick:
        env["BENCH_QUICK"] = "1"
    outcomes = []
    for name in names:
        command = [sys.executable, "-m", f"bench.{name}"]
        if args.quick and _accepts_quick(name):
            command.append("--quick")
        command.extend(passed)
        print(f"\n=== {' '.join(['python', *command[1:]])}", flush=True)
        started = time.perf_counter()
        code = subprocess.call(command, cwd=BENCH_DIR.parent, env=env)
        outcomes.append((name, code, time.perf_counter() - started))

    print("\n=== benchmarks run")
    for name, code, seconds in outcomes:
        status = "finished" if code == 0 else f"FAILED (exit status {code})"
        print(f"  {name:<24} {status:<28} {seconds:7.1f} s")
    return 0 if all(code == 0 for _, code, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
