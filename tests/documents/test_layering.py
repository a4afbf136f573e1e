"""Rendering is data in, bytes out: the renderer and everything it imports reach neither the database nor Flask.

Read from the source (every ``import`` of the renderer's modules, followed through the ``ledger`` modules it
names), not from ``sys.modules``: importing anything under ``ledger`` runs ``ledger/__init__.py``, which holds
the app factory and imports Flask for it.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

FORBIDDEN = ("sqlalchemy", "flask", "flask_login", "flask_smorest", "flask_wtf", "werkzeug")


def _imports(module: str) -> set[str]:
    """Every module name ``module`` imports, at any depth of its source."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, module
    found: set[str] = set()
    for node in ast.walk(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if importlib.util.find_spec(node.module) and _is_module(f"{node.module}.{alias.name}"))
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _reached(start: str) -> dict[str, set[str]]:
    """The ``ledger`` modules ``start`` reaches through its imports, each with what it imports."""
    seen: dict[str, set[str]] = {}
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen[module] = _imports(module)
        todo += [name for name in seen[module] if name.startswith("ledger.") and _is_module(name)]
    return seen


@pytest.mark.parametrize("start", ["ledger.documents.render", "ledger.reports.records", "ledger.labels",
                                   "ledger.formatting"])
def test_the_renderer_and_the_read_records_import_neither_the_database_nor_flask(start):
    problems = [f"{module} imports {name}" for module, names in _reached(start).items() for name in sorted(names)
                if name.split(".")[0] in FORBIDDEN]
    assert problems == []
