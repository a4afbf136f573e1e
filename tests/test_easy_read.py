"""The easy-read words for each effect a payment can have on a benefit, and the pictures they name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger import easy_read
from ledger.easy_read import benefit_ideas, check_ideas


@dataclass(frozen=True)
class Effect:
    benefit: str
    effect: str
    reduction_pence: int | None = None
    safe_amount_pence: int | None = None
    caution: bool = False


@dataclass(frozen=True)
class Check:
    effects: tuple[Effect, ...]


@pytest.mark.parametrize(("effect", "expected"), [
    (Effect("carers_allowance", "none"), [("This money is OK for your Carer's Allowance.", "")]),
    (Effect("carers_allowance", "lost", safe_amount_pence=19_600),
     [("You could lose your Carer's Allowance for that week.", ""),
      ("To be safe, take this much or less:", "£196.00")]),
    (Effect("universal_credit", "reduced", reduction_pence=1_650),
     [("Your Universal Credit may go down.", ""), ("It may go down by about:", "£16.50")]),
    (Effect("esa", "over_limit", safe_amount_pence=0, caution=True),
     [("This is more than you can earn and keep your ESA.", ""),
      ("We are not sure about some of your figures.", "")]),
])
def test_each_effect_on_a_benefit_in_easy_read_words(effect, expected):
    assert [(idea.words, idea.figure) for idea in benefit_ideas(effect)] == expected


def test_an_effect_asks_the_person_to_talk_to_someone_and_no_check_says_nothing():
    assert check_ideas(None) == ()
    nothing_declared = check_ideas(Check(()))
    assert [i.words for i in nothing_declared] == ["You told us you get no benefits that this money could change."]
    ideas = check_ideas(Check((Effect("pip", "none"), Effect("carers_allowance", "lost"))))
    assert [i.picture for i in ideas] == ["ok", "warning", "phone"]
    assert ideas[-1].words == "Please talk to someone before you choose."


def test_every_picture_named_is_in_the_icon_set():
    named = json.loads((Path(easy_read.__file__).parent / "easy_read_icons.json").read_text())
    icons = Path(__file__).resolve().parents[1] / "node_modules" / "lucide-static" / "icons"
    for idea, file in named.items():
        if not idea.startswith("_"):
            assert easy_read.icon_file(idea) == f"{file}.svg"
            assert (icons / f"{file}.svg").is_file() or not icons.is_dir(), file
    with pytest.raises(KeyError):
        easy_read.icon_file("no such idea")
