"""Bank statements: importing what the bank says happened, matching it to the books, and reconciling the two.

``parsing`` reads CSV (a column mapping, or a preset for a UK bank's export) and OFX files into plain lines;
``services`` stores each line once (by its fingerprint), suggests matches (``matching``), and records what
finance confirms, matches by hand or unmatches, each as an event; ``reconciliation`` sets the bank's balance on
any day beside the books' and lists every difference. Nothing here writes postings: a statement line is
evidence about the books, never a movement of money.
"""
