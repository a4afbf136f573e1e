"""Read models: statements, remittance advice, tax-year summaries, evidence packs, run and budget reports.

Each module is one read: plain SQLAlchemy queries in, a frozen record from ``records`` out, no Flask. The PDF
renderer (``ledger.documents.render``: records in, bytes out), the API and the web pages all read the same
records, so a figure on a page is the figure in the PDF. Every record checks its own totals when it is built
(``DocumentDataError``), so a figure that does not add up never reaches a participant or an auditor.

| module | returns |
|---|---|
| ``statements`` | ``ParticipantStatement`` |
| ``remittances`` | ``RemittanceAdvice`` |
| ``annual_summary`` | ``AnnualSummary`` |
| ``evidence_pack`` | ``BenefitsEvidencePack`` |
| ``run_report`` | ``PaymentRunReport`` |
| ``budget_report`` | ``ProjectBudgetReport`` |
| ``organisation`` | ``Organisation``, from the app's settings |
| ``payees`` | references and names of participants and groups |
| ``claim_facts`` | what the others read about claims, in bulk |
"""
