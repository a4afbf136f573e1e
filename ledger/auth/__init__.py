"""Users, roles, passwords, API tokens and the one permission check every route goes through."""
