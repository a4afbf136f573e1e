"""The code's shape, checked rather than remembered: functions a person can read, and a policy engine
that needs nothing but the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp  # comes with import-linter (the dev extras)

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ledger", "policies")
MAX_LINES = 60



def _sources(*packages: str):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _long_functions() -> list[tuple[str, str, int]]:
    found = []
    for path, tree in _sources(*PACKAGES):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_LINES:
                    found.append((path, node.name, length))
    return found


def test_no_function_in_the_ledger_or_the_policies_is_over_sixty_lines():
    assert _long_functions() == []


def test_the_policy_engine_imports_only_the_standard_library():
    outside = set()
    for path, tree in _sources("policies"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "policies" and top not in sys.stdlib_module_names:
                    outside.add((path, name))
    assert outside == set()


# The functions that may import inside themselves, and why.
IMPORTS_WHERE_USED = {
    # As in Flask's tutorial: importing the books or the policy engine on their own (a script, a benchmark,
    # the migrations) must not load the web layer.
    ("ledger/__init__.py", "create_app"),
    # A heavy library that one rarely used path needs, loaded by that path: every flask command and web worker
    # starts without it (ofxtools builds hundreds of classes as it loads, Alembic brings Mako; together a
    # third of a second of each start-up, issue 15 item 6).
    ("ledger/banking/parsing.py", "_ofx_tree"),
    ("ledger/migrate.py", "alembic_config"),
    ("ledger/migrate.py", "upgrade"),
}


def test_no_import_inside_a_function_in_the_ledger_or_the_policies():
    """Imports sit at the top of a module: a cycle is broken by moving a name down a layer, not by hiding it.

    The exceptions are named in ``IMPORTS_WHERE_USED``, each with its reason.
    """
    inside = []
    for path, tree in _sources(*PACKAGES):
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if (path, function.name) in IMPORTS_WHERE_USED:
                continue
            inside += [(path, function.name, node.lineno) for node in ast.walk(function)
                       if isinstance(node, ast.Import | ast.ImportFrom)]
    assert inside == []


def _cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(imports.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == module:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def test_no_modules_import_each_other_round_a_loop():
    """A cycle (such as the one the login pages and the web setup had) is fixed by moving a name down a layer."""
    graph = grimp.build_graph(*PACKAGES)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert _cycles(imports) == []
