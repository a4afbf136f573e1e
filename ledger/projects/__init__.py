"""Projects, the activities people take part in, and who attended: where fees and expenses come from."""
