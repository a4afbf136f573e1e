"""What a flask command pays to start: the app is built without the libraries that only a few paths use, and
under the flask command what the build made is frozen for the garbage collector; under gunicorn nothing changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Import wsgi as the flask command does (inside a click context) or as gunicorn does (outside one), and say
# what the process then holds.
PROBE = """
import gc, json, sys, click
if sys.argv[1] == "command":
    click.Context(click.Command("probe")).__enter__()
import wsgi
print(json.dumps({"frozen": gc.get_freeze_count(), "collecting": gc.isenabled(),
                  "loaded": sorted(name for name in ("ofxtools", "alembic", "mako") if name in sys.modules)}))
"""


def _start(tmp_path: Path, how: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("LEDGER_ENV", "SECRET_KEY", "BANK_DETAILS_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/start.sqlite3", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PROBE, how], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_a_flask_command_starts_with_the_app_frozen_and_without_the_libraries_few_paths_use(tmp_path):
    started = _start(tmp_path, "command")
    assert started["collecting"] and started["frozen"] > 100_000  # the modules, schemas and routes the build made
    assert started["loaded"] == []  # OFX files and migrations load theirs when one is read or run


def test_a_gunicorn_worker_keeps_the_collector_as_python_has_it(tmp_path):
    started = _start(tmp_path, "gunicorn")
    assert started == {"frozen": 0, "collecting": True, "loaded": []}
