"""The public page where anyone checks a document: ``/verify``, no sign-in, rate limited.

A code (typed, or from the document's QR code as ``/verify?code=...``) or an uploaded PDF is checked against
the register (``ledger.documents.register``). The page says genuine or not genuine and, when genuine, the kind
of document, its number, its date and the figures it showed: nothing about whose it is, their address or bank.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from ledger.auth.access import public, rate_limited
from ledger.context import get_session
from ledger.documents import register
from ledger.errors import ValidationError

bp = Blueprint("verify", __name__)


class CodeForm(FlaskForm):
    """The code, asked for by GET so that the QR code's link fills it in (nothing is written: no CSRF token)."""

    class Meta:
        csrf = False

    code = StringField("Verification code", validators=[Length(max=40)])
    submit = SubmitField("Check the code")


class FileForm(FlaskForm):
    file = FileField("The document as a PDF file")
    code = StringField("Its verification code (if you have it)", validators=[Optional(), Length(max=40)])
    submit = SubmitField("Check the file")


@bp.route("/verify", methods=["GET", "POST"])
@public
@rate_limited("verify")
def verify():
    """Check a verification code (GET ?code=) or a PDF file (POST) against the register of issued documents."""
    code_form = CodeForm(formdata=request.args if "code" in request.args else None)
    file_form = FileForm()
    verdict = problem = None
    status = 200
    try:
        if request.method == "POST":
            if not file_form.validate_on_submit():
                status = 400
            else:
                upload = file_form.file.data
                verdict = register.verify_file(get_session(), upload.read() if upload else b"", file_form.code.data)
        elif "code" in request.args:
            verdict = register.verify_code(get_session(), code_form.code.data or "")
    except ValidationError as error:
        problem, status = error, error.status
    return render_template("verify.html", code_form=code_form, file_form=file_form, verdict=verdict,
                           problem=problem), status
