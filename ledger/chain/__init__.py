"""The keyed, tamper-evident chain over journal entries and events (issue 16, item 1).

``links`` makes the links as each transaction commits; ``models`` holds the two tables; ``audit`` checks the
chain, seals rows from before it, and writes and checks an auditor's signed checkpoint.
"""
