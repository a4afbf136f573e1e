"""Participants: the people with lived experience who are paid, and whose records are theirs to see."""
