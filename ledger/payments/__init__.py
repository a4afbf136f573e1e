"""Payments: turning a payment run into money in people's bank accounts.

The modules here are pure (no database, no Flask) so the payment-run service can call them and they test in
isolation: ``calendar`` (banking days in England and Wales and the Bacs three-day cycle), ``bacs`` (Bacs
Standard 18 files, written and re-read) and ``bank_csv`` (a bank-upload CSV that is safe to open in a
spreadsheet). Bank details arrive already checked and normalised by ``ledger.people.bank``. Money is integer
pence throughout.
"""
