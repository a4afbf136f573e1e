"""Handing out an issued document from a page: commit its register row, then send the PDF.

Every PDF a page offers is issued through ``ledger.documents.issuing`` (so it has a number, a verification code
and a row in the register); this is the one place that commits that row and sends the file, privately.
"""

from __future__ import annotations

import io

from flask import Response, send_file

from ledger.auth.access import signed_in_user
from ledger.context import get_session
from ledger.documents.register import Issued, Producer


def producer() -> Producer:
    """The signed-in user, producing a document from a page."""
    user = signed_in_user()
    return Producer("web", user.display_name, user.id)


def send_issued(issued: Issued, filename: str) -> Response:
    get_session().commit()
    response = send_file(io.BytesIO(issued.pdf), mimetype="application/pdf", download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Document-Number"] = issued.number
    response.headers["X-Verification-Code"] = issued.code
    return response
