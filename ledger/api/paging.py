"""The ``next`` link of every list the API pages (the cursors themselves are ``ledger.paging``'s).

A list answering an object carries ``next_cursor`` and ``next`` (the same request with ``cursor`` set, or
null on the last page); a list answering an array (kept so for the clients that read it so) carries the
link as ``Link: <...>; rel="next"``. Both carry the header, so a client can follow either.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for

#: The query parameters every paged list takes, for its OpenAPI description.
CURSOR_PARAMETERS = [
    {"in": "query", "name": "cursor", "schema": {"type": "string"},
     "description": "The next_cursor (or the cursor in the next link) of the page before; leave out for the first"},
]
#: The ``Link`` header documented on a paged list's answer.
LINK_HEADER = {"Link": {"description": 'The next page, as <url>; rel="next"; absent on the last page',
                        "schema": {"type": "string"}}}


def next_link(next_cursor: str | None) -> str | None:
    """This request again with ``cursor`` set to the next page's, or None on the last page."""
    if next_cursor is None:
        return None
    values: dict[str, Any] = {name: found for name, found in request.args.lists() if name != "cursor"}
    values.update(request.view_args or {})
    values["cursor"] = next_cursor
    return url_for(request.endpoint or "", **values)


def link_headers(next_cursor: str | None) -> dict[str, str]:
    link = next_link(next_cursor)
    return {} if link is None else {"Link": f'<{link}>; rel="next"'}
