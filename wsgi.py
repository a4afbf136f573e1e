"""Entry point for gunicorn and the flask command: ``gunicorn wsgi:app``.

A configuration error (a bad POLICY_OVERRIDE_FILES file, a development secret in production) stops
start-up either way. Under the flask command it is one line on stderr and exit status 2, not a traceback:
the Flask CLI imports this module while resolving the command, where an exception would print one.
Under gunicorn (or any other importer) the ConfigurationError is raised, with the same message, so the
server refuses to boot (gunicorn halts rather than respawning workers that cannot start).

Under the flask command the garbage collector is off while the app is built, and what the build made is then
frozen (``gc.freeze``): a command runs once and ends, and nearly everything the build makes (modules, schemas,
routes) lives as long as the process, so the collector looking through it, several times while it grows and
again at every full collection afterwards, was a fifth of a command's start-up and a second of a payment run's
remittances. The few megabytes of start-up garbage kept are nothing to a process that ends. Under gunicorn,
whose workers live long, nothing changes here: ``gunicorn.conf.py``'s ``post_worker_init`` freezes each worker's
app once it is up, after a collection.
"""

import gc
import sys

import click

from ledger import create_app
from ledger.errors import ConfigurationError

_command = click.get_current_context(silent=True) is not None
if _command:
    gc.disable()
try:
    app = create_app()
except ConfigurationError as error:
    if not _command:  # not the flask command: let the importer see it
        raise
    click.echo(f"Error: {error.message}", err=True)
    sys.exit(2)
finally:
    if _command:
        gc.freeze()
        gc.enable()
