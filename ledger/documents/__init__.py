"""Documents for participants, finance staff, project managers and auditors, rendered as PDF.

``data`` holds what each document says as frozen dataclasses (plain data, filled by the ledger's read
queries); ``render`` turns one of them into PDF bytes (``render_remittance``, ``render_statement``, ...).
Neither touches the database nor Flask, so every document can be built and tested in isolation.
``examples`` has sample documents for previews, tests and the benchmark.
"""
