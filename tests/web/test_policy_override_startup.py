"""A bad organisation rules file (POLICY_OVERRIDE_FILES) stops start-up with its file, line and one line.

create_app (and so gunicorn) raises ConfigurationError with that message; the flask command prints it as
one ``Error:`` line on stderr and exits 2, with no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger import create_app
from ledger.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]
HEADER = '[sources]\norg = { title = "Our payment policy" }\n\n'
PARAM = """[[param]]
key = "carers_allowance.earnings_limit"
value = 210.00
unit = "GBP_per_week_net"
effective_from = 2027-04-12
source = ["org"]
confidence = "high"
"""
# Each bad file, the line at fault (counted in HEADER + PARAM) and what the message says.
BAD = {
    "negative": (PARAM.replace("210.00", "-210.00"), 6, "value cannot be negative"),
    "not_a_number": (PARAM.replace("210.00", '"two hundred"'), 6, "value must be a number"),
    "wrong_unit": (PARAM.replace('"GBP_per_week_net"', '"GBP_per_month"'), 7, "does not match the rule's unit"),
    "unknown_key": (PARAM.replace("earnings_limit", "earning_limit"), 5, "unknown rule"),
    "not_toml": (PARAM.replace("value = 210.00", "value = 210.00.0"), 6, "not valid TOML"),
}


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(BAD))
def test_create_app_refuses_a_bad_override_file_naming_file_and_line(tmp_path, case):
    body, line, message = BAD[case]
    path = _write(tmp_path, body)
    with pytest.raises(ConfigurationError) as caught:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite3", "POLICY_OVERRIDE_FILES": [str(path)]})
    text = caught.value.message
    assert text.startswith(f"{path}, line {line}: ") and message in text
    assert "\n" not in text


def _flask(tmp_path: Path, *args: str, override: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LEDGER_ENV", "SECRET_KEY", "BANK_DETAILS_KEY")}
    env.update(POLICY_OVERRIDE_FILES=override, DATABASE_URL=f"sqlite:///{tmp_path}/cli.sqlite3")
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "wsgi.py"), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD))
def test_the_flask_command_prints_one_line_and_exits_2_without_a_traceback(tmp_path, case):
    body, line, message = BAD[case]
    _write(tmp_path, body)
    result = _flask(tmp_path, "ledger", "verify", override="bad.toml")  # relative, as an operator writes it
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: bad.toml, line {line}: ") and message in lines[0]


@pytest.mark.slow
def test_a_good_override_file_lets_the_flask_command_start(tmp_path):
    (tmp_path / "good.toml").write_text(HEADER + PARAM, encoding="utf-8")
    result = _flask(tmp_path, "ledger", "--help", override="good.toml")
    assert result.returncode == 0, result.stderr
    assert "verify" in result.stdout


@pytest.mark.slow
def test_importing_wsgi_outside_the_flask_command_raises_the_configuration_error(tmp_path):
    # What gunicorn does: it must see the error (and refuse to boot), not a silent exit.
    _write(tmp_path, BAD["negative"][0])
    env = {k: v for k, v in os.environ.items() if k not in ("LEDGER_ENV", "SECRET_KEY", "BANK_DETAILS_KEY")}
    env.update(POLICY_OVERRIDE_FILES="bad.toml", DATABASE_URL=f"sqlite:///{tmp_path}/wsgi.sqlite3",
               PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert "ledger.errors.ConfigurationError: bad.toml, line 6: " in result.stderr
