"""People: users, roles, passwords, tokens, out of office."""
