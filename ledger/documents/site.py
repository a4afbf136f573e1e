"""Where the web pages of documents made on the command line are: the ``--site`` option of the bulk commands.

A PDF made in a web request prints its web page's address from the request. The command line has no request:
given the address people use to reach the ledger (``--site https://ledger.example.org``, or LEDGER_SITE_URL),
each participant document prints the address of its page there; without it, none is printed (a wrong address
would be worse than none).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import click
from flask import current_app, url_for

__all__ = ["SITE", "page_address"]


def _checked(_context, _parameter, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter("Give the address with https:// in front, like https://ledger.example.org.")
    return value.rstrip("/")


SITE = click.option(
    "--site", "site", envvar="LEDGER_SITE_URL", default=None, metavar="URL", callback=_checked,
    help="The address people reach this ledger at (https://ledger.example.org): each participant's PDF then prints "
         "the address of its accessible web page. Also read from LEDGER_SITE_URL.")


def page_address(site: str | None, endpoint: str, **values) -> str:
    """The address of a participant's web page at ``site``, or "" without a site."""
    if not site:
        return ""
    with current_app.test_request_context(base_url=site):
        return url_for(endpoint, _external=True, **values)
