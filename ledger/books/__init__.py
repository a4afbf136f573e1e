"""The books: double-entry book-keeping that every money movement goes through.

Invariants kept here (and re-checked by ``flask ledger verify``):
- an entry has at least two postings, none zero, summing to zero in each unit;
- postings are never updated or deleted: a correction is a reversal linked to the original;
- each idempotency key posts once; an entry is reversed at most once;
- nothing is posted into a locked month or to a closed account;
- the stored balance of every account equals the sum of its postings.

Sign convention: debits are positive, credits negative. An asset or expense account normally has a
positive balance; a liability, income or equity account a negative one. Screens that show "owed to
you" flip the sign for display only.

This package imports nothing from Flask.
"""
