"""The worked example in policies/README.md is the calculator's real answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from policies.calculator import check_request

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("readme", ["README.md", "policies/README.md"])
def test_the_readme_worked_example_is_what_the_calculator_answers(rulebook, readme):
    text = (ROOT / readme).read_text(encoding="utf-8")
    example = text[text.index("### Worked example") :]
    request, response = (json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", example, re.S)[:2])
    assert check_request(request, rulebook) == response
