"""What every page a browser test visits must pass: axe-core's WCAG 2.2 AA rules, and no sideways scroll at 320 px.

``check_page(page, role)`` after each page a test reaches (and after anything that changes it, like a refusal
shown beside a field). axe-core comes from the npm registry, pinned in package-lock.json (``make`` runs
``npm ci``); its file is read from node_modules and injected into the page. A participant's pages may have no
violation at all; staff pages none that axe calls serious or critical.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
NARROW = 320
IN_CI = os.environ.get("CI", "").lower() == "true"


def _axe_source() -> str:
    if not AXE.exists():
        message = f"{AXE} is missing: run `make assets` (npm ci) to install axe-core"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def _design_systems_known_issue(violation: dict) -> dict | None:
    """The violation without the one finding the design system keeps on purpose, or None if nothing is left.

    GOV.UK Frontend's script puts ``aria-expanded`` on a radio or checkbox that reveals more questions; axe
    calls that attribute not allowed on a radio. The design system keeps it because screen readers announce
    it and research with their users found it helps (alphagov/govuk-frontend issue 979, a documented known
    issue). Only that attribute on those inputs is let through; any other node or attribute still fails.
    """
    if violation["id"] != "aria-allowed-attr":
        return violation
    nodes = [n for n in violation["nodes"] if not (
        re.search(r'class="govuk-(radios|checkboxes)__input"[^>]*aria-controls="conditional-', n["html"])
        and re.fullmatch(r'Fix all of the following:\s+ARIA attribute is not allowed: aria-expanded="(true|false)"',
                         n.get("failureSummary", "").strip()))]
    return dict(violation, nodes=nodes) if nodes else None


def accessibility_violations(page, role: str) -> list[dict]:
    """The violations of WCAG 2.2 AA that count for ``role``: all of them on participant pages, else the serious
    and critical ones."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's devtools, not added as a <script>: the pages' Content-Security-Policy
        # refuses inline script, as it should.
        page.evaluate(_axe_source() + "\n;0")
    results = page.evaluate("options => window.axe.run(document, options).then(r => r.violations)",
                            {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]})
    found = [v for v in map(_design_systems_known_issue, results) if v is not None]
    if role == "participant":
        return found
    return [v for v in found if v.get("impact") in ("serious", "critical")]


WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')}`).slice(0, 8)"""

TABLET = 641  # px: below this the design system folds the main navigation behind "Menu"


def sideways_scroll_at_320(page) -> tuple[int, list[str]]:
    """How far the page scrolls sideways at 320 px (0 when it reflows), and the elements wider than the screen;
    the viewport is put back after."""
    before = page.viewport_size or {"width": 1280, "height": 900}
    page.set_viewport_size({"width": NARROW, "height": before["height"]})
    try:
        return (page.evaluate("document.documentElement.scrollWidth - window.innerWidth"),
                page.evaluate(WIDER_THAN_THE_SCREEN))
    finally:
        page.set_viewport_size(before)


def check_page(page, role: str) -> None:
    """Fail on an accessibility violation that counts for ``role`` ("participant", "finance", "manager",
    "admin"…) or on a sideways scroll at 320 px. Call it once the test has waited for what the page shows."""
    page.wait_for_load_state("load")
    violations = accessibility_violations(page, role)
    summary = [{"rule": v["id"], "impact": v.get("impact"), "help": v["help"],
                "where": [n["target"] for n in v["nodes"][:3]]} for v in violations]
    assert not violations, f"{page.url}: axe found {json.dumps(summary, indent=1)}"
    overflow, wide = sideways_scroll_at_320(page)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at 320 px wide: {wide}"


def main_menu(page):
    """The main navigation, opened first when it is folded behind its "Menu" button (on a narrow screen).

    Whether it is folded is decided by the viewport's width, the design system's own breakpoint (641 px),
    not by whether the button is visible at this instant: ``check_page`` narrows the page to 320 px and back,
    and the design system's script hides the button again a moment later, so a glance can see a button that
    is about to go."""
    menu = page.get_by_role("navigation", name="Main")
    width = (page.viewport_size or {"width": 1280})["width"]
    if width < TABLET:
        toggle = menu.get_by_role("button", name="Menu")
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        menu.get_by_role("list").wait_for(state="visible")
    return menu
