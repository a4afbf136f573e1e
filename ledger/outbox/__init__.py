"""Telling people: the email outbox, the worker that sends it, and the letters it sends."""
