"""Budgeting co-production at the start of a project: plans priced from the dated rules, saved versions, a baseline."""
