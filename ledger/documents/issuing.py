"""Issue each kind of document: render it with its stamp, and record it with its figures in the register.

One function per kind, each a thin binding of ``register.issue_document`` to the renderer and the figures of
that kind, so that the web pages, the API, the command line, the print pack and the email outbox all issue a
document the same way. The caller reads the record, calls one of these, commits, and hands out ``Issued.pdf``.
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy.orm import Session

from ledger.budgets.records import BudgetVersionRecord
from ledger.documents import figures, render
from ledger.documents.benefit_effect import render_benefit_effect
from ledger.documents.budget_plan import render_budget_plan
from ledger.documents.coproduction_report import render_coproduction_report
from ledger.documents.print_pack import join_pack, render_cover
from ledger.documents.register import CODE_BOOK_FROM, Issued, Producer, issue_document, participant_id_of
from ledger.documents.stamp import prepare_codes
from ledger.reports.benefit_effect_records import BenefitEffectNotice
from ledger.reports.coproduction_records import CoproductionReport
from ledger.reports.organisation import Organisation
from ledger.reports.records import (
    AnnualSummary,
    BenefitsEvidencePack,
    ParticipantStatement,
    PaymentRunReport,
    PrintPack,
    ProjectBudgetReport,
    RemittanceAdvice,
)

__all__ = [
    "issue_annual_summary",
    "issue_benefit_effect",
    "issue_budget_plan",
    "issue_budget_report",
    "issue_coproduction_report",
    "issue_evidence_pack",
    "issue_payment_run_report",
    "issue_print_pack",
    "issue_remittance",
    "issue_statement",
    "participant_id_of",
]


def issue_statement(session: Session, doc: ParticipantStatement, *, producer: Producer, large_print: bool = False,
                    easy_read: bool = False, web_address: str = "") -> Issued:
    """``web_address``, here and below: the document's accessible web page, printed under its title."""
    return issue_document(
        session, kind="statement", figures=figures.statement_figures(doc),
        render=lambda: render.render_statement(doc, large_print=large_print, easy_read=easy_read,
                                               web_address=web_address),
        participant_id=participant_id_of(doc.participant), organisation=doc.organisation, issued_on=doc.issued,
        producer=producer)


def issue_remittance(session: Session, doc: RemittanceAdvice, *, producer: Producer, issued_on: dt.date,
                     large_print: bool = False, easy_read: bool = False, web_address: str = "") -> Issued:
    return issue_document(
        session, kind="remittance", figures=figures.remittance_figures(doc),
        render=lambda: render.render_remittance(doc, large_print=large_print, easy_read=easy_read,
                                                web_address=web_address),
        participant_id=participant_id_of(doc.payee), organisation=doc.organisation, issued_on=issued_on,
        producer=producer)


def issue_annual_summary(session: Session, doc: AnnualSummary, *, producer: Producer,
                         large_print: bool = False, easy_read: bool = False, web_address: str = "") -> Issued:
    return issue_document(
        session, kind="annual_summary", figures=figures.annual_summary_figures(doc),
        render=lambda: render.render_annual_summary(doc, large_print=large_print, easy_read=easy_read,
                                                    web_address=web_address),
        participant_id=participant_id_of(doc.participant), organisation=doc.organisation, issued_on=doc.issued,
        producer=producer)


def issue_benefit_effect(session: Session, doc: BenefitEffectNotice, *, producer: Producer, large_print: bool = False,
                         easy_read: bool = False, web_address: str = "") -> Issued:
    return issue_document(
        session, kind="benefit_effect", figures=figures.benefit_effect_figures(doc),
        render=lambda: render_benefit_effect(doc, large_print=large_print, easy_read=easy_read,
                                             web_address=web_address),
        participant_id=participant_id_of(doc.participant), organisation=doc.organisation, issued_on=doc.issued,
        producer=producer)


def issue_evidence_pack(session: Session, doc: BenefitsEvidencePack, *, producer: Producer,
                        large_print: bool = False) -> Issued:
    return issue_document(
        session, kind="evidence_pack", figures=figures.evidence_pack_figures(doc),
        render=lambda: render.render_evidence_pack(doc, large_print=large_print),
        participant_id=participant_id_of(doc.participant), organisation=doc.organisation, issued_on=doc.issued,
        producer=producer)


def issue_payment_run_report(session: Session, doc: PaymentRunReport, *, producer: Producer,
                             issued_on: dt.date) -> Issued:
    return issue_document(
        session, kind="payment_run_report", figures=figures.payment_run_report_figures(doc),
        render=lambda: render.render_payment_run_report(doc), participant_id=None, organisation=doc.organisation,
        issued_on=issued_on, producer=producer)


def issue_budget_report(session: Session, doc: ProjectBudgetReport, *, producer: Producer,
                        issued_on: dt.date) -> Issued:
    return issue_document(
        session, kind="budget_report", figures=figures.budget_report_figures(doc),
        render=lambda: render.render_budget_report(doc), participant_id=None, organisation=doc.organisation,
        issued_on=issued_on, producer=producer)


def issue_coproduction_report(session: Session, report: CoproductionReport, *, organisation: Organisation,
                              producer: Producer, issued_on: dt.date) -> Issued:
    return issue_document(
        session, kind="coproduction_report", figures=figures.coproduction_report_figures(report),
        render=lambda: render_coproduction_report(report, organisation=organisation), participant_id=None,
        organisation=organisation, issued_on=issued_on, producer=producer)


def issue_budget_plan(session: Session, version: BudgetVersionRecord, *, organisation: Organisation,
                      producer: Producer, issued_on: dt.date) -> Issued:
    return issue_document(
        session, kind="budget_plan", figures=figures.budget_plan_figures(version),
        render=lambda: render_budget_plan(version, organisation=organisation), participant_id=None,
        organisation=organisation, issued_on=issued_on, producer=producer)


def issue_print_pack(session: Session, pack: PrintPack, *, producer: Producer, issued_on: dt.date,
                     web_address: str = "") -> Issued:
    """Issue each letter of the pack as a remittance advice of its own, then the pack (its cover and letters).

    Each letter carries its own number and code, so the person who receives it by post can check it; the pack
    as a whole is registered too, with the hash of the file finance prints. ``web_address``: the participant's
    web page of their remittance advice, printed in each participant's letter (a group has none).
    """
    if len(pack.to_post) >= CODE_BOOK_FROM:  # many letters: their QR codes from a code book
        prepare_codes(pack.organisation)
    letters = [issue_document(
        session, kind="remittance", figures=figures.remittance_figures(letter.advice),
        render=functools.partial(render.render_remittance, letter.advice, large_print=letter.large_print,
                                 windowed=True, easy_read=letter.easy_read,
                                 web_address="" if letter.advice.payee.is_group else web_address),
        participant_id=participant_id_of(letter.advice.payee), organisation=pack.organisation, issued_on=issued_on,
        producer=producer).pdf for letter in pack.to_post]
    return issue_document(
        session, kind="print_pack", figures=figures.print_pack_figures(pack),
        render=lambda: join_pack(pack, render_cover(pack), letters), participant_id=None,
        organisation=pack.organisation, issued_on=issued_on, producer=producer)

