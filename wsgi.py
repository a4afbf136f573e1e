"""Entry point for gunicorn and the flask command: ``gunicorn wsgi:app``.

A configuration error (a bad POLICY_OVERRIDE_FILES file, a development secret in production) stops
start-up either way. Under the flask command it is one line on stderr and exit status 2, not a traceback:
the Flask CLI imports this module while resolving the command, where an exception would print one.
Under gunicorn (or any other importer) the ConfigurationError is raised, with the same message, so the
server refuses to boot (gunicorn halts rather than respawning workers that cannot start).
"""

import sys

import click

from ledger import create_app
from ledger.errors import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    if click.get_current_context(silent=True) is None:  # not the flask command: let the importer see it
        raise
    click.echo(f"Error: {error.message}", err=True)
    sys.exit(2)
