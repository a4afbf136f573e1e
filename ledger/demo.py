"""Demo data (placeholder until the demo generator lands)."""

from dataclasses import dataclass

LOGIN_HELP = "Demo users: none yet."


@dataclass
class Summary:
    def describe(self) -> str:
        return "No demo data yet."


def load_demo(session, today):
    return Summary()
