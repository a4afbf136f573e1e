"""Documents for participants, finance staff, project managers and auditors, rendered as PDF.

``render`` turns one of the read records of ``ledger.reports.records`` into PDF bytes (``render_remittance``,
``render_statement``, ...): data in, bytes out, with no database and no Flask, so every document can be built
and tested in isolation. The records themselves are filled by the read models in ``ledger.reports``.
``examples`` has sample documents for previews, tests and the benchmark; ``cli`` writes documents in bulk.
"""
