"""The rights of the person and the keys that protect their data: rotation, subject access, erasure."""
