"""Finance's and the auditor's page: verify the books and the keyed chain, and download a signed checkpoint.

The same services as ``ledger verify`` and ``ledger checkpoint`` (``ledger.chain.audit``); reading only. The
checks run when asked ("Check the books now", ``?check=now``), not on every visit: they read every entry, event
and link, which takes a moment on a small ledger and longer on a large one.
Checking a kept checkpoint is on the command line (``ledger checkpoint-check``) and the API.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request

from ledger.auth.access import requires
from ledger.books.verify import verify_books
from ledger.chain import audit
from ledger.context import get_session

bp = Blueprint("verification", __name__)


@bp.route("/books/verification")
@requires("books.read")
def verification():
    asked = request.args.get("check") == "now"
    report = verify_books(get_session(), audit.VERIFY_CHECKS) if asked else None
    return render_template("verification.html", report=report, checks=len(audit.VERIFY_CHECKS),
                           public_key=audit.public_key(get_session()))


@bp.route("/books/checkpoint.json")
@requires("books.read")
def checkpoint():
    kept = audit.make_checkpoint(get_session())
    return Response(json.dumps(kept, indent=2, sort_keys=True) + "\n", mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="checkpoint-{kept["taken_at"][:10]}-{kept["head_seq"]}.json"'})
