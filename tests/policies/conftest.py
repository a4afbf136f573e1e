"""Fixtures for the policy engine: the built-in rulebook and override files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policies.rulebook import Rulebook, load_rulebook

SOURCE_HEADER = '[sources]\norg_policy = { title = "Our payment policy (test)" }\n'


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook()


@pytest.fixture
def override(tmp_path: Path) -> Callable[..., Rulebook]:
    """Load the built-in rules plus override files written from TOML text (with an 'org_policy' source)."""

    def load(*texts: str) -> Rulebook:
        paths = []
        for index, text in enumerate(texts):
            path = tmp_path / f"override-{index}.toml"
            path.write_text(SOURCE_HEADER + text, encoding="utf-8")
            paths.append(path)
        return load_rulebook(paths)

    return load
